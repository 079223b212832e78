"""The one path from settings to resources: `build_resources(load_settings())`.

Dagster's definitions, the CLI, the tests and the benchmarks all build their resources here; an
override changes named fields of one resource (`arxiv_api={"min_interval_seconds": 0}`), with the
same names as the settings keys; the reader's by section (`reader={"relevance": {"interests": [...]}}`).
"""

from __future__ import annotations

import os

import dagster as dg

from resources.arxiv_api import ArxivAPIResource
from resources.data_dir import DataDirResource
from resources.embedder import EmbedderResource
from resources.llm_server import LLMServerResource
from resources.pdf_store import PdfStoreResource
from resources.publish import PublishResource
from resources.reader import ReaderResource
from resources.settings import Settings
from resources.warehouse import WarehouseResource

LLM_API_KEY_VAR = "ARXIV_MONITOR_LLM_API_KEY"
EMBEDDING_API_KEY_VAR = "ARXIV_MONITOR_EMBEDDING_API_KEY"
RESOURCE_CLASSES = {"arxiv_api": ArxivAPIResource, "pdf_store": PdfStoreResource, "warehouse": WarehouseResource,
                    "llm_server": LLMServerResource, "reader": ReaderResource, "embedder": EmbedderResource,
                    "publish": PublishResource, "data_dir": DataDirResource}


def build_resources(settings: Settings, **overrides: dict) -> dict:
    """{resource key: resource} for `settings`; `overrides[key]` replaces fields of that resource."""
    unknown = set(overrides) - set(RESOURCE_CLASSES)
    if unknown:
        raise ValueError(f"no resource named {sorted(unknown)}; resources: {sorted(RESOURCE_CLASSES)}")
    fields = {name: settings.resource(name) for name in RESOURCE_CLASSES if name != "warehouse"}
    fields["warehouse"] = {"database": str(settings.database_path)}
    # The key is a secret: Dagster shows the variable's name, never its value. Unset: a key is
    # generated once into $ARXIV_MONITOR_HOME/llm_api_key.
    if os.environ.get(LLM_API_KEY_VAR):
        fields["llm_server"]["api_key"] = dg.EnvVar(LLM_API_KEY_VAR)
    if os.environ.get(EMBEDDING_API_KEY_VAR):
        fields["embedder"]["api_key"] = dg.EnvVar(EMBEDDING_API_KEY_VAR)
    for name, changes in overrides.items():
        fields[name] = {**fields[name], **{k: {**fields[name][k], **v} if isinstance(v, dict) and isinstance(
            fields[name].get(k), dict) else v for k, v in changes.items()}}
    return {name: cls(**fields[name]) for name, cls in RESOURCE_CLASSES.items()}
