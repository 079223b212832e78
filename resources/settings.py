"""The one configuration: `arxiv-monitor.toml` at the repository root, each key overridable by an
environment variable. Read and validated once, by `load_settings()`, which Dagster's definitions,
the CLI, the tests and the benchmarks all call; nothing reads it at import.

The schema is the resources' typed fields: a key's type, default and description are those of the
field it sets (`[llm].backend` is `LLMServerResource.backend`, `[arxiv].page_size` is
`ArxivAPIResource.page_size`), and `SETTINGS` only says where each field is read from: its section of
the file and its environment variable. Values are checked against the field's type (pydantic), so an
error names the key, the variable and the type expected. `arxiv-monitor config` shows the effective
values and where each came from; docs/configuration.md is generated from the same schema. Secrets
(API keys) are not settings: they reach the resources through `dg.EnvVar`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path

import pydantic
from pydantic import Field

from arxiv_domain.announce import ANNOUNCE_TYPES
from arxiv_domain.bibtex import BibtexError, read_bibtex
from arxiv_domain.ids import ARXIV_ID
from arxiv_domain.taxonomy import unknown_categories
from llm_analysis.models import REGISTRY
from resources.arxiv_api import ArxivAPIResource
from resources.data_dir import DataDirResource
from resources.embedder import BACKENDS as EMBEDDING_BACKENDS
from resources.embedder import EmbedderResource
from resources.llm_server import BACKENDS as LLM_BACKENDS
from resources.llm_server import LLMServerResource
from resources.monitor import MonitorResource
from resources.pdf_store import PdfStoreResource
from resources.publish import PublishResource, check_channel

REPO_ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh", "en")


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the key and where it came from."""


class DefinitionsSettings(pydantic.BaseModel):
    """The settings Dagster's definitions read themselves, not a resource."""

    start_date: dt.date = Field(dt.date(2025, 12, 1), description=(
        "The first partition (announcement day) the Dagster UI shows."))
    step_retry_delay_seconds: float = Field(300.0, description=(
        "Seconds before Dagster retries a failed listing or PDF step once (arXiv down for minutes); the client "
        "already retries each request."))


@dataclass(frozen=True)
class Setting:
    """Where one schema field is read from: `[section].key` of the file, or the variable `var`;
    `targets`: the resources (or "definitions") whose field of that name it sets."""

    section: str
    key: str
    var: str
    targets: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"[{self.section}].{self.key}"

    @property
    def field(self) -> pydantic.fields.FieldInfo:
        return schema_classes()[self.targets[0]].model_fields[self.key]

    @property
    def required(self) -> bool:
        return self.field.is_required()

    @property
    def default(self):
        return self.field.get_default(call_default_factory=True)


def _s(section: str, key: str, var: str, *targets: str) -> Setting:
    return Setting(section, key, var, targets)


