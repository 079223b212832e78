"""The Markdown report of a day: its context from the stored rows, and the one template that renders it."""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import jinja2

from arxiv_domain.calendar import announcement_day
from llm_analysis.models import label_for
from publishing.wording import (
    EVIDENCE_KINDS,
    FULLTEXT_STATUS,
    LABELS,
    REASONS,
    REPORT,
    SECTION_KINDS,
    VENUE_STATUS,
    WHERE,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"


def md(value) -> str:
    """Untrusted text (titles, abstracts, names, LLM output) as inert Markdown: HTML escaped,
    Markdown syntax characters backslash-escaped, line breaks folded so nothing starts a block."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    text = html.escape(re.sub(r"\s+", " ", str(value)).strip(), quote=False)
    text = re.sub(r"([\\`*_\[\]|~#])", r"\\\1", text)
    return re.sub(r"^(\d+)\.(\s)|^([+\-=])", lambda m: f"{m[1]}\\.{m[2]}" if m[1] else f"\\{m[3]}", text)


def href(url: str) -> str:
    return "".join(f"%{ord(c):02X}" if c in " ()<>\"'`" else c for c in url)


def templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters["md"] = md
    env.filters["cell"] = md
    return env


def fulltext_label(status: str | None, language: str) -> str:
    return FULLTEXT_STATUS[language].get(status, status)


def _basis(paper: dict, language: str) -> str:
    """What the analysis was written from, as the heading says it."""
    r, basis = REPORT[language], paper["basis"]
    if basis == "fulltext":
        return r["basis_fulltext"]
    if basis == "fulltext_trimmed":
        names = [SECTION_KINDS[language].get(k, k) for k in paper.get("dropped_sections") or []]
        dropped = r["basis_dropped"].format(sections=r["basis_separator"].join(names)) if names else ""
        return r["basis_trimmed"].format(dropped=dropped)
    return r["basis_abstract"].format(status=fulltext_label(paper.get("fulltext_status"), language))


def matched_labels(row: dict) -> list[str]:
    """The keyword and watched-author matches of a filtered_papers row as the report names them ("vla", "@Name")."""
    return list(row["matched_keywords"] or []) + [f"@{a}" for a in row["matched_authors"] or []]


def closeness_shown(row: dict) -> tuple[float | None, str | None, float | None, str | None]:
    """(semantic score, closest interest, learned score, closest liked paper) as the reader is told them: only
    what took part in keeping the paper (`kept_by`). A paper kept for a watched author is not shown a
    similarity below the keep rule next to an interest it has nothing to do with."""
    took_part = set(row.get("kept_by") or [])
    semantic = row.get("semantic_score") if "semantic" in took_part else None
    learned = row.get("learned_score") if "learned" in took_part else None
    return (semantic, row.get("closest_interest") if semantic is not None else None,
            learned, row.get("closest_liked") if learned is not None else None)


def why_kept(row: dict, language: str) -> str:
    """Why the paper is in the report, in words: the keywords its title or abstract mentions, the watched
    authors among its authors, the interest it is close to and the liked paper it resembles (each only
    when that rule took part in keeping it, `closeness_shown`), with the similarity as a figure."""
    r = REPORT[language]
    semantic, closest, learned, liked = closeness_shown(row)
    parts = []
    if row.get("matched_keywords"):
        parts.append(r["why_keywords"].format(keywords=r["why_keyword_sep"].join(
            r["why_keyword"].format(keyword=k) for k in row["matched_keywords"])))
    if row.get("matched_authors"):
        parts.append(r["why_authors"].format(authors=r["why_author_sep"].join(row["matched_authors"])))
    if semantic is not None:
        parts.append(r["why_semantic"].format(score=semantic, closest=closest))
    if learned is not None and liked:
        parts.append(r["why_learned"].format(score=learned, liked=liked))
    return r["why_sep"].join(parts)


def why_short(row: dict, language: str) -> str:
    """Why the paper is there, for a table cell or a digest line: its keyword and author matches, else the
    rule of closeness that kept it (`closeness_shown`)."""
    matched = matched_labels(row)
    if matched:
        return ", ".join(matched)
    semantic, _, learned, liked = closeness_shown(row)
    if learned is not None and liked and (semantic is None or learned >= semantic):
        return REPORT[language]["why_short_learned"]
    return "—" if semantic is None else REPORT[language]["why_short_semantic"].format(score=semantic)


def revision_label(revision_json: str | None, reused_from: int | None, version: int, language: str) -> str | None:
    """"修订 v1 → v2：摘要改动 12%；新增：ICRA 2026；小修订，沿用 v1 的分析" from filtered_papers.revision; for a
    new version whose predecessor the history lacks, that it could not be compared."""
    r = REPORT[language]
    if not revision_json:
        return r["revision_unknown"].format(b=version) if version > 1 else None
    rev = json.loads(revision_json)
    parts = []
    if rev["title_changed"]:
        parts.append(r["revision_title"])
    parts.append(r["revision_abstract"].format(share=rev["abstract_changed"]))
    if rev["pages_before"] and rev["pages_after"] and rev["pages_before"] != rev["pages_after"]:
        parts.append(r["revision_pages"].format(a=rev["pages_before"], b=rev["pages_after"]))
    if rev["venue_added"]:
        parts.append(r["revision_venue"].format(venue=rev["venue_added"]))
    if rev["kind"] == "major":
        parts.append(r["revision_major"].format(reasons=r["list_separator"].join(
            r["revision_reasons"][k] for k in rev["reasons"])))
    else:
        parts.append(r["revision_minor"].format(a=reused_from) if reused_from else r["revision_minor_new"])
    head = r["revision_head"].format(a=rev["from_version"], b=rev["to_version"])
    return head + r["revision_sep"].join(parts)


# The order the analysis shows its sections in: its statements are numbered in this order.
SHOWN_ORDER = ("tldr", "summary", "motivation", "contributions", "method", "experiments")


def numbered_statements(statements: list[dict] | None, anchor: str) -> dict[str, list[dict]]:
    """{section: its statements}, numbered 1, 2, … in the order the analysis shows them, each with an id
    unique on the page (`anchor`-s<n>) for its footnote or tooltip."""
    by_section = {name: [s for s in statements or [] if s["section"] == name] for name in SHOWN_ORDER}
    numbered, n = {}, 0
    for name, stated in by_section.items():
        for statement in stated:
            n += 1
            numbered.setdefault(name, []).append({**statement, "n": n, "id": f"{anchor}-s{n}"})
    return numbered


def paper_entry(row: dict, position: int, language: str, similar: list[dict]) -> dict:
    """One paper as the report shows it: why it is there, its links, its revision and venue, and what its
    analysis was written from (or why there is none)."""
    links = [{**l, "where": WHERE[language].get(l["found_in"], l["found_in"]), "url": href(l["url"])}
             for l in (row.get("links") or [])]
    paper = {
        **row,
        "anchor": f"paper-{position}",
        "authors": row["authors"],
        "categories": row["categories"],
        "why": why_kept(row, language),
        "why_short": why_short(row, language),
        "similar": similar,
        "links": links,
        "code": next((l for l in links if l["kind"] in ("github", "gitlab", "code", "huggingface")), None),
        "revision_label": revision_label(row.get("revision"), row.get("reused_from"), row["version"], language),
        "venue_label": REPORT[language]["venue_value"].format(
            venue=row["venue"], status=VENUE_STATUS[language][row["venue_status"]]) if row.get("venue") else None,
        "abs_url": f"https://arxiv.org/abs/{row['arxiv_id']}v{row['version']}",
        "pdf_url": f"https://arxiv.org/pdf/{row['arxiv_id']}v{row['version']}",
        "keywords": row.get("keywords") or [],
        "grounding": row.get("grounding_score"),
        "evidence": row.get("evidence") or [],
        "citation_share": row.get("citation_share"),
        "language_note": bool(row.get("quality")) and row["quality"].get("language_ok") is False,
        "rejected": row.get("status") == "rejected",
        "stated": numbered_statements(row.get("statements"), f"paper-{position}"),
    }
    if row.get("status") == "ok":
        paper["basis_label"] = _basis(row, language)
        paper["model_label"] = label_for(row.get("model") or "")
    else:
        paper["error"] = row.get("error") or REPORT[language]["no_analysis"]
        paper["fulltext_label"] = fulltext_label(row.get("fulltext_status"), language)
    return paper


@dataclass(frozen=True)
class Monitored:
    """What a report says was monitored, and the language it is written in: the one render context."""

    language: str
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    watch_authors: tuple[str, ...] = ()
    profile_items: tuple[str, ...] = ()  # the interests, the example ids and the BibTeX file
    threshold: float = 0.4
    holiday_dates: frozenset[dt.date] = frozenset()


def report_context(
    day: dt.date, monitored: Monitored, listing_day: dict | None, rows: list[dict], generated: dt.datetime,
    similar: dict[str, list[dict]] | None = None,
) -> dict:
    """Everything the template shows, from the tables; papers in rank order, failures apart.
    `similar` {arxiv_id: [earlier papers]} from the history's embeddings."""
    similar = similar or {}
    language = monitored.language
    calendar = announcement_day(day, monitored.holiday_dates)
    entries = [paper_entry(row, i, language, similar.get(row["arxiv_id"], [])) for i, row in enumerate(rows, start=1)]
    papers = [p for p in entries if p.get("status") == "ok"]
    failed = [p for p in entries if p.get("status") != "ok"]
    counts = {k: (listing_day or {}).get(f"rows_{k}", 0) for k in ("new", "cross", "replace", "replace_cross")}
    fulltext = Counter(r.get("fulltext_status") or "not read" for r in rows)
    window = ""
    if calendar.announces:
        window = f"{calendar.window_start:%Y-%m-%d %H:%M} → {calendar.window_end:%Y-%m-%d %H:%M} UTC"
    return {
        "language": language,
        "day": day.isoformat(),
        "day_label": REPORT[language]["day"].format(d=day),
        "generated": f"{generated:%Y-%m-%d %H:%M} UTC",
        "announces": calendar.announces,
        "reason": calendar.reason,
        "reason_label": REASONS[language].get(calendar.reason, calendar.reason),
        "categories": ", ".join(monitored.categories),
        "keywords": ", ".join(k.strip() for k in monitored.keywords),
        "exclude": ", ".join(monitored.exclude),
        "authors": ", ".join(monitored.watch_authors),
        "interests": REPORT[language]["list_separator"].join(monitored.profile_items),
        "profile_items": len(monitored.profile_items),
        "threshold": monitored.threshold,
        "papers": papers,
        "failed": failed,
        "counts": counts,
        "listings_total": sum(counts.values()),
        "window": window,
        "listing_note": (listing_day or {}).get("note"),
        "fulltext_counts": ", ".join(f"{k} {v}" for k, v in sorted(fulltext.items())) if rows else "",
        "models": ", ".join(sorted({r["model"] for r in rows if r.get("model")})),
        "prompt_versions": ", ".join(sorted({r["prompt_version"] for r in rows if r.get("prompt_version")})),
        "tokens_in": sum(r.get("tokens_in") or 0 for r in rows),
        "tokens_out": sum(r.get("tokens_out") or 0 for r in rows),
        "cached": sum(bool(r.get("cached")) for r in rows),
        "llm_seconds": round(sum(r.get("latency_seconds") or 0 for r in rows if not r.get("cached")), 1),
        "outcomes": analysis_outcomes(rows),
        "evidence_kinds": EVIDENCE_KINDS[language],
    }


def failure_reason(row: dict) -> str:
    """A short, countable reason: the junk gates for a rejected analysis, the kind of failure otherwise."""
    if row.get("status") == "rejected":
        return ", ".join((row.get("quality") or {}).get("junk") or ["quality gate"])
    error = row.get("error") or ""
    if not row.get("status"):
        return "not analysed"
    for prefix, reason in (("invalid answer", "invalid answer"), ("answer cut off", "cut off at max_tokens"),
                           ("HTTP 400", "request refused"), ("context overflow", "context overflow")):
        if error.startswith(prefix):
            return reason
    return error.split(":", 1)[0][:40] or "failed"


def analysis_outcomes(rows: list[dict]) -> dict:
    """Counts of ok / rejected / failed analyses, and the reasons of the others (most frequent first)."""
    status = Counter(r.get("status") if r.get("status") in ("ok", "rejected") else "failed" for r in rows)
    rejected = Counter(g for r in rows if r.get("status") == "rejected" for g in failure_reason(r).split(", "))
    failed = Counter(failure_reason(r) for r in rows if r.get("status") not in ("ok", "rejected"))
    return {"ok": status["ok"], "rejected": status["rejected"], "failed": status["failed"],
            "rejected_reasons": ", ".join(f"{k} {v}" for k, v in rejected.most_common()),
            "failed_reasons": ", ".join(f"{k} {v}" for k, v in failed.most_common())}


def render_report(context: dict) -> str:
    language = context["language"]
    text = templates().get_template("report.md.j2").render(**context, t=LABELS[language], r=REPORT[language])
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def write_atomically(path: Path, text: str | bytes, mode: int = 0o644) -> None:
    """Write beside `path`, then rename over it: a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(text if isinstance(text, bytes) else text.encode("utf-8"))
    os.chmod(tmp, mode)  # mkstemp makes 0600; a report or site page is for readers (a web server, a team)
    os.replace(tmp, path)
