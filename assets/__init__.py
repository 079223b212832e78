"""The pipeline's assets, one module per asset, each built over the announcement-day partitions, and
the weekly ones built from them.

    raw_listings → listing_embeddings → filtered_papers → paper_fulltext → paper_summaries → daily_report
                                                                                          ├→ report_site
                                                                                          ├→ report_delivery
                                                  (a week's days of) daily_report → weekly_digest → weekly_delivery
"""

from __future__ import annotations

import dagster as dg

ASSET_NAMES = ("raw_listings", "listing_embeddings", "filtered_papers", "paper_fulltext", "paper_summaries",
               "daily_report", "report_site", "report_delivery")


def build_assets(
    partitions: dg.PartitionsDefinition, step_retry_delay_seconds: float = 300.0
) -> list[dg.AssetsDefinition]:
    """Every asset over `partitions`, in chain order (ASSET_NAMES)."""
    from assets.delivery import build_report_delivery
    from assets.embeddings import build_listing_embeddings
    from assets.filtering import build_filtered_papers
    from assets.fulltext import build_paper_fulltext
    from assets.listings import build_raw_listings
    from assets.report import build_daily_report
    from assets.site import build_report_site
    from assets.summaries import build_paper_summaries

    return [
        build_raw_listings(partitions, step_retry_delay_seconds),
        build_listing_embeddings(partitions),
        build_filtered_papers(partitions),
        build_paper_fulltext(partitions),
        build_paper_summaries(partitions),
        build_daily_report(partitions),
        build_report_site(partitions),
        build_report_delivery(partitions),
    ]


def build_weekly_assets(days: dg.PartitionsDefinition, weeks: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    """weekly_digest (from the week's daily partitions) and weekly_delivery, over `weeks`."""
    from assets.weekly import build_weekly_delivery, build_weekly_digest

    return [build_weekly_digest(days, weeks), build_weekly_delivery(weeks)]
