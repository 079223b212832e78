"""The one configuration: `arxiv-monitor.toml` at the repository root, each key overridable by an
environment variable. Read and validated once, by `load_settings()`, which Dagster's definitions,
the CLI, the tests and the benchmarks all call; nothing reads it at import.

Every key belongs to the resource (or the partitions definition) it configures, under the same name
at both ends: `[llm].backend` is `LLMServerResource.backend`, `[arxiv].page_size` is
`ArxivAPIResource.page_size`. `resources.configured.build_resources` turns a `Settings` into the
resources; nothing else maps settings by hand. Secrets (the LLM API key) are not settings: they
reach the resources through `dg.EnvVar`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from arxiv_domain.announce import ANNOUNCE_TYPES
from arxiv_domain.ids import ARXIV_ID
from arxiv_domain.taxonomy import unknown_categories
from resources.models import DEFAULT_CPU_MODEL, REGISTRY

REPO_ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh", "en")
LLM_BACKENDS = ("auto", "vllm", "llama-cpp", "external")
EMBEDDING_BACKENDS = ("wordllama", "openai")


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the key and where it came from."""


class DataDirError(ConfigError):
    """The data directory cannot take the run's output (not writable, or too little free space)."""


def check_data_dir(home: Path, min_free_megabytes: float) -> None:
    """Fail before any work if `home` cannot be created or written, or has less free space than
    `min_free_megabytes` (the run would die half-way, e.g. in the LLM stage)."""
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


