"""Everything Dagster loads: `dagster dev -w workspace.yaml` / `dagster definitions validate`."""

from __future__ import annotations

import dagster as dg

from assets.filtering import filtered_papers
from assets.fulltext import paper_fulltext
from assets.listings import raw_listings
from resources.arxiv_api import ArxivAPIResource
from resources.pdf_store import PdfStoreResource
from resources.settings import MonitorConfig, Settings, load_settings
from resources.warehouse import WarehouseResource

ALL_ASSETS = [raw_listings, filtered_papers, paper_fulltext]

daily_digest = dg.define_asset_job("daily_digest", selection=dg.AssetSelection.assets(*ALL_ASSETS))


def build_resources(settings: Settings) -> dict:
    return {
        "arxiv_api": ArxivAPIResource.from_settings(settings),
        "pdf_store": PdfStoreResource(pdf_url=settings.pdf_url, max_megabytes=settings.max_pdf_megabytes,
                                      min_interval_seconds=settings.min_interval_seconds,
                                      max_retries=settings.max_retries, timeout_seconds=settings.timeout_seconds),
        "warehouse": WarehouseResource(database=str(settings.database_path)),
        "monitor": MonitorConfig.from_settings(settings),
    }


defs = dg.Definitions(assets=ALL_ASSETS, jobs=[daily_digest], resources=build_resources(load_settings()))
