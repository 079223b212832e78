"""`report_site`: the reports as a static site under $ARXIV_MONITOR_HOME/site/ — an index of every
materialised day, a page per day, a search over the whole history that runs in the browser (from
file:// too), and an Atom feed.

Pages are rendered from the stored rows (the same context as the Markdown report), with Jinja2's
HTML autoescaping on: a title or abstract carrying HTML, Markdown or a `javascript:` link is text.
Only http(s) URLs become links. Every file is written to a temporary name and renamed, so a reader
sees the old file or the new one, never half of one.

The feed has one entry per day, not per paper: a reader subscribes to a daily digest (the same
cadence as the email and chat messages), and per-paper entries would put 10-80 items a day in a
feed reader, each repeating what the day's page shows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import jinja2

from llm_analysis.models import label_for
from publishing.report import write_atomically
from publishing.wording import EVIDENCE_KINDS, LABELS, WEEKLY

TEMPLATES = Path(__file__).resolve().parent / "templates" / "site"


FEED_DAYS = 60  # entries in feed.xml: the newest days


def templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def paper_anchor(arxiv_id: str) -> str:
    """A stable anchor per paper: 'p-2512.20014', 'p-math-0601001' (old-style ids keep no '/')."""
    return "p-" + re.sub(r"[^A-Za-z0-9.]", "-", arxiv_id)


def safe_url(url: str | None) -> str | None:
    """Only http(s) URLs become links (never `javascript:` or `data:`)."""
    return url if url and re.match(r"^https?://[^\s\"'<>]+$", url, re.IGNORECASE) else None


def _link_label(kind: str, t: dict) -> str:
    return {"github": t["link_code"], "gitlab": t["link_code"], "code": t["link_code"],
            "huggingface": t["link_model"]}.get(kind, t["link_page"])


def day_page(context: dict, weekly: bool = False) -> str:
    """One day's page from the report's context (publishing/report.py: report_context), in its language;
    `weekly`: whether the site has its weekly pages yet (the navigation links only pages that exist)."""
    t = LABELS[context["language"]]
    for paper in context["papers"] + context["failed"]:
        paper["site_anchor"] = paper_anchor(paper["arxiv_id"])
        paper["code_url"] = safe_url(paper["code"]["url"]) if paper.get("code") else None
        paper["figure_src"] = f"../figures/{paper['site_anchor']}.png" if paper.get("has_figure") else None
        paper["safe_links"] = [{"url": safe_url(l["url"]), "where": l["where"], "label": _link_label(l["kind"], t)}
                               for l in paper["links"] if safe_url(l["url"])]
    return templates().get_template("day.html.j2").render(
        t=t, c=context, root="../", title=f"{t['report']} {context['day']}", day_label=context["day_label"],
        reason=t.get(context["reason"], context["reason"]), weekly=weekly)


def index_page(days: list[dict], language: str, weekly: bool = False) -> str:
    t = LABELS[language]
    for d in days:
        d["reason"] = t.get(d.get("reason") or "", d.get("reason") or "")
    return templates().get_template("index.html.j2").render(t=t, days=days, root="", title="arxiv-monitor",
                                                               weekly=weekly)


def render_page(template: str, language: str, root: str, title: str, **context) -> str:
    """Any page of the weekly part of the site from its template, with the language's words."""
    return templates().get_template(template).render(t=LABELS[language], w=WEEKLY[language], root=root,
                                                        title=title, weekly=True, **context)


def saved_page(rows: list[dict], language: str, root: str = "", weekly: bool = False) -> str:
    """The reading list (sql/queries/saved_papers.sql rows): saved papers with their analysis and evidence."""
    t = LABELS[language]
    papers = [{**r, "site_anchor": paper_anchor(r["arxiv_id"]), "model_label": label_for(r.get("model") or ""),
               "saved_on": r["first_saved_at"].date().isoformat() if r.get("first_saved_at") else "",
               "evidence": r.get("evidence") or []} for r in rows]
    return templates().get_template("saved.html.j2").render(
        t=t, papers=papers, root=root, title=t["saved_title"], evidence_kinds=EVIDENCE_KINDS[language],
        weekly=weekly)


def search_entries(rows: list[dict]) -> list[dict]:
    """What the browser searches: title, authors, matched and analysis keywords, TL;DR (the page
    lower-cases and joins them once on load, rather than the index carrying them twice)."""
    entries = []
    for r in rows:
        keywords = list(dict.fromkeys([*(r.get("matched_keywords") or []), *(r.get("keywords") or [])]))
        authors = list(r.get("authors") or [])
        tldr = r.get("tldr") or ""
        entries.append({"day": r["partition_date"].isoformat(), "arxiv_id": r["arxiv_id"], "title": r["title"],
                        "anchor": paper_anchor(r["arxiv_id"]), "authors": authors, "keywords": keywords,
                        "tldr": tldr})
    return entries


def day_titles(rows: list[dict]) -> dict[str, list[str]]:
    """{day: ["title (id)", ...]}: what each day's feed entry lists."""
    titles: dict[str, list[str]] = {}
    for r in rows:
        titles.setdefault(r["partition_date"].isoformat(), []).append(f"{r['title']} ({r['arxiv_id']})")
    return titles