# (section, key, environment variable, kind, what it configures). The key is the field's name in
# each of the resources it configures; "partitions" and "assets" are read by the definitions.
KEYS = [
    ("monitor", "categories", "ARXIV_MONITOR_CATEGORIES", "list", ("monitor",)),
    ("monitor", "keywords", "ARXIV_MONITOR_KEYWORDS", "list", ("monitor",)),
    ("monitor", "language", "ARXIV_MONITOR_LANGUAGE", "str", ("monitor",)),
    ("filter", "exclude", "ARXIV_MONITOR_EXCLUDE", "list", ("monitor",)),
    ("filter", "watch_authors", "ARXIV_MONITOR_WATCH_AUTHORS", "list", ("monitor",)),
    ("filter", "announce_types", "ARXIV_MONITOR_ANNOUNCE_TYPES", "list", ("monitor",)),
    ("filter", "keyword_categories", "ARXIV_MONITOR_KEYWORD_CATEGORIES", "mapping", ("monitor",)),
    ("calendar", "start_date", "ARXIV_MONITOR_START_DATE", "date", ("partitions",)),
    ("calendar", "holidays", "ARXIV_MONITOR_HOLIDAYS", "dates", ("monitor",)),
    ("calendar", "index_grace_hours", "ARXIV_MONITOR_INDEX_GRACE_HOURS", "float", ("monitor",)),
    ("arxiv", "api_url", "ARXIV_API_URL", "str", ("arxiv_api",)),
    ("arxiv", "pdf_url", "ARXIV_PDF_URL", "str", ("pdf_store",)),
    ("arxiv", "min_interval_seconds", "ARXIV_MIN_INTERVAL", "float", ("arxiv_api", "pdf_store")),
    ("arxiv", "page_size", "ARXIV_PAGE_SIZE", "int", ("arxiv_api",)),
    ("arxiv", "max_retries", "ARXIV_MAX_RETRIES", "int", ("arxiv_api", "pdf_store")),
    ("arxiv", "timeout_seconds", "ARXIV_TIMEOUT", "float", ("arxiv_api", "pdf_store")),
    ("arxiv", "max_replacement_pages", "ARXIV_MAX_REPLACEMENT_PAGES", "int", ("arxiv_api",)),
    ("arxiv", "step_retry_delay_seconds", "ARXIV_MONITOR_STEP_RETRY_DELAY", "float", ("assets",)),
    ("fulltext", "max_pdf_megabytes", "ARXIV_MONITOR_MAX_PDF_MB", "float", ("pdf_store",)),
    ("fulltext", "extract_workers", "ARXIV_MONITOR_EXTRACT_WORKERS", "int", ("monitor",)),
    ("fulltext", "extract_time_limit_seconds", "ARXIV_MONITOR_EXTRACT_TIME_LIMIT", "float", ("monitor",)),
    ("llm", "backend", "ARXIV_MONITOR_LLM_BACKEND", "str", ("llm_server",)),
    ("llm", "port", "ARXIV_MONITOR_LLM_PORT", "int", ("llm_server",)),
    ("llm", "url", "ARXIV_MONITOR_LLM_URL", "str", ("llm_server",)),
    ("llm", "vllm_model", "ARXIV_MONITOR_VLLM_MODEL", "str", ("llm_server",)),
    ("llm", "vllm_max_model_len", "ARXIV_MONITOR_VLLM_MAX_MODEL_LEN", "int", ("llm_server",)),
    ("llm", "vllm_gpu_memory_utilization", "ARXIV_MONITOR_VLLM_GPU_MEMORY", "float", ("llm_server",)),
    ("llm", "llama_n_ctx", "ARXIV_MONITOR_LLAMA_N_CTX", "int", ("llm_server",)),
    ("llm", "llama_model", "ARXIV_MONITOR_LLAMA_MODEL", "str", ("llm_server",)),
    ("llm", "analysis_strategy", "ARXIV_MONITOR_LLM_STRATEGY", "str", ("llm_server",)),
    ("llm", "max_output_tokens", "ARXIV_MONITOR_LLM_MAX_OUTPUT_TOKENS", "int", ("llm_server",)),
    ("llm", "max_input_tokens", "ARXIV_MONITOR_LLM_MAX_INPUT_TOKENS", "int", ("llm_server",)),
    ("llm", "llama_field_max_chars", "ARXIV_MONITOR_LLAMA_FIELD_MAX_CHARS", "int", ("llm_server",)),
    ("llm", "vllm_field_max_chars", "ARXIV_MONITOR_VLLM_FIELD_MAX_CHARS", "int", ("llm_server",)),
    ("storage", "min_free_megabytes", "ARXIV_MONITOR_MIN_FREE_MB", "float", ("monitor",)),
    ("relevance", "interests", "ARXIV_MONITOR_INTERESTS", "jsonlist", ("monitor",)),
    ("relevance", "examples", "ARXIV_MONITOR_EXAMPLES", "list", ("monitor",)),
    ("relevance", "bibtex", "ARXIV_MONITOR_BIBTEX", "str", ("monitor",)),
    ("relevance", "threshold", "ARXIV_MONITOR_RELEVANCE_THRESHOLD", "float", ("monitor",)),
    ("relevance", "semantic_weight", "ARXIV_MONITOR_SEMANTIC_WEIGHT", "float", ("monitor",)),
    ("relevance", "similar_papers", "ARXIV_MONITOR_SIMILAR_PAPERS", "int", ("monitor",)),
    ("embeddings", "backend", "ARXIV_MONITOR_EMBEDDING_BACKEND", "str", ("embedder",)),
    ("embeddings", "url", "ARXIV_MONITOR_EMBEDDING_URL", "str", ("embedder",)),
    ("embeddings", "model", "ARXIV_MONITOR_EMBEDDING_MODEL", "str", ("embedder",)),
    ("site", "base_url", "ARXIV_MONITOR_SITE_BASE_URL", "str", ("publish",)),
    ("delivery", "send_empty", "ARXIV_MONITOR_SEND_EMPTY", "bool", ("publish",)),
    ("delivery", "deliver_backfills", "ARXIV_MONITOR_DELIVER_BACKFILLS", "bool", ("publish",)),
    ("delivery", "channels", "ARXIV_MONITOR_DELIVERY_CHANNELS", "channels", ("publish",)),
]
# Keys a configuration file may leave out, with their defaults.
OPTIONAL = {("filter", "exclude"): (), ("filter", "watch_authors"): (), ("filter", "announce_types"): ANNOUNCE_TYPES,
            ("filter", "keyword_categories"): {}, ("arxiv", "step_retry_delay_seconds"): 300.0,
            ("llm", "llama_model"): DEFAULT_CPU_MODEL, ("llm", "analysis_strategy"): "sections",
            ("llm", "max_output_tokens"): 0, ("llm", "max_input_tokens"): 0,
            ("llm", "llama_field_max_chars"): 600, ("llm", "vllm_field_max_chars"): 0,
            ("relevance", "interests"): (), ("relevance", "examples"): (), ("relevance", "bibtex"): "",
            ("relevance", "threshold"): 0.40, ("relevance", "semantic_weight"): 20.0,
            ("relevance", "similar_papers"): 3,
            ("embeddings", "backend"): "wordllama", ("embeddings", "url"): "", ("embeddings", "model"): "",
            ("site", "base_url"): "", ("delivery", "send_empty"): False, ("delivery", "deliver_backfills"): False,
            ("delivery", "channels"): ()}
