"""Every filtered paper read from its PDF: downloaded or taken from the cache, extracted in worker processes,
its links and evidence found; one bad PDF never stops the rest."""

from __future__ import annotations

import functools
import hashlib
import inspect
import sys
from collections.abc import Callable

import polars as pl

from pdf_reading import evidence, extraction, figures, links
from pdf_reading.evidence import extract_evidence
from pdf_reading.extraction import from_json
from pdf_reading.links import find_links, merge_links
from pdf_reading.workers import extract_many

_SECTION = pl.Struct({"title": pl.Utf8, "kind": pl.Utf8, "text": pl.Utf8})


_LINK = pl.Struct({"url": pl.Utf8, "kind": pl.Utf8, "found_in": pl.Utf8})


_EVIDENCE = pl.Struct({"kind": pl.Utf8, "section": pl.Utf8, "text": pl.Utf8})


FULLTEXT_SCHEMA = {
    "arxiv_id": pl.Utf8, "version": pl.Int32, "status": pl.Utf8, "error": pl.Utf8, "pages": pl.Int32,
    "chars": pl.Int32, "text": pl.Utf8, "sections": pl.List(_SECTION), "links": pl.List(_LINK),
    "pdf_sha256": pl.Utf8, "pdf_bytes": pl.Int64, "from_cache": pl.Boolean, "extract_seconds": pl.Float64,
    "evidence": pl.List(_EVIDENCE), "extractor": pl.Utf8, "figure_png": pl.Binary, "figure_caption": pl.Utf8,
    "figure_page": pl.Int32,
}


# Columns of a stored row that a re-run re-uses as they are (the rest describe the run itself).
_REUSED = ("status", "error", "pages", "chars", "text", "sections", "links", "evidence", "extractor", "figure_png",
           "figure_caption", "figure_page")


@functools.cache
def extractor_identity() -> str:
    """What makes a row from PDF bytes: PyMuPDF's version and the source of the modules that turn the
    PDF into sections, links and evidence, and the row (this one). Any change to them re-extracts."""
    import pymupdf

    code = "".join(inspect.getsource(m) for m in (extraction, links, evidence, figures, sys.modules[__name__]))
    return f"pymupdf {pymupdf.__version__} {hashlib.sha256(code.encode()).hexdigest()[:12]}"


def read_papers(papers: list[dict], fetch: Callable, *, workers: int = 2, time_limit: float = 120.0,
                stored: list[dict] | None = None) -> tuple[list[dict], int]:
    """Download (or take from the cache: `fetch(arxiv_id, version)`, a PdfStore's) and extract every paper;
    one bad PDF never stops the rest.
    Links come from the abstract, the comments field and the full text, in that order of precedence.
    `stored`: this day's earlier rows (stored_extractions); one made from the same PDF bytes by the same
    code (extractor_identity) is re-used instead of extracted again. Returns (rows, rows re-used)."""
    identity = extractor_identity()
    earlier = {(r["arxiv_id"], r["version"]): r for r in stored or [] if r["extractor"] == identity}
    fetched = [fetch(p["arxiv_id"], p["version"]) for p in papers]
    reusable = {i: earlier[(p["arxiv_id"], p["version"])] for i, (p, f) in enumerate(zip(papers, fetched))
                if f.status == "ok" and (p["arxiv_id"], p["version"]) in earlier
                and earlier[(p["arxiv_id"], p["version"])]["pdf_sha256"] == f.sha256}
    readable = [i for i, f in enumerate(fetched) if f.status == "ok" and i not in reusable]
    extracted = dict(zip(readable, extract_many([fetched[i].path for i in readable], workers, time_limit)))
    rows = []
    for i, (paper, got) in enumerate(zip(papers, fetched)):
        made = {"arxiv_id": paper["arxiv_id"], "version": paper["version"], "pdf_sha256": got.sha256,
                "pdf_bytes": got.size, "from_cache": got.from_cache}
        if i in reusable:
            rows.append({**made, **{k: reusable[i][k] for k in _REUSED}, "extract_seconds": None})
            continue
        data = extracted.get(i, {"status": got.status, "error": got.error})
        extraction = from_json(data)
        links = merge_links(find_links(paper.get("abstract"), "abstract"), find_links(paper.get("comment"), "comment"),
                            extraction.links)
        sections = [{"title": s.title, "kind": s.kind, "text": s.text} for s in extraction.sections]
        evidence = extract_evidence(paper.get("abstract") or "", sections if extraction.status == "ok" else [])
        rows.append({
            **made, "status": extraction.status, "error": extraction.error, "pages": extraction.pages,
            "chars": extraction.chars, "text": extraction.text, "sections": sections,
            "evidence": [e.as_row() for e in evidence], "links": links, "extract_seconds": data.get("seconds"),
            "extractor": identity, "figure_png": (data.get("figure") or {}).get("png"),
            "figure_caption": (data.get("figure") or {}).get("caption"),
            "figure_page": (data.get("figure") or {}).get("page"),
        })
    return rows, len(reusable)
