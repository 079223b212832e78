"""Everything Dagster loads: `dagster dev -w workspace.yaml` / `dagster definitions validate`."""

from __future__ import annotations

import os

import dagster as dg

from assets.filtering import filtered_papers
from assets.fulltext import paper_fulltext
from assets.listings import raw_listings
from assets.report import daily_report
from assets.summaries import paper_summaries

from resources.arxiv_api import ArxivAPIResource
from resources.llm_server import LLMServerResource
from resources.pdf_store import PdfStoreResource
from resources.settings import MonitorConfig, Settings, load_settings
from resources.warehouse import WarehouseResource
from orchestration.checks import ALL_CHECKS
from orchestration.jobs import daily_digest
from orchestration.schedules import daily_schedule

ALL_ASSETS = [raw_listings, filtered_papers, paper_fulltext, paper_summaries, daily_report]


def build_resources(settings: Settings) -> dict:
    return {
        "arxiv_api": ArxivAPIResource.from_settings(settings),
        "pdf_store": PdfStoreResource(pdf_url=settings.pdf_url, max_megabytes=settings.max_pdf_megabytes,
                                      min_interval_seconds=settings.min_interval_seconds,
                                      max_retries=settings.max_retries, timeout_seconds=settings.timeout_seconds),
        "warehouse": WarehouseResource(database=str(settings.database_path)),
        "llm_server": LLMServerResource(backend=settings.llm_backend, port=settings.llm_port,
                                        external_url=settings.llm_url,
                                        api_key=os.environ.get("ARXIV_MONITOR_LLM_API_KEY", ""),
                                        vllm_model=settings.vllm_model, max_model_len=settings.vllm_max_model_len,
                                        gpu_memory_utilization=settings.vllm_gpu_memory_utilization,
                                        n_ctx=settings.llama_n_ctx, home=str(settings.home)),
        "monitor": MonitorConfig.from_settings(settings),
    }


defs = dg.Definitions(assets=ALL_ASSETS, asset_checks=ALL_CHECKS, jobs=[daily_digest], schedules=[daily_schedule],
                      resources=build_resources(load_settings()))