def refresh_feed(site: Path, days: list[dict], title_rows: list[dict], base_url: str, now: dt.datetime,
                 weeks: list[dict]) -> None:
    """feed.xml alone (a new weekly digest changes nothing else of the index); `title_rows`: the newest
    FEED_DAYS days' titles (feed_titles.sql)."""
    write_atomically(site / "feed.xml", atom_feed(days, day_titles(title_rows), base_url, now, weeks))


def search_script(entries: list[dict]) -> str:
    """search-index.js: the index as a script (browsers refuse fetch() of a file:// JSON). JSON with
    '<', '>' and '&' escaped can never close the script element."""
    body = json.dumps(entries, ensure_ascii=False, separators=(",", ":"))
    body = body.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"window.ARXIV_MONITOR_SEARCH = {body};\n"


def atom_feed(days: list[dict], titles: dict[str, list[str]], base_url: str, updated: dt.datetime,
              weeks: list[dict] | None = None, pages: str = "days") -> str:
    """RFC 4287 Atom, one entry per weekly digest, then one per materialised day (newest first), linking the day's
    page in the folder `pages`. Links are absolute when `[site].base_url` is set, relative to the feed otherwise."""
    root = base_url.rstrip("/") + "/" if base_url else ""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom">',
             "  <title>arxiv-monitor</title>", "  <id>urn:arxiv-monitor:feed</id>",
             f"  <updated>{updated.isoformat(timespec='seconds')}</updated>",
             "  <author><name>arxiv-monitor</name></author>",
             f'  <link rel="self" href="{xml_escape(root + "feed.xml", {chr(34): "&quot;"})}"/>']
    for w in (weeks or [])[:FEED_DAYS // 5]:
        week = w["partition_date"].isoformat()
        rising = ", ".join(w.get("rising") or [])
        title = f"week of {week}: {w['shown']} of {w['kept']} papers" + (f"; rising: {rising}" if rising else "")
        href = xml_escape(f"{root}weeks/{week}.html", {'"': "&quot;"})
        lines += ["  <entry>", f"    <title>{xml_escape(title)}</title>", f"    <id>urn:arxiv-monitor:week:{week}</id>",
                  f"    <updated>{(w['generated_at'] or updated).isoformat(timespec='seconds')}</updated>",
                  f'    <link rel="alternate" type="text/html" href="{href}"/>',
                  f"    <summary>{xml_escape(title)}</summary>", "  </entry>"]
    for d in days[:FEED_DAYS]:
        day = d["day"]
        generated = d["generated_at"] or updated
        if d["announces"]:
            title = f"{day}: {d['kept']} papers, {d['papers']} analysed, {d['failed']} without analysis"
        else:
            title = f"{day}: no announcement ({d.get('reason') or ''})"
        summary = "\n".join(titles.get(day, [])) or title
        href = xml_escape(f"{root}{pages}/{day}.html", {'"': "&quot;"})
        lines += ["  <entry>", f"    <title>{xml_escape(title)}</title>", f"    <id>urn:arxiv-monitor:day:{day}</id>",
                  f"    <updated>{generated.isoformat(timespec='seconds')}</updated>",
                  f'    <link rel="alternate" type="text/html" href="{href}"/>',
                  f"    <summary>{xml_escape(summary)}</summary>", "  </entry>"]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def has_weekly_pages(site: Path) -> bool:
    """Whether a week's digest was published into `site` (weeks.html and trends.html are written together)."""
    return (site / "weeks.html").is_file() and (site / "trends.html").is_file()


def render_site(site: Path, day_context: dict | None, language: str, days: list[dict], search_rows: list[dict],
                base_url: str, now: dt.datetime, saved_rows: list[dict] | None = None,
                figures: dict[str, bytes] | None = None, weeks: list[dict] | None = None) -> dict[str, int]:
    """Write the day's page (when given) and the index, search index, feed and reading list (as it
    stands now; `arxiv-monitor serve` shows it live); returns bytes per file."""
    weekly = has_weekly_pages(site)
    files: dict[str, str] = {"saved.html": saved_page(saved_rows or [], language, weekly=weekly)}
    if day_context is not None:
        files[f"days/{day_context['day']}.html"] = day_page(day_context, weekly)
    entries = search_entries(search_rows)
    files["search-index.js"] = search_script(entries)
    files["search.json"] = json.dumps(entries, ensure_ascii=False) + "\n"
    files["feed.xml"] = atom_feed(days, day_titles(search_rows), base_url, now, weeks)
    files["index.html"] = index_page(days, language, weekly)  # last: it links to what was written before it
    for name, text in files.items():
        write_atomically(site / name, text)
    for arxiv_id, png in (figures or {}).items():  # the day's main figures, one PNG per paper
        write_atomically(site / "figures" / f"{paper_anchor(arxiv_id)}.png", png)
    return {name: len(text.encode("utf-8")) for name, text in files.items()}