SETTINGS = [
    _s("monitor", "categories", "ARXIV_MONITOR_CATEGORIES", "monitor"),
    _s("monitor", "keywords", "ARXIV_MONITOR_KEYWORDS", "monitor"),
    _s("monitor", "language", "ARXIV_MONITOR_LANGUAGE", "monitor"),
    _s("filter", "exclude", "ARXIV_MONITOR_EXCLUDE", "monitor"),
    _s("filter", "watch_authors", "ARXIV_MONITOR_WATCH_AUTHORS", "monitor"),
    _s("filter", "announce_types", "ARXIV_MONITOR_ANNOUNCE_TYPES", "monitor"),
    _s("filter", "keyword_categories", "ARXIV_MONITOR_KEYWORD_CATEGORIES", "monitor"),
    _s("calendar", "start_date", "ARXIV_MONITOR_START_DATE", "definitions"),
    _s("calendar", "holidays", "ARXIV_MONITOR_HOLIDAYS", "monitor"),
    _s("calendar", "index_grace_hours", "ARXIV_MONITOR_INDEX_GRACE_HOURS", "monitor"),
    _s("arxiv", "api_url", "ARXIV_API_URL", "arxiv_api"),
    _s("arxiv", "pdf_url", "ARXIV_PDF_URL", "pdf_store"),
    _s("arxiv", "min_interval_seconds", "ARXIV_MIN_INTERVAL", "arxiv_api", "pdf_store"),
    _s("arxiv", "page_size", "ARXIV_PAGE_SIZE", "arxiv_api"),
    _s("arxiv", "max_retries", "ARXIV_MAX_RETRIES", "arxiv_api", "pdf_store"),
    _s("arxiv", "timeout_seconds", "ARXIV_TIMEOUT", "arxiv_api", "pdf_store"),
    _s("arxiv", "max_replacement_pages", "ARXIV_MAX_REPLACEMENT_PAGES", "arxiv_api"),
    _s("arxiv", "step_retry_delay_seconds", "ARXIV_MONITOR_STEP_RETRY_DELAY", "definitions"),
    _s("fulltext", "max_pdf_megabytes", "ARXIV_MONITOR_MAX_PDF_MB", "pdf_store"),
    _s("fulltext", "extract_workers", "ARXIV_MONITOR_EXTRACT_WORKERS", "pdf_store"),
    _s("fulltext", "extract_time_limit_seconds", "ARXIV_MONITOR_EXTRACT_TIME_LIMIT", "pdf_store"),
    _s("llm", "backend", "ARXIV_MONITOR_LLM_BACKEND", "llm_server"),
    _s("llm", "port", "ARXIV_MONITOR_LLM_PORT", "llm_server"),
    _s("llm", "url", "ARXIV_MONITOR_LLM_URL", "llm_server"),
    _s("llm", "vllm_model", "ARXIV_MONITOR_VLLM_MODEL", "llm_server"),
    _s("llm", "vllm_max_model_len", "ARXIV_MONITOR_VLLM_MAX_MODEL_LEN", "llm_server"),
    _s("llm", "vllm_gpu_memory_utilization", "ARXIV_MONITOR_VLLM_GPU_MEMORY", "llm_server"),
    _s("llm", "llama_n_ctx", "ARXIV_MONITOR_LLAMA_N_CTX", "llm_server"),
    _s("llm", "llama_model", "ARXIV_MONITOR_LLAMA_MODEL", "llm_server"),
    _s("llm", "max_output_tokens", "ARXIV_MONITOR_LLM_MAX_OUTPUT_TOKENS", "llm_server"),
    _s("llm", "max_input_tokens", "ARXIV_MONITOR_LLM_MAX_INPUT_TOKENS", "llm_server"),
    _s("storage", "min_free_megabytes", "ARXIV_MONITOR_MIN_FREE_MB", "data_dir"),
    _s("relevance", "interests", "ARXIV_MONITOR_INTERESTS", "monitor"),
    _s("relevance", "examples", "ARXIV_MONITOR_EXAMPLES", "monitor"),
    _s("relevance", "bibtex", "ARXIV_MONITOR_BIBTEX", "monitor"),
    _s("relevance", "threshold", "ARXIV_MONITOR_RELEVANCE_THRESHOLD", "monitor"),
    _s("relevance", "calibrated_threshold", "ARXIV_MONITOR_CALIBRATED_THRESHOLD", "monitor"),
    _s("relevance", "profile", "ARXIV_MONITOR_PROFILE", "monitor"),
    _s("relevance", "learn_after", "ARXIV_MONITOR_LEARN_AFTER", "monitor"),
    _s("relevance", "learned_threshold", "ARXIV_MONITOR_LEARNED_THRESHOLD", "monitor"),
    _s("relevance", "semantic_weight", "ARXIV_MONITOR_SEMANTIC_WEIGHT", "monitor"),
    _s("relevance", "similar_papers", "ARXIV_MONITOR_SIMILAR_PAPERS", "monitor"),
    _s("weekly", "weekly_papers", "ARXIV_MONITOR_WEEKLY_PAPERS", "monitor"),
    _s("embeddings", "backend", "ARXIV_MONITOR_EMBEDDING_BACKEND", "embedder"),
    _s("embeddings", "url", "ARXIV_MONITOR_EMBEDDING_URL", "embedder"),
    _s("embeddings", "model", "ARXIV_MONITOR_EMBEDDING_MODEL", "embedder"),
    _s("site", "base_url", "ARXIV_MONITOR_SITE_BASE_URL", "publish"),
    _s("delivery", "send_empty", "ARXIV_MONITOR_SEND_EMPTY", "publish"),
    _s("delivery", "deliver_backfills", "ARXIV_MONITOR_DELIVER_BACKFILLS", "publish"),
    _s("delivery", "channels", "ARXIV_MONITOR_DELIVERY_CHANNELS", "publish"),
]


