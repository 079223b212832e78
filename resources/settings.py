"""The one configuration: `arxiv-monitor.toml` at the repository root, each key overridable by an
environment variable. Validated once, so bad input fails before any request is made."""

from __future__ import annotations

import datetime as dt
import json
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from resources.taxonomy import unknown_categories

REPO_ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh", "en")
ANNOUNCE_TYPES = ("new", "cross", "replace", "replace-cross")


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the key and where it came from."""


class DataDirError(ConfigError):
    """The data directory cannot take the run's output (not writable, or too little free space)."""


def check_data_dir(home: Path, min_free_megabytes: float) -> None:
    """Fail before any work if `home` cannot be created or written, or has less free space than
    `min_free_megabytes` (the run would die half-way, e.g. in the LLM stage)."""
    import shutil
    import tempfile

    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=home, prefix=".write-probe-"):
            pass
    except OSError as exc:
        raise DataDirError(f"data directory {home} is not writable ({exc.strerror or exc}); "
                           "set ARXIV_MONITOR_HOME to a writable folder") from None
    free = shutil.disk_usage(home).free / 2**20
    if free < min_free_megabytes:
        raise DataDirError(f"data directory {home} has {free:.0f} MB free, less than the {min_free_megabytes:g} MB "
                           "a run needs ([storage].min_free_megabytes / ARXIV_MONITOR_MIN_FREE_MB); nothing was done")


@dataclass(frozen=True)
class Settings:
    categories: tuple[str, ...]
    keywords: tuple[str, ...]
    language: str
    exclude: tuple[str, ...]
    watch_authors: tuple[str, ...]
    announce_types: tuple[str, ...]
    keyword_categories: dict
    start_date: dt.date
    holidays: frozenset[dt.date]
    index_grace_hours: float
    api_url: str
    pdf_url: str
    min_interval_seconds: float
    page_size: int
    max_retries: int
    timeout_seconds: float
    max_replacement_pages: int
    max_pdf_megabytes: float
    extract_workers: int
    extract_time_limit_seconds: float
    llm_backend: str
    llm_port: int
    llm_url: str
    vllm_model: str
    vllm_max_model_len: int
    vllm_gpu_memory_utilization: float
    llama_n_ctx: int
    min_free_megabytes: float
    home: Path = field(default=Path("data"))

    @property
    def database_path(self) -> Path:
        return self.home / "arxiv.duckdb"

    @property
    def http_cache_dir(self) -> Path:
        return self.home / "http_cache"

    @property
    def pdf_cache_dir(self) -> Path:
        return self.home / "pdf_cache"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"


# (section, key, environment variable, kind)
_KEYS = [
    ("monitor", "categories", "ARXIV_MONITOR_CATEGORIES", "list"),
    ("monitor", "keywords", "ARXIV_MONITOR_KEYWORDS", "list"),
    ("monitor", "language", "ARXIV_MONITOR_LANGUAGE", "str"),
    ("filter", "exclude", "ARXIV_MONITOR_EXCLUDE", "list"),
    ("filter", "authors", "ARXIV_MONITOR_WATCH_AUTHORS", "list"),
    ("filter", "announce_types", "ARXIV_MONITOR_ANNOUNCE_TYPES", "list"),
    ("filter", "keyword_categories", "ARXIV_MONITOR_KEYWORD_CATEGORIES", "mapping"),
    ("calendar", "start_date", "ARXIV_MONITOR_START_DATE", "date"),
    ("calendar", "holidays", "ARXIV_MONITOR_HOLIDAYS", "dates"),
    ("calendar", "index_grace_hours", "ARXIV_MONITOR_INDEX_GRACE_HOURS", "float"),
    ("arxiv", "api_url", "ARXIV_API_URL", "str"),
    ("arxiv", "pdf_url", "ARXIV_PDF_URL", "str"),
    ("arxiv", "min_interval_seconds", "ARXIV_MIN_INTERVAL", "float"),
    ("arxiv", "page_size", "ARXIV_PAGE_SIZE", "int"),
    ("arxiv", "max_retries", "ARXIV_MAX_RETRIES", "int"),
    ("arxiv", "timeout_seconds", "ARXIV_TIMEOUT", "float"),
    ("arxiv", "max_replacement_pages", "ARXIV_MAX_REPLACEMENT_PAGES", "int"),
    ("fulltext", "max_pdf_megabytes", "ARXIV_MONITOR_MAX_PDF_MB", "float"),
    ("fulltext", "workers", "ARXIV_MONITOR_EXTRACT_WORKERS", "int"),
    ("fulltext", "time_limit_seconds", "ARXIV_MONITOR_EXTRACT_TIME_LIMIT", "float"),
    ("llm", "backend", "ARXIV_MONITOR_LLM_BACKEND", "str"),
    ("llm", "port", "ARXIV_MONITOR_LLM_PORT", "int"),
    ("llm", "url", "ARXIV_MONITOR_LLM_URL", "str"),
    ("llm", "vllm_model", "ARXIV_MONITOR_VLLM_MODEL", "str"),
    ("llm", "vllm_max_model_len", "ARXIV_MONITOR_VLLM_MAX_MODEL_LEN", "int"),
    ("llm", "vllm_gpu_memory_utilization", "ARXIV_MONITOR_VLLM_GPU_MEMORY", "float"),
    ("llm", "llama_n_ctx", "ARXIV_MONITOR_LLAMA_N_CTX", "int"),
    ("storage", "min_free_megabytes", "ARXIV_MONITOR_MIN_FREE_MB", "float"),
]


