"""`report_delivery`: the day's digest sent to each configured channel, exactly once per content.

A digest holds the counts and, per paper, its title, why it is there and its TL;DR (only from an
analysis that passed the quality gates), with a link. Each platform gets its own format within its
size limit; when the papers do not fit, whole papers are dropped from the end and the message says
how many were left out — a message is never cut inside a sentence.

`report_deliveries` keeps one row per (day, channel): the content hash last sent, the status, the
attempts and the platform's answer. Re-materialising a day sends nothing when the content is
unchanged, an "updated" message when it changed; `--resend` forces a send. A backfill (a Dagster
backfill, or `arxiv-monitor run` over several days) delivers nothing unless `deliver_backfills` or
`--deliver`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

import jinja2
import polars as pl

from publishing.platforms import TEXT_BUDGET
from publishing.report import md
from publishing.site import paper_anchor
from publishing.wording import DIGEST, LABELS

DELIVERIES_SCHEMA = {"channel": pl.Utf8, "kind": pl.Utf8, "content_hash": pl.Utf8, "status": pl.Utf8,
                     "attempts": pl.Int32, "response": pl.Utf8, "sent_at": pl.Datetime("us", "UTC"),
                     "first_sent_at": pl.Datetime("us", "UTC"), "checked_at": pl.Datetime("us", "UTC"),
                     "papers_sent": pl.Int32, "papers_left_out": pl.Int32}


DELIVERED = ("sent", "updated")


def digest(context: dict, base_url: str) -> dict:
    """What every channel says, from the report's context: subject, counts and the papers in report order,
    in the report's language."""
    language = context["language"]
    w = DIGEST[language]
    site = base_url.rstrip("/") + f"/days/{context['day']}.html" if base_url else ""
    papers = []
    for p in context["papers"] + context["failed"]:
        link = f"{site}#{paper_anchor(p['arxiv_id'])}" if site else f"https://arxiv.org/abs/{p['arxiv_id']}v{p['version']}"
        papers.append({"arxiv_id": p["arxiv_id"], "title": " ".join(p["title"].split()), "why": p["why_short"],
                       "tldr": (p.get("tldr") or "").strip() if p.get("status") == "ok" else "",
                       "analysed": p.get("status") == "ok", "url": link,
                       **({"figure": paper_anchor(p["arxiv_id"])} if p.get("has_figure") else {})})
    kept, analysed = len(papers), len(context["papers"])
    return {"language": language, "day": context["day"],
            "subject": w["subject"].format(day=context["day"], kept=kept, analysed=analysed),
            "announces": context["announces"], "kept": kept, "analysed": analysed, "failed": len(context["failed"]),
            "papers": papers, "site_url": site}


