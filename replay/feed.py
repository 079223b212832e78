"""Atom feeds in arXiv's current layout: result pages and arXiv's error feed."""

from __future__ import annotations

import datetime as dt
import re
from xml.sax.saxutils import escape, quoteattr

from replay.corpus import CorpusEntry


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_entry(e: CorpusEntry) -> str:
    vid = f"{e.arxiv_id}v{e.version}"
    parts = [
        "  <entry>", f"    <id>http://arxiv.org/abs/{vid}</id>", f"    <title>{escape(e.title)}</title>",
        f"    <updated>{_iso(e.updated)}</updated>",
        f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{vid}" rel="related" type="application/pdf" title="pdf"/>',
        f"    <summary>{escape(e.abstract)}</summary>",
    ]
    parts += [f'    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>' for c in e.categories]
    parts.append(f"    <published>{_iso(e.published)}</published>")
    if e.comment:
        parts.append(f"    <arxiv:comment>{escape(e.comment)}</arxiv:comment>")
    parts.append(f"    <arxiv:primary_category term={quoteattr(e.categories[0])}/>")
    if e.journal_ref:
        parts.append(f"    <arxiv:journal_ref>{escape(e.journal_ref)}</arxiv:journal_ref>")
    parts += [f"    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in e.authors]
    if e.doi:
        parts.append(f"    <arxiv:doi>{escape(e.doi)}</arxiv:doi>")
    parts.append("  </entry>")
    return "\n".join(parts)


def render_feed(entries: list[CorpusEntry], total: int, start: int, per_page: int, title: str) -> bytes:
    head = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <id>https://arxiv.org/api/replay</id>\n  <title>{escape(title)}</title>\n"
        f"  <updated>{_iso(dt.datetime.now(dt.UTC))}</updated>\n"
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
    )
    return (head + "".join(render_entry(e) + "\n" for e in entries) + "</feed>\n").encode()


def error_feed(message: str) -> bytes:
    anchor = re.sub(r"\W+", "_", message)[:60]
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns="http://www.w3.org/2005/Atom">\n  <id>https://arxiv.org/</id>\n  <title>arXiv Search Results</title>\n'
        "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
        "  <opensearch:totalResults>1</opensearch:totalResults>\n"
        "  <opensearch:startIndex>0</opensearch:startIndex>\n  <entry>\n"
        f"    <id>https://arxiv.org/api/errors#{anchor}</id>\n    <title>Error</title>\n"
        f"    <summary>{escape(message)}</summary>\n    <author>\n      <name>arXiv api core</name>\n    </author>\n"
        "  </entry>\n</feed>\n"
    ).encode()