def config_path() -> Path:
    return Path(os.environ.get("ARXIV_MONITOR_CONFIG", REPO_ROOT / "arxiv-monitor.toml"))


def _convert(raw, kind: str, origin: str):
    try:
        if kind == "list":
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            # Keep keywords' inner spacing; only drop empty items from "a,,b" or a trailing comma.
            return tuple(str(i) for i in items if str(i).strip())
        if kind == "mapping":
            mapping = json.loads(raw) if isinstance(raw, str) else dict(raw)
            if not isinstance(mapping, dict) or not all(isinstance(v, list) for v in mapping.values()):
                raise ValueError("expected {keyword: [categories]}")
            return {str(k): [str(c) for c in v] for k, v in mapping.items()}
        if kind == "str":
            return str(raw).strip()
        if kind == "float":
            return float(raw)
        if kind == "int":
            return int(raw)
        if kind == "date":
            return raw if isinstance(raw, dt.date) else dt.date.fromisoformat(str(raw).strip())
        if kind == "dates":
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            return frozenset(
                i if isinstance(i, dt.date) else dt.date.fromisoformat(str(i).strip()) for i in items if str(i).strip()
            )
    except (TypeError, ValueError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{origin}: cannot read {raw!r} as {kind}: {exc}") from None
    raise AssertionError(kind)


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    path = Path(env.get("ARXIV_MONITOR_CONFIG", REPO_ROOT / "arxiv-monitor.toml"))
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {path} (set ARXIV_MONITOR_CONFIG)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None

    values = {}
    for section, key, var, kind in _KEYS:
        name = {("filter", "authors"): "watch_authors", ("fulltext", "workers"): "extract_workers",
                ("fulltext", "time_limit_seconds"): "extract_time_limit_seconds", ("llm", "backend"): "llm_backend",
                ("llm", "port"): "llm_port", ("llm", "url"): "llm_url"}.get((section, key), key)
        if var in env and env[var] != "":
            values[name] = _convert(env[var], kind, f"environment variable {var}")
        elif key in document.get(section, {}):
            values[name] = _convert(document[section][key], kind, f"{path} [{section}].{key}")
        elif section == "filter":  # optional section: no filter extras
            values[name] = {} if kind == "mapping" else (ANNOUNCE_TYPES if key == "announce_types" else ())
        else:
            raise ConfigError(f"{path}: missing [{section}].{key} (or environment variable {var})")

    if not values["categories"]:
        raise ConfigError("no categories configured ([monitor].categories / ARXIV_MONITOR_CATEGORIES)")
    bad = unknown_categories(list(values["categories"]))
    if bad:
        raise ConfigError(f"unknown arXiv categor{'y' if len(bad) == 1 else 'ies'}: {', '.join(bad)} "
                          "([monitor].categories / ARXIV_MONITOR_CATEGORIES)")
    bad = [t for t in values["announce_types"] if t not in ANNOUNCE_TYPES]
    if bad:
        raise ConfigError(f"unknown announce type(s) {bad}: choose from {ANNOUNCE_TYPES} "
                          "([filter].announce_types / ARXIV_MONITOR_ANNOUNCE_TYPES)")
    for keyword, cats in values["keyword_categories"].items():
        if unknown_categories(cats):
            raise ConfigError(f"[filter.keyword_categories] {keyword!r}: unknown arXiv categories "
                              f"{unknown_categories(cats)}")
    if not [k for k in values["keywords"] if k.strip()] and not values["watch_authors"]:
        raise ConfigError("no keywords and no watched authors: nothing would ever be kept "
                          "([monitor].keywords / ARXIV_MONITOR_KEYWORDS)")
    if values["language"] not in LANGUAGES:
        raise ConfigError(f"language must be one of {LANGUAGES}, got {values['language']!r} "
                          "([monitor].language / ARXIV_MONITOR_LANGUAGE)")
    if not 1 <= values["page_size"] <= 2000:
        raise ConfigError(f"page_size must be 1..2000 (arXiv's limit), got {values['page_size']} (ARXIV_PAGE_SIZE)")
    if values["max_pdf_megabytes"] <= 0 or values["extract_workers"] < 1 or values["extract_time_limit_seconds"] <= 0:
        raise ConfigError("[fulltext] max_pdf_megabytes, workers and time_limit_seconds must be positive")
    if values["llm_backend"] not in ("auto", "vllm", "llama-cpp", "external"):
        raise ConfigError(f"[llm].backend must be auto, vllm, llama-cpp or external, got {values['llm_backend']!r} "
                          "(ARXIV_MONITOR_LLM_BACKEND)")
    if values["llm_backend"] == "external" and not values["llm_url"]:
        raise ConfigError("[llm].backend = external needs [llm].url (ARXIV_MONITOR_LLM_URL), an OpenAI-compatible .../v1")
    if values["min_interval_seconds"] < 0 or values["max_retries"] < 0:
        raise ConfigError("ARXIV_MIN_INTERVAL and ARXIV_MAX_RETRIES cannot be negative")
    home = Path(env.get("ARXIV_MONITOR_HOME") or "data").expanduser()
    return Settings(**values, home=home.resolve())


import dagster as dg  # noqa: E402  (kept below the plain loader, which does not need Dagster)


class MonitorConfig(dg.ConfigurableResource):
    """What to monitor and where the data lives; built from `load_settings()` by the definitions."""

    categories: list[str]
    keywords: list[str]
    language: str = "zh"
    exclude: list[str] = []
    watch_authors: list[str] = []
    announce_types: list[str] = list(ANNOUNCE_TYPES)
    keyword_categories: dict[str, list[str]] = {}
    holidays: list[str] = []
    index_grace_hours: float = 4.0
    extract_workers: int = 2
    extract_time_limit_seconds: float = 120.0
    min_free_megabytes: float = 200.0
    home: str = "data"

    def check_data_dir(self) -> None:
        """In an asset: a data-directory problem fails the step at once, without step retries."""
        try:
            check_data_dir(self.home_path, self.min_free_megabytes)
        except DataDirError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None

    @property
    def holiday_dates(self) -> frozenset[dt.date]:
        return frozenset(dt.date.fromisoformat(h) for h in self.holidays)

    @property
    def home_path(self) -> Path:
        return Path(self.home)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides) -> "MonitorConfig":
        values = dict(categories=list(settings.categories), keywords=list(settings.keywords),
                      language=settings.language, exclude=list(settings.exclude),
                      watch_authors=list(settings.watch_authors), announce_types=list(settings.announce_types),
                      keyword_categories=dict(settings.keyword_categories), holidays=sorted(d.isoformat() for d in settings.holidays),
                      index_grace_hours=settings.index_grace_hours, extract_workers=settings.extract_workers,
                      extract_time_limit_seconds=settings.extract_time_limit_seconds,
                      min_free_megabytes=settings.min_free_megabytes, home=str(settings.home))
        return cls(**{**values, **overrides})