# Kinds for which a variable set to "" means "empty" (ARXIV_MONITOR_KEYWORDS="": no keywords), not "unset".
EMPTY_MEANS_EMPTY = ("list", "jsonlist", "dates")


@dataclass(frozen=True)
class Settings:
    """Validated settings, grouped by what they configure: `settings.resource("arxiv_api")` is the
    keyword arguments of ArxivAPIResource."""

    values: dict  # (target, key) -> value
    home: Path
    source: Path

    def resource(self, target: str) -> dict:
        """The fields of one resource (lists and strings, as Dagster config takes them)."""
        fields = {key: _config_value(value) for (name, key), value in self.values.items() if name == target}
        if target == "monitor":
            fields["home"] = str(self.home)
        return fields

    def get(self, target: str, key: str):
        return self.values[(target, key)]

    @property
    def start_date(self) -> dt.date:
        return self.get("partitions", "start_date")

    @property
    def step_retry_delay_seconds(self) -> float:
        return self.get("assets", "step_retry_delay_seconds")

    @property
    def database_path(self) -> Path:
        return self.home / "arxiv.duckdb"


def _config_value(value):
    if isinstance(value, frozenset):
        return sorted(d.isoformat() for d in value)
    if isinstance(value, tuple):
        return [dict(v) if isinstance(v, dict) else v for v in value]
    if isinstance(value, dict):
        return {k: list(v) for k, v in value.items()}
    return value


def config_path(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("ARXIV_MONITOR_CONFIG") or REPO_ROOT / "arxiv-monitor.toml")


def _convert(raw, kind: str, origin: str):
    try:
        if kind == "list":
            items = raw.split(",") if isinstance(raw, str) else list(raw)
            # Keep keywords' inner spacing; only drop empty items from "a,,b" or a trailing comma.
            return tuple(str(i) for i in items if str(i).strip())
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            if str(raw).strip().lower() in ("1", "true", "yes", "on"):
                return True
            if str(raw).strip().lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true or false")
        if kind == "channels":
            items = json.loads(raw) if isinstance(raw, str) else raw
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise ValueError("expected a list of channel tables ([[delivery.channels]])")
            return tuple(check_channel(dict(i), n) for n, i in enumerate(items, start=1))
        if kind == "jsonlist":
            items = (json.loads(raw) if raw.strip() else []) if isinstance(raw, str) else raw
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ValueError("expected a list of strings, e.g. [\"robot learning\", \"weather forecasting\"]")
            return tuple(i.strip() for i in items if i.strip())
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
    """Read the file and the environment once and validate every value; a ConfigError names the
    key and where the bad value came from."""
    env = os.environ if env is None else env
    path = config_path(env)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {path} (set ARXIV_MONITOR_CONFIG)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None

    flat: dict[str, object] = {}
    values: dict[tuple[str, str], object] = {}
    for section, key, var, kind, targets in KEYS:
        if var in env and (env[var] != "" or kind in EMPTY_MEANS_EMPTY):
            value = _convert(env[var], kind, f"environment variable {var}")
        elif key in document.get(section, {}):
            value = _convert(document[section][key], kind, f"{path} [{section}].{key}")
        elif (section, key) in OPTIONAL:
            value = OPTIONAL[(section, key)]
        else:
            raise ConfigError(f"{path}: missing [{section}].{key} (or environment variable {var})")
        # Validation reads a key by its name, or by section.key where two sections share a name
        # ([llm].backend and [embeddings].backend).
        flat.setdefault(key, value)
        flat[f"{section}.{key}"] = value
        for target in targets:
            values[(target, key)] = value
    _validate(flat)
    home = Path(env.get("ARXIV_MONITOR_HOME") or "data").expanduser()
    return Settings(values, home.resolve(), path)


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
    _validate_relevance(v)
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
    if v["analysis_strategy"] not in ("sections", "json"):
        raise ConfigError(f"[llm].analysis_strategy must be sections or json, got {v['analysis_strategy']!r} "
                          "(ARXIV_MONITOR_LLM_STRATEGY)")
    if v["backend"] == "external" and not v["url"]:
        raise ConfigError(
            "[llm].backend = external needs [llm].url (ARXIV_MONITOR_LLM_URL), an OpenAI-compatible .../v1"
        )
    if v["min_interval_seconds"] < 0 or v["max_retries"] < 0 or v["step_retry_delay_seconds"] < 0:
        raise ConfigError("ARXIV_MIN_INTERVAL, ARXIV_MAX_RETRIES and ARXIV_MONITOR_STEP_RETRY_DELAY cannot be negative")


