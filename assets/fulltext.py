"""`paper_fulltext`: each filtered paper's PDF, downloaded and read into sections and links."""

import functools
import hashlib
import inspect
import sys
import time
from collections import Counter

import dagster as dg
import polars as pl

from arxiv_domain.calendar import parse_day
from assets.evidence import KINDS, extract_evidence
from assets.partitions import clear_failures, daily_asset
from assets.pdf_extraction import STATUSES, from_json
from assets.pdf_links import find_links, merge_links
from assets.pdf_workers import extract_many
from resources.data_dir import DataDirResource
from resources.pdf_store import PdfStore, PdfStoreResource
from resources.warehouse import WarehouseResource

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

    from assets import evidence, figures, pdf_extraction, pdf_links

    code = "".join(inspect.getsource(m) for m in (pdf_extraction, pdf_links, evidence, figures,
                                                  sys.modules[__name__]))
    return f"pymupdf {pymupdf.__version__} {hashlib.sha256(code.encode()).hexdigest()[:12]}"


def read_papers(papers: list[dict], store: PdfStore, *, workers: int = 2, time_limit: float = 120.0,
                stored: list[dict] | None = None) -> tuple[list[dict], int]:
    """Download (or take from the cache) and extract every paper; one bad PDF never stops the rest.
    Links come from the abstract, the comments field and the full text, in that order of precedence.
    `stored`: this day's earlier rows (stored_extractions); one made from the same PDF bytes by the same
    code (extractor_identity) is re-used instead of extracted again. Returns (rows, rows re-used)."""
    identity = extractor_identity()
    earlier = {(r["arxiv_id"], r["version"]): r for r in stored or [] if r["extractor"] == identity}
    fetched = [store.fetch(p["arxiv_id"], p["version"]) for p in papers]
    reusable = {i: earlier[(p["arxiv_id"], p["version"])] for i, (p, f) in enumerate(zip(papers, fetched))
                if f.status == "ok" and (p["arxiv_id"], p["version"]) in earlier
                and earlier[(p["arxiv_id"], p["version"])]["pdf_sha256"] == f.sha256}
    readable = [i for i, f in enumerate(fetched) if f.status == "ok" and i not in reusable]
    extracted = dict(zip(readable, extract_many([fetched[i].path for i in readable], workers, time_limit)))
    rows = []
    for i, (paper, fetch) in enumerate(zip(papers, fetched)):
        made = {"arxiv_id": paper["arxiv_id"], "version": paper["version"], "pdf_sha256": fetch.sha256,
                "pdf_bytes": fetch.size, "from_cache": fetch.from_cache}
        if i in reusable:
            rows.append({**made, **{k: reusable[i][k] for k in _REUSED}, "extract_seconds": None})
            continue
        data = extracted.get(i, {"status": fetch.status, "error": fetch.error})
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


def build_paper_fulltext(partitions: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """The paper_fulltext asset over `partitions`."""

    @dg.asset(
        **daily_asset(partitions),
        deps=["filtered_papers"],
        pool="arxiv_api",
        kinds={"duckdb", "pdf"},
        group_name="ingest",
        retry_policy=dg.RetryPolicy(max_retries=1, delay=60),
    )
    @clear_failures
    def paper_fulltext(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                       pdf_store: PdfStoreResource, data_dir: DataDirResource) -> dg.MaterializeResult:
        """Each filtered paper's PDF text, split into sections by its own headings, with its code and
        data links, and a status: ok, no_text, not_pdf, encrypted, too_large, truncated, download_failed,
        extract_failed."""
        data_dir.check()  # a full or read-only disk stops the run here, before any work
        day = parse_day(context.partition_key)
        papers = warehouse.query_rows("papers_to_read", partition_date=day)
        warehouse.ensure_schema()  # a file from before the `extractor` column gets it before it is read
        started = time.perf_counter()
        rows, reused = read_papers(
            papers,
            pdf_store.store(data_dir.pdf_cache_dir),
            workers=pdf_store.extract_workers,
            time_limit=pdf_store.extract_time_limit_seconds,
            stored=warehouse.query_rows("stored_extractions", partition_date=day),
        )
        warehouse.write_partition(day, {"paper_fulltext": pl.DataFrame(rows, schema=FULLTEXT_SCHEMA).to_arrow()})
        counts = Counter(r["status"] for r in rows)
        lines = ["| arXiv id | status | pages | chars | sections | evidence | links |", "|---|---|---|---|---|---|---|"]
        for r in rows:
            kinds = ", ".join(s["kind"] for s in r["sections"]) or (r["error"] or "")[:80]
            links = ", ".join(l["url"] for l in r["links"][:3])
            quoted = Counter(e["kind"] for e in r["evidence"])
            evidence = ", ".join(f"{k} {quoted[k]}" for k in KINDS if quoted[k]) or "none"
            lines.append(f"| {r['arxiv_id']}v{r['version']} | {r['status']} | {r['pages']} | {r['chars']} | {kinds} "
                         f"| {evidence} | {links} |")
        context.log.info(f"{day}: {len(rows)} papers {dict(counts)} in {time.perf_counter() - started:.1f} s")
        return dg.MaterializeResult(
            metadata={
                "papers": len(rows),
                **{f"status_{s}": counts.get(s, 0) for s in STATUSES},
                "pages": sum(r["pages"] or 0 for r in rows),
                "extractions_reused": reused,
                "evidence_quotes": sum(len(r["evidence"]) for r in rows),
                "papers_without_evidence": sum(not r["evidence"] for r in rows),
                "seconds": round(time.perf_counter() - started, 2),
                "preview": dg.MetadataValue.md("\n".join(lines)),
            }
        )

    return paper_fulltext
