"""Every published output, rendered from fixed inputs, for a before/after comparison of a change that
must not alter them (one template per output, the words moved to one table).

`python -m bench.renders save DIR` writes each render (report, site day page, digest text and email,
in zh and en, over days that cover every branch of the templates) into DIR; `python -m bench.renders
compare DIR [LABEL]` renders again and records, per output, whether it is byte-identical to DIR's
(bench/results/history/renders/; LABEL says what DIR was rendered by). It uses only functions both
sides of such a change have.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

DAY = dt.date(2025, 12, 25)
GENERATED = dt.datetime(2025, 12, 26, 1, 0, tzinfo=dt.UTC)
LISTING = {"rows_new": 6, "rows_cross": 7, "rows_replace": 4, "rows_replace_cross": 2, "note": None}


def _paper(arxiv_id: str, status: str = "ok", **extra) -> dict:
    row = {"arxiv_id": arxiv_id, "version": 1, "announce_type": "new", "is_update": False, "rank": 1,
           "matched_keywords": ["spatio-temporal prediction"], "matched_authors": [],
           "title": "STLDM: Spatio-Temporal Latent Diffusion | a *test*", "authors": ["Shi Quan Foo", "Chi-Ho Wong"],
           "abstract": "Precipitation nowcasting is a critical spatio-temporal prediction task.",
           "primary_category": "cs.LG", "categories": ["cs.LG", "cs.AI"], "comment": None,
           "fulltext_status": "download_failed",
           "links": [{"url": "https://github.com/sqfoo/stldm_official", "kind": "github", "found_in": "abstract"},
                     {"url": "https://huggingface.co/x/y", "kind": "huggingface", "found_in": "comment"},
                     {"url": "https://example.org/page", "kind": "project", "found_in": "fulltext"}],
           "status": status, "error": None if status == "ok" else "invalid answer: summary: no words",
           "basis": "abstract", "dropped_sections": [], "tldr": "A diffusion model for nowcasting.",
           "summary": "The paper proposes STLDM.", "motivation": "Nowcasting matters.",
           "contributions": "A latent diffusion model.", "method": "Two stages.", "experiments": "Three datasets.",
           "keywords": ["nowcasting"], "model": "llama-cpp:qwen2.5-coder-1.5b", "prompt_version": "zh-abc",
           "tokens_in": 100, "tokens_out": 50, "latency_seconds": 2.0, "cached": False, "grounding_score": None,
           "semantic_score": None, "closest_interest": None, "citation_share": None, "quality": None,
           "evidence": [{"kind": "contribution", "section": "Abstract", "text": "We propose STLDM."},
                        {"kind": "result", "section": "4 Results", "text": "It beats the baselines."}]}
    if status != "ok":
        for field in ("tldr", "summary", "motivation", "contributions", "method", "experiments"):
            row[field] = None
    row.update(extra)
    return row


def cases() -> dict[str, tuple[dt.date, dict | None, list[dict], dict]]:
    """{name: (day, listing day, rows, monitor fields)}: every branch of the templates at least once."""
    rich = [
        _paper("2512.00001", basis="fulltext", fulltext_status="ok", grounding_score=0.875, citation_share=1.0),
        _paper("2512.00002", version=2, announce_type="replace", is_update=True, basis="fulltext_trimmed",
               dropped_sections=["references", "appendix"], fulltext_status="ok", semantic_score=0.52,
               kept_by=["author", "semantic"],
               closest_interest="Spatio-temporal forecasting", matched_keywords=[], matched_authors=["Ada Lovelace"],
               quality={"language_ok": False}),
        _paper("2512.00003", semantic_score=0.47, closest_interest="Robot learning", matched_keywords=[],
               kept_by=["semantic"], links=[], evidence=[]),
        _paper("2512.00004", status="rejected", quality={"junk": ["invented"]},
               error="invented: 实验说明: 写了文中没有的名称或数字：RMSE"),
        _paper("2512.00005", status="failed", fulltext_status=None, evidence=[]),
    ]
    profile = {"profile_items": ("Spatio-temporal forecasting", "Robot learning", "2512.20014"),
               "exclude": ("survey",), "watch_authors": ("Ada Lovelace",)}
    return {
        "rich": (DAY, LISTING, rich, profile),
        "plain": (DAY, {**LISTING, "note": "the index lagged: marked incomplete"}, rich[:1], {}),
        "all_failed": (DAY, LISTING, rich[3:], {}),
        "none_matched": (DAY, LISTING, [], {}),
        "weekend": (dt.date(2025, 12, 27), None, [], {}),
    }


def renders() -> dict[str, str]:
    """{"<case>/<output>.<language>": text} for every case, output and language."""
    from publishing.digests import digest, email_html, fit_text
    from publishing.report import Monitored, render_report, report_context
    from publishing.site import day_page

    similar = {"2512.00001": [{"arxiv_id": "2405.00009", "title": "An earlier one", "first_announced": "2024-05-02",
                               "similarity": 0.8123}]}
    out = {}
    for name, (day, listing, rows, profile) in cases().items():
        for language in ("zh", "en"):
            monitor = Monitored(language, ("cs.AI", "cs.LG"), ("vla", "traffic prediction"), **profile)
            context = report_context(day, monitor, listing, [dict(r) for r in rows], GENERATED, similar)
            out[f"{name}/report.{language}.md"] = render_report(context)
            out[f"{name}/day.{language}.html"] = day_page(context)
            d = digest(context, "https://example.org/arxiv")
            out[f"{name}/digest.{language}.txt"] = fit_text(d, "markdown", 20_000, False)[0]
            out[f"{name}/email.{language}.html"] = email_html(d, False)
    return out


def save(folder: Path) -> None:
    for key, text in renders().items():
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"{len(renders())} renders saved under {folder}")


def compare(folder: Path) -> dict:
    now = renders()
    before = {str(p.relative_to(folder)): p.read_text(encoding="utf-8") for p in folder.rglob("*") if p.is_file()}
    rows = {key: {"identical": before.get(key) == text, "before_sha256": _sha(before.get(key)),
                  "after_sha256": _sha(text)} for key, text in sorted(now.items())}
    missing = sorted(set(before) - set(now))
    return {"renders": len(now), "identical": sum(r["identical"] for r in rows.values()),
            "different": [k for k, r in rows.items() if not r["identical"]], "missing_now": missing, "outputs": rows}


def _sha(text: str | None) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest()[:16] if text is not None else None


if __name__ == "__main__":
    command, folder = sys.argv[1], Path(sys.argv[2])
    if command == "save":
        save(folder)
    else:
        import platform

        from bench.run import RESULTS

        at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        result = {"benchmark": "renders", "before": sys.argv[3] if len(sys.argv) > 3 else str(folder),
                  **compare(folder), "machine": {"python": platform.python_version(), "at": at}}
        text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
        history = RESULTS / "history" / "renders"
        history.mkdir(parents=True, exist_ok=True)
        (history / f"{at.replace(':', '')}.json").write_text(text)
        (RESULTS / "renders.json").write_text(text)
        print(json.dumps({k: v for k, v in result.items() if k != "outputs"}, indent=1, ensure_ascii=False))