def schema_classes() -> dict[str, type[pydantic.BaseModel]]:
    """{target: the class whose fields are its schema}."""
    return {"monitor": MonitorResource, "arxiv_api": ArxivAPIResource, "pdf_store": PdfStoreResource,
            "llm_server": LLMServerResource, "embedder": EmbedderResource, "publish": PublishResource,
            "data_dir": DataDirResource, "definitions": DefinitionsSettings}


@dataclass(frozen=True)
class Settings:
    """Validated settings: `settings.resource("arxiv_api")` is the keyword arguments of
    ArxivAPIResource; `sources[name]` says where each value came from."""

    values: dict  # "[section].key" -> value
    sources: dict  # "[section].key" -> "default" | "file" | "environment"
    home: Path
    source: Path

    def resource(self, target: str) -> dict:
        """The fields of one resource, as Dagster config takes them."""
        fields = {s.key: self.values[s.name] for s in SETTINGS if target in s.targets}
        if target == "data_dir":
            fields["home"] = str(self.home)
        return fields

    def get(self, target: str, key: str):
        (setting,) = [s for s in SETTINGS if target in s.targets and s.key == key]
        return self.values[setting.name]

    @property
    def start_date(self) -> dt.date:
        return self.get("definitions", "start_date")

    @property
    def step_retry_delay_seconds(self) -> float:
        return self.get("definitions", "step_retry_delay_seconds")

    @property
    def database_path(self) -> Path:
        return self.home / "arxiv.duckdb"


def config_path(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("ARXIV_MONITOR_CONFIG") or REPO_ROOT / "arxiv-monitor.toml")


def type_name(annotation) -> str:
    """The field's type as the messages and the reference say it."""
    names = {str: "string", int: "integer", float: "number", bool: "true or false", dt.date: "date (YYYY-MM-DD)"}
    if annotation in names:
        return names[annotation]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list:
        return "list of strings" if args == (str,) else "list of tables"
    if origin is dict:
        return "table of lists of strings"
    return str(annotation)


def _is_collection(annotation) -> bool:
    return typing.get_origin(annotation) in (list, dict)


def _from_environment(raw: str, annotation):
    """A variable's text as the field's type takes it: JSON for a list or table written as one
    ([...] / {...}), else a list is comma-separated ("" is an empty list); scalars as written
    (pydantic converts "3" and "true"). None: unset ("" for a scalar)."""
    text = raw.strip()
    if _is_collection(annotation):
        if text.startswith(("[", "{")):
            return json.loads(text)
        if typing.get_origin(annotation) is dict:
            raise ValueError("expected a JSON object")
        return [item for item in raw.split(",") if item.strip()]
    return text or None


