"""The one configuration: `arxiv-monitor.toml` at the repository root, each key overridable by an
environment variable. Read and validated once, by `load_settings()`, which Dagster's definitions,
the CLI, the tests and the benchmarks all call; nothing reads it at import.

The schema is the resources' typed fields: a field declared with `setting(section, variable, …)`
(resources/fields.py) is the key `[section].name` and the variable, with the field's type, bounds, default
and description. Each TOML section is one pydantic model made of its fields, so the file and the
environment are validated generically, and an error names the key, the variable and the type expected;
what spans fields (a backend that needs a URL) is the resource's own validator. `arxiv-monitor config`
shows the effective values and where each came from; docs/configuration.md is generated from the same
schema. Secrets (API keys) are not settings: they reach the resources through `dg.EnvVar`.
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

from resources.schema import (
    SCHEMA,
    SECTIONS,
    SETTINGS,
    TABLE_LISTS,
    declared,
    is_section,
    section_model,
    setting_of,
    type_name,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A configuration value is wrong; the message names the key and where it came from."""


@dataclass(frozen=True)
class Settings:
    """Validated settings: `values[(section, key)]`, `sources[(section, key)]` (default, file or
    environment); `resource(key)` is the keyword arguments of one resource."""

    values: dict
    sources: dict
    home: Path
    source: Path

    def get(self, section: str, key: str):
        return self.values[(section, key)]

    def resource(self, key: str) -> dict:
        """The fields of one resource (a section of the reader as its own table), as Dagster config takes them."""
        cls, fields = SCHEMA[key], {}
        for name, field in cls.model_fields.items():
            if is_section(field):
                fields[name] = {s.key: self.values[(s.section, s.key)] for s in declared(field.annotation)}
            elif (s := setting_of(name, field)) is not None:
                fields[name] = self.values[(s.section, s.key)]
        if "home" in cls.model_fields:
            fields["home"] = str(self.home)
        return fields

    @property
    def start_date(self) -> dt.date:
        return dt.date.fromisoformat(self.get("calendar", "start_date"))

    @property
    def step_retry_delay_seconds(self) -> float:
        return self.get("arxiv", "step_retry_delay_seconds")

    @property
    def database_path(self) -> Path:
        return self.home / "arxiv.duckdb"


def config_path(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("ARXIV_MONITOR_CONFIG") or REPO_ROOT / "arxiv-monitor.toml")


def from_environment(raw: str, annotation):
    """A variable's text as the field's type takes it: JSON for a list or table written as one
    ([...] / {...}), else a list is comma-separated ("" is an empty list); scalars as written
    (pydantic converts "3" and "true"). None: unset ("" for a scalar)."""
    text, origin = raw.strip(), typing.get_origin(annotation)
    if origin in (list, dict):
        if text.startswith(("[", "{")):
            return json.loads(text)
        if origin is dict:
            raise ValueError("expected a JSON object")
        return [item for item in raw.split(",") if item.strip()]
    return text or None


def read_file(path: Path) -> dict:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"configuration file not found: {path} (set ARXIV_MONITOR_CONFIG)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    for key in TABLE_LISTS:
        if isinstance(document.get(key), list):
            document[key] = {key: document[key]}
    known = {(s.section, s.key) for s in SETTINGS}
    unknown = [f"[{section}].{key}" for section, table in document.items() if isinstance(table, dict)
               for key in table if (section, key) not in known]
    unknown += [key for key, value in document.items() if not isinstance(value, dict)]
    if unknown:
        raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)}; `arxiv-monitor config` lists the keys")
    return document


def problem(error: dict) -> str:
    return error["msg"].removeprefix("Value error, ")


def load_section(section: str, document: dict, env: dict, path: Path) -> tuple[dict, dict]:
    """({key: value}, {key: source}) of one section, validated by its model."""
    raw, sources, origins = {}, {}, {}
    for s in (s for s in SETTINGS if s.section == section):
        origins[s.key] = f"{path} {s.name} (or {s.var})"
        if env.get(s.var) is not None:
            origins[s.key] = f"{s.name} from environment variable {s.var}"
            try:
                value = from_environment(env[s.var], s.field.annotation)
            except ValueError as exc:
                raise ConfigError(f"{origins[s.key]}: expected {type_name(s.annotation)}: {exc}") from None
            if value is not None:
                raw[s.key], sources[s.key] = value, "environment"
                continue
        if s.key in document.get(section, {}):
            raw[s.key], sources[s.key] = document[section][s.key], "file"
        elif s.required:
            raise ConfigError(f"{path}: missing {s.name} (or environment variable {s.var}): "
                              f"{type_name(s.annotation)}, no default")
    try:
        model = section_model(section).model_validate(raw)
        values = {key: getattr(model, key) for key in type(model).model_fields}
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        s = next(s for s in SETTINGS if s.section == section and s.key == error["loc"][0])
        # A list of tables ([[readers]], [[delivery.channels]]) names the table at fault itself; the raw value is
        # not repeated (it can be long, and a table refused for holding a secret must not echo it).
        if problem(error).startswith("[["):
            where = f"environment variable {s.var}" if sources.get(s.key) == "environment" else str(path)
            raise ConfigError(f"{where}: {problem(error)}") from None
        raise ConfigError(f"{origins[s.key]}: expected {type_name(s.annotation)}, got {raw[s.key]!r} "
                          f"({problem(error)})") from None
    return ({k: v.strip() if isinstance(v, str) else v for k, v in values.items()},
            {k: sources.get(k, "default") for k in values})


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the file and the environment once and validate every value; a ConfigError names the
    key, the variable and where the bad value came from."""
    env = os.environ if env is None else env
    path = config_path(env)
    document = read_file(path)
    values, sources = {}, {}
    for section in SECTIONS:
        section_values, section_sources = load_section(section, document, env, path)
        values.update({(section, k): v for k, v in section_values.items()})
        sources.update({(section, k): v for k, v in section_sources.items()})
    home = Path(env.get("ARXIV_MONITOR_HOME") or "data").expanduser().resolve()
    settings = Settings(values, sources, home, path)
    for key, cls in SCHEMA.items():  # what spans fields: each resource's own validators
        try:
            cls(**settings.resource(key))
        except pydantic.ValidationError as exc:
            raise ConfigError(problem(exc.errors()[0])) from None
    unknown_channels(settings)
    return settings


def unknown_channels(settings: Settings) -> None:
    """A reader's channels are names of [[delivery.channels]]."""
    named = {c.name for c in settings.get("delivery", "channels")}
    for reader in settings.get("readers", "readers"):
        unknown = [c for c in reader.channels if c not in named]
        if unknown:
            raise ConfigError(f"[[readers]] {reader.name!r}: channels {unknown} are not [[delivery.channels]] names "
                              f"({', '.join(sorted(named)) or 'none is configured'})")