def content_hash(d: dict) -> str:
    """What decides "unchanged": the digest without anything that changes from run to run (its language is
    said by its words)."""
    said = {k: v for k, v in d.items() if k != "language"}
    return hashlib.sha256(json.dumps(said, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def _paper_lines(i: int, p: dict, w: dict, style: str) -> str:
    title = md(p["title"]) if style == "markdown" else p["title"]
    if style == "slack":  # Slack mrkdwn: only &, < and > need escaping
        title = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    head = f"{i}. [{title}]({p['url']})" if style == "markdown" else (
        f"{i}. <{p['url']}|{title}>" if style == "slack" else f"{i}. {title}")
    lines = [head, f"   {w['matched']}: {p['why']}"]
    lines.append(f"   {p['tldr']}" if p["tldr"] else f"   {w['failed']}")
    if style == "text":
        lines.append(f"   {p['url']}")
    return "\n".join(lines)


def fit_text(d: dict, style: str, budget: int, update: bool) -> tuple[str, int]:
    """The digest as text in `style` (text | markdown | slack) within `budget` UTF-8 bytes: whole papers
    from the end are left out, and counted in the last line. Returns (text, papers included)."""
    w = DIGEST[d["language"]]
    header = (w["updated"] if update else "") + d["subject"]
    if not d["announces"]:
        header += "\n" + w["no_announcement"]
    elif not d["papers"]:
        header += "\n" + w["no_paper"]
    footer = f"{w['site']}: {d['site_url']}" if d["site_url"] else ""
    blocks = [_paper_lines(i, p, w, style) for i, p in enumerate(d["papers"], start=1)]
    for included in range(len(blocks), -1, -1):
        left = len(blocks) - included
        parts = [header, *blocks[:included]]
        if left:
            parts.append(w["left_out"].format(n=left))
        if footer:
            parts.append(footer)
        text = "\n\n".join(parts)
        if len(text.encode("utf-8")) <= budget:
            return text, included
    raise ValueError(f"even the digest's header exceeds {budget} bytes")


def email_html(d: dict, update: bool) -> str:
    template = jinja2.Environment(autoescape=True).from_string(
        "<html><body><h2>{{ prefix }}{{ d.subject }}</h2>"
        "{% if d.site_url %}<p><a href=\"{{ d.site_url }}\">{{ w.site }}</a></p>{% endif %}"
        "{% if not d.papers %}<p>{{ w.no_paper if d.announces else w.no_announcement }}</p>{% endif %}"
        "<ol>{% for p in d.papers %}<li><p><a href=\"{{ p.url }}\">{{ p.title }}</a><br>"
        "<small>{{ w.matched }}: {{ p.why }}</small><br>{{ p.tldr or w.failed }}"
        "{% if base and p.figure %}<br><img src=\"{{ base }}/figures/{{ p.figure }}.png\" width=\"240\" "
        "alt=\"{{ t.figure }}\">{% endif %}"
        "{% if marks %}<br><small>{{ w.mark }}:{% for signal in ('up', 'down', 'save') %} "
        "<a href=\"{{ marks }}?{{ {'id': p.arxiv_id, 'signal': signal} | urlencode }}\">{{ t[signal] }}</a>"
        "{% endfor %}</small>{% endif %}</p></li>{% endfor %}</ol>"
        "</body></html>")
    w = DIGEST[d["language"]]
    # Marks open the served site's confirmation page (arxiv-monitor serve): a link never records by itself.
    base = d["site_url"].rsplit("/days/", 1)[0] if d["site_url"] else ""
    return template.render(d=d, w=w, t=LABELS[d["language"]], base=base, marks=base and base + "/feedback",
                           prefix=w["updated"] if update else "")


def channel_message(channel, d: dict, update: bool) -> tuple[dict, int]:
    """(message for PublishResource.send, papers included) in the channel's own format."""
    subject = (DIGEST[d["language"]]["updated"] if update else "") + d["subject"]
    if channel.kind == "email":  # one message, every paper: mail has no practical size limit here
        text, included = fit_text(d, "text", 10**9, update)
        return {"subject": subject, "text": text, "html": email_html(d, update)}, included
    budget = TEXT_BUDGET[channel.kind]
    if channel.kind == "slack":
        text, included = fit_text(d, "slack", budget, update)
        payload = {"text": text}
    elif channel.kind == "feishu":
        text, included = fit_text(d, "text", budget, update)
        payload = {"msg_type": "text", "content": {"text": text}}
    elif channel.kind == "dingtalk":
        text, included = fit_text(d, "markdown", budget, update)
        payload = {"msgtype": "markdown", "markdown": {"title": subject, "text": text}}
    else:
        text, included = fit_text(d, "text", budget, update)
        payload = {"day": d["day"], "subject": subject, "update": update, "counts": {
            "papers": d["kept"], "analysed": d["analysed"], "failed": d["failed"]},
            "papers": d["papers"][:included], "left_out": len(d["papers"]) - included, "text": text}
    return {"subject": subject, "payload": payload}, included


def _not_sent(base: dict, digest_hash: str, status: str, response: str) -> dict:
    return {**base, "content_hash": digest_hash, "status": status, "attempts": 0, "response": response,
            "sent_at": None, "papers_sent": 0, "papers_left_out": 0}


def deliver_day(d: dict, channels: list, send: Callable, send_empty: bool,
                previous: dict[str, dict], deliver: bool, resend: bool, now: dt.datetime, log=None) -> list[dict]:
    """One row per channel (report_deliveries), sending (`send(channel, message)`) where needed."""
    digest_hash = content_hash(d)
    if not channels:
        return [_not_sent({"channel": "(none)", "kind": "none", "checked_at": now, "first_sent_at": None},
                          digest_hash, "no_channels", "no [[delivery.channels]] configured")]
    rows = []
    for channel in channels:
        before = previous.get(channel.name)
        delivered_before = before is not None and before["status"] in DELIVERED
        base = {"channel": channel.name, "kind": channel.kind, "checked_at": now,
                "first_sent_at": before["first_sent_at"] if before else None}
        if before and (not deliver or (delivered_before and before["content_hash"] == digest_hash and not resend)):
            rows.append({**before, "checked_at": now})  # unchanged, or a backfill: what was recorded stays
            continue
        if not deliver:
            rows.append(_not_sent(base, digest_hash, "not_sent_backfill",
                                  "a backfill run: not delivered (deliver_backfills = false; run --deliver to send)"))
            continue
        if not d["papers"] and not send_empty:
            rows.append(_not_sent(base, digest_hash, "skipped_empty",
                                  "no paper this day ([delivery].send_empty = false)"))
            continue
        update = delivered_before and before["content_hash"] != digest_hash
        message, included = channel_message(channel, d, update)
        result = send(channel, message)
        earlier_attempts = before["attempts"] if before and before["status"] == "failed" else 0
        if log:
            log.info(f"delivery {channel.name} ({channel.kind}): {'ok' if result.ok else 'FAILED'} after "
                     f"{result.attempts} attempt(s)")
        rows.append({**base, "content_hash": digest_hash,
                     "status": ("updated" if update else "sent") if result.ok else "failed",
                     "attempts": earlier_attempts + result.attempts, "response": result.response,
                     "sent_at": now if result.ok else (before or {}).get("sent_at"),
                     "first_sent_at": base["first_sent_at"] or (now if result.ok else None),
                     "papers_sent": included, "papers_left_out": len(d["papers"]) - included})
    return rows