def _checked(setting: Setting, raw, origin: str):
    annotation = setting.field.annotation
    try:
        if setting.key == "channels":
            if not isinstance(raw, list) or not all(isinstance(i, dict) for i in raw):
                raise ValueError("expected a list of channel tables ([[delivery.channels]])")
            return [check_channel(dict(i), n) for n, i in enumerate(raw, start=1)]
        value = pydantic.TypeAdapter(annotation).validate_python(raw)
    except pydantic.ValidationError as exc:
        problem = "; ".join(e["msg"] for e in exc.errors())
        raise ConfigError(f"{origin}: expected {type_name(annotation)}, got {raw!r} ({problem})") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{origin}: {exc}") from None
    return value.strip() if isinstance(value, str) else value


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the file and the environment once and validate every value; a ConfigError names the
    key, the variable and where the bad value came from."""
    env = os.environ if env is None else env
    path = config_path(env)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {path} (set ARXIV_MONITOR_CONFIG)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    known = {(s.section, s.key) for s in SETTINGS}
    unknown = [f"[{section}].{key}" for section, table in document.items() if isinstance(table, dict)
               for key in table if (section, key) not in known]
    unknown += [key for key, value in document.items() if not isinstance(value, dict)]
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; `arxiv-monitor config` lists the keys")

    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        raw = env.get(setting.var)
        where = f"{setting.name} from environment variable {setting.var}"
        if raw is not None:
            try:
                raw = _from_environment(raw, setting.field.annotation)
            except (ValueError, json.JSONDecodeError) as exc:
                raise ConfigError(f"{where}: expected {type_name(setting.field.annotation)}: {exc}") from None
        if raw is not None:
            values[setting.name], sources[setting.name] = _checked(setting, raw, where), "environment"
        elif setting.key in document.get(setting.section, {}):
            values[setting.name] = _checked(setting, document[setting.section][setting.key],
                                            f"{path} {setting.name} (or {setting.var})")
            sources[setting.name] = "file"
        elif not setting.required:
            values[setting.name], sources[setting.name] = setting.default, "default"
        else:
            raise ConfigError(f"{path}: missing {setting.name} (or environment variable {setting.var}): "
                              f"{type_name(setting.field.annotation)}, no default")
    flat: dict[str, object] = {}
    for setting in SETTINGS:  # validation reads a key by its name, or by section.key where names repeat
        flat.setdefault(setting.key, values[setting.name])
        flat[f"{setting.section}.{setting.key}"] = values[setting.name]
    _validate(flat)
    home = Path(env.get("ARXIV_MONITOR_HOME") or "data").expanduser()
    return Settings(values, sources, home.resolve(), path)


def _validate(v: dict) -> None:

    if not v["categories"]:
        raise ConfigError("no categories configured ([monitor].categories / ARXIV_MONITOR_CATEGORIES)")
    bad = unknown_categories(list(v["categories"]))
    if bad:
        raise ConfigError(f"unknown arXiv categor{'y' if len(bad) == 1 else 'ies'}: {', '.join(bad)} "
                          "([monitor].categories / ARXIV_MONITOR_CATEGORIES)")
    bad = [t for t in v["announce_types"] if t not in ANNOUNCE_TYPES]
    if bad:
        raise ConfigError(f"unknown announce type(s) {bad}: choose from {ANNOUNCE_TYPES} "
                          "([filter].announce_types / ARXIV_MONITOR_ANNOUNCE_TYPES)")
    for keyword, cats in v["keyword_categories"].items():
        if unknown_categories(cats):
            raise ConfigError(f"[filter.keyword_categories] {keyword!r}: unknown arXiv categories "
                              f"{unknown_categories(cats)}")
    if not [k for k in v["keywords"] if k.strip()] and not v["watch_authors"] and not (
            v["interests"] or v["examples"] or v["bibtex"]):
        raise ConfigError("no keywords, no watched authors and no interests: nothing would ever be kept "
                          "([monitor].keywords / ARXIV_MONITOR_KEYWORDS, [relevance].interests / "
                          "ARXIV_MONITOR_INTERESTS)")
    _validate_relevance(v, EMBEDDING_BACKENDS)
    for day in v["holidays"]:
        try:
            dt.date.fromisoformat(day.strip())
        except ValueError:
            raise ConfigError(f"[calendar].holidays / ARXIV_MONITOR_HOLIDAYS: {day!r} is not a date "
                              "(YYYY-MM-DD)") from None
    names = [c["name"] for c in v["channels"]]
    if len(names) != len(set(names)):
        raise ConfigError(f"[[delivery.channels]]: channel names must differ, got {names}")
    if v["language"] not in LANGUAGES:
        raise ConfigError(f"language must be one of {LANGUAGES}, got {v['language']!r} "
                          "([monitor].language / ARXIV_MONITOR_LANGUAGE)")
    if not 1 <= v["page_size"] <= 2000:
        raise ConfigError(f"page_size must be 1..2000 (arXiv's limit), got {v['page_size']} (ARXIV_PAGE_SIZE)")
    if v["max_pdf_megabytes"] <= 0 or v["extract_workers"] < 1 or v["extract_time_limit_seconds"] <= 0:
        raise ConfigError("[fulltext] max_pdf_megabytes, extract_workers and extract_time_limit_seconds "
                          "must be positive")
    if v["backend"] not in LLM_BACKENDS:
        raise ConfigError(
            f"[llm].backend must be auto, vllm, llama-cpp or external, got {v['backend']!r} (ARXIV_MONITOR_LLM_BACKEND)"
        )
    if v["llama_model"] not in REGISTRY and not Path(v["llama_model"]).expanduser().is_file():
        raise ConfigError(f"[llm].llama_model / ARXIV_MONITOR_LLAMA_MODEL: {v['llama_model']!r} is neither a model "
                          f"name ({', '.join(REGISTRY)}) nor a GGUF file")
    if v["backend"] == "external" and not v["url"]:
        raise ConfigError(
            "[llm].backend = external needs [llm].url (ARXIV_MONITOR_LLM_URL), an OpenAI-compatible .../v1"
        )
    if v["min_interval_seconds"] < 0 or v["max_retries"] < 0 or v["step_retry_delay_seconds"] < 0:
        raise ConfigError("ARXIV_MIN_INTERVAL, ARXIV_MAX_RETRIES and ARXIV_MONITOR_STEP_RETRY_DELAY cannot be negative")


def _validate_relevance(v: dict, embedding_backends: tuple[str, ...]) -> None:
    bad = [e for e in v["examples"] if not ARXIV_ID.match(e.strip())]
    if bad:
        raise ConfigError(f"[relevance].examples / ARXIV_MONITOR_EXAMPLES: not arXiv ids: {bad} "
                          "(write 2512.20014 or math/0601001, without version)")
    if v["bibtex"]:
        try:
            read_bibtex(Path(v["bibtex"]).expanduser())
        except BibtexError as exc:
            raise ConfigError(f"[relevance].bibtex / ARXIV_MONITOR_BIBTEX: {exc}") from None
    if not 0 < v["threshold"] < 1:
        raise ConfigError(f"[relevance].threshold / ARXIV_MONITOR_RELEVANCE_THRESHOLD must be between 0 and 1 "
                          f"(a cosine similarity), got {v['threshold']}")
    if v["semantic_weight"] < 0 or v["similar_papers"] < 0:
        raise ConfigError("[relevance].semantic_weight and similar_papers cannot be negative")
    if v["embeddings.backend"] not in embedding_backends:
        raise ConfigError(f"[embeddings].backend / ARXIV_MONITOR_EMBEDDING_BACKEND must be one of "
                          f"{embedding_backends}, got {v['embeddings.backend']!r}")
    if v["embeddings.backend"] == "openai" and not (v["embeddings.url"] and v["embeddings.model"]):
        raise ConfigError("[embeddings].backend = openai needs [embeddings].url and [embeddings].model "
                          "(ARXIV_MONITOR_EMBEDDING_URL, ARXIV_MONITOR_EMBEDDING_MODEL)")


# ---------------------------------------------------------------- the schema written out


