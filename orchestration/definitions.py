"""Everything Dagster loads: `dagster dev -w workspace.yaml` / `dagster definitions validate`."""

from __future__ import annotations

import dagster as dg

from assets.listings import raw_listings
from resources.arxiv_api import ArxivAPIResource
from resources.settings import MonitorConfig, Settings, load_settings
from resources.warehouse import WarehouseResource

ALL_ASSETS = [raw_listings]

daily_digest = dg.define_asset_job("daily_digest", selection=dg.AssetSelection.assets(*ALL_ASSETS))


def build_resources(settings: Settings) -> dict:
    return {
        "arxiv_api": ArxivAPIResource.from_settings(settings),
        "warehouse": WarehouseResource(database=str(settings.database_path)),
        "monitor": MonitorConfig.from_settings(settings),
    }


defs = dg.Definitions(assets=ALL_ASSETS, jobs=[daily_digest], resources=build_resources(load_settings()))
