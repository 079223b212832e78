"""The pipeline's Dagster assets, one module per stage, each built over the announcement-day partitions
(assets/partitions.py), and the weekly ones built from them. The code they call lives in the domain
packages beside them (pdf_reading, llm_analysis, ranking, publishing); an asset reads the stored rows,
calls that code with plain values, and writes one partition.

    ingest:     raw_listings → listing_embeddings → filtered_papers
    fulltext:   paper_fulltext
    analysis:   paper_summaries
    publishing: daily_report ├→ report_site ├→ report_delivery          (per reader in a lab)
    weekly:     (a week's days of) daily_report → weekly_digest → weekly_delivery  (per reader in a lab)
"""

import dagster as dg

from assets.analysis import build_paper_summaries
from assets.fulltext import build_paper_fulltext
from assets.ingest import build_filtered_papers, build_listing_embeddings, build_raw_listings
from assets.partitions import per_reader
from assets.publishing import build_daily_report, build_report_delivery, build_report_site
from assets.weekly import build_weekly_delivery, build_weekly_digest

ASSET_NAMES = ("raw_listings", "listing_embeddings", "filtered_papers", "paper_fulltext", "paper_summaries",
               "daily_report", "report_site", "report_delivery")


def build_assets(days: dg.PartitionsDefinition, step_retry_delay_seconds: float = 300.0,
                 readers: list[str] | None = None) -> list[dg.AssetsDefinition]:
    """Every daily asset in chain order (ASSET_NAMES): the shared ones over `days`, each reader's (the report, the
    pages, the digest) over `days` × `readers` (a lab's), or over `days` for a single reader."""
    own = per_reader(days, readers)
    return [build_raw_listings(days, step_retry_delay_seconds), build_listing_embeddings(days),
            build_filtered_papers(days), build_paper_fulltext(days), build_paper_summaries(days),
            build_daily_report(own), build_report_site(own), build_report_delivery(own)]


def build_weekly_assets(weeks: dg.PartitionsDefinition, readers: list[str] | None = None) -> list[dg.AssetsDefinition]:
    """weekly_digest (from the week's daily partitions) and weekly_delivery, over `weeks` (× a lab's readers)."""
    own = per_reader(weeks, readers)
    return [build_weekly_digest(own), build_weekly_delivery(own)]