def _validate_relevance(v: dict) -> None:
    bad = [e for e in v["examples"] if not ARXIV_ID.match(e.strip())]
    if bad:
        raise ConfigError(f"[relevance].examples / ARXIV_MONITOR_EXAMPLES: not arXiv ids: {bad} "
                          "(write 2512.20014 or math/0601001, without version)")
    if v["bibtex"]:
        from arxiv_domain.bibtex import BibtexError, read_bibtex

        try:
            read_bibtex(Path(v["bibtex"]).expanduser())
        except BibtexError as exc:
            raise ConfigError(f"[relevance].bibtex / ARXIV_MONITOR_BIBTEX: {exc}") from None
    if not 0 < v["threshold"] < 1:
        raise ConfigError(f"[relevance].threshold / ARXIV_MONITOR_RELEVANCE_THRESHOLD must be between 0 and 1 "
                          f"(a cosine similarity), got {v['threshold']}")
    if v["semantic_weight"] < 0 or v["similar_papers"] < 0:
        raise ConfigError("[relevance].semantic_weight and similar_papers cannot be negative")
    if v["embeddings.backend"] not in EMBEDDING_BACKENDS:
        raise ConfigError(f"[embeddings].backend / ARXIV_MONITOR_EMBEDDING_BACKEND must be one of "
                          f"{EMBEDDING_BACKENDS}, got {v['embeddings.backend']!r}")
    if v["embeddings.backend"] == "openai" and not (v["embeddings.url"] and v["embeddings.model"]):
        raise ConfigError("[embeddings].backend = openai needs [embeddings].url and [embeddings].model "
                          "(ARXIV_MONITOR_EMBEDDING_URL, ARXIV_MONITOR_EMBEDDING_MODEL)")


CHANNEL_FIELDS = {
    "email": {"required": ("smtp_host", "sender", "recipients"),
              "optional": ("smtp_port", "security", "username", "password_env", "ca_file")},
    "slack": {"required": ("url_env",), "optional": ()},
    "feishu": {"required": ("url_env",), "optional": ("secret_env",)},
    "dingtalk": {"required": ("url_env",), "optional": ("secret_env",)},
    "webhook": {"required": ("url_env",), "optional": ()},
}
# Keys that would put a secret in the file: each names the key to use instead.
SECRET_KEYS = {"url": "url_env", "webhook": "url_env", "secret": "secret_env", "password": "password_env",
               "token": "url_env"}


def check_channel(channel: dict, position: int) -> dict:
    """One [[delivery.channels]] table, checked: its kind's required keys, no unknown key, no secret."""
    name = str(channel.get("name") or "").strip()
    where = f"[[delivery.channels]] #{position}" + (f" ({name!r})" if name else "")
    if not name:
        raise ValueError(f"{where}: needs a name")
    kind = channel.get("kind")
    if kind not in CHANNEL_FIELDS:
        raise ValueError(f"{where}: kind must be one of {', '.join(CHANNEL_FIELDS)}, got {kind!r}")
    for key, instead in SECRET_KEYS.items():
        if key in channel:
            raise ValueError(f"{where}: {key!r} would put a secret in the file; name the environment variable "
                             f"holding it with {instead!r}")
    allowed = {"name", "kind", *CHANNEL_FIELDS[kind]["required"], *CHANNEL_FIELDS[kind]["optional"]}
    unknown = sorted(set(channel) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown} for a {kind} channel; allowed: {sorted(allowed)}")
    missing = [k for k in CHANNEL_FIELDS[kind]["required"] if not channel.get(k)]
    if missing:
        raise ValueError(f"{where}: a {kind} channel needs {missing}")
    if kind == "email":
        if channel.get("security", "starttls") not in ("starttls", "ssl", "none"):
            raise ValueError(f"{where}: security must be starttls, ssl or none, got {channel['security']!r}")
        if channel.get("username") and not channel.get("password_env"):
            raise ValueError(f"{where}: username given without password_env (the variable holding the password)")
        if not isinstance(channel["recipients"], list) or not all(isinstance(r, str) for r in channel["recipients"]):
            raise ValueError(f"{where}: recipients must be a list of addresses")
    return {**channel, "name": name}
