"""The full-text stage: `paper_fulltext`, each filtered paper read from its PDF (pdf_reading/)."""

import time
from collections import Counter

import dagster as dg
import polars as pl

from assets.partitions import clear_failures, daily_asset, start_step
from pdf_reading.evidence import KINDS
from pdf_reading.extraction import STATUSES
from pdf_reading.papers import FULLTEXT_SCHEMA, read_papers
from resources.data_dir import DataDirResource
from resources.pdf_store import PdfStoreResource
from resources.warehouse import WarehouseResource


def fulltext_preview(rows: list[dict]) -> str:
    lines = ["| arXiv id | status | pages | chars | sections | evidence | links |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        kinds = ", ".join(s["kind"] for s in r["sections"]) or (r["error"] or "")[:80]
        links = ", ".join(l["url"] for l in r["links"][:3])
        quoted = Counter(e["kind"] for e in r["evidence"])
        evidence = ", ".join(f"{k} {quoted[k]}" for k in KINDS if quoted[k]) or "none"
        lines.append(f"| {r['arxiv_id']}v{r['version']} | {r['status']} | {r['pages']} | {r['chars']} | {kinds} "
                     f"| {evidence} | {links} |")
    return "\n".join(lines)


def build_paper_fulltext(days: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(**daily_asset(days), deps=["filtered_papers"], pool="arxiv_api", kinds={"duckdb", "pdf"},
              group_name="ingest", retry_policy=dg.RetryPolicy(max_retries=1, delay=60))
    @clear_failures
    def paper_fulltext(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                       pdf_store: PdfStoreResource, data_dir: DataDirResource) -> dg.MaterializeResult:
        """Each filtered paper's PDF text, split into sections by its own headings, with its code and
        data links, and a status: ok, no_text, not_pdf, encrypted, too_large, truncated, download_failed,
        extract_failed."""
        day = start_step(context, data_dir)
        papers = warehouse.query_rows("papers_to_read", partition_date=day)
        warehouse.ensure_schema()  # a file from before the `extractor` column gets it before it is read
        started = time.perf_counter()
        rows, reused = read_papers(papers, pdf_store.store(data_dir.pdf_cache_dir).fetch,
                                   workers=pdf_store.extract_workers, time_limit=pdf_store.extract_time_limit_seconds,
                                   stored=warehouse.query_rows("stored_extractions", partition_date=day))
        warehouse.write_partition(day, {"paper_fulltext": pl.DataFrame(rows, schema=FULLTEXT_SCHEMA).to_arrow()})
        counts = Counter(r["status"] for r in rows)
        return dg.MaterializeResult(metadata={
            "papers": len(rows), **{f"status_{s}": counts.get(s, 0) for s in STATUSES},
            "pages": sum(r["pages"] or 0 for r in rows), "extractions_reused": reused,
            "evidence_quotes": sum(len(r["evidence"]) for r in rows),
            "papers_without_evidence": sum(not r["evidence"] for r in rows),
            "seconds": round(time.perf_counter() - started, 2),
            "preview": dg.MetadataValue.md(fulltext_preview(rows)),
        })

    return paper_fulltext
