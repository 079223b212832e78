"""The configuration schema written out: the TOML file (`arxiv-monitor config --toml`) and the reference
(docs/configuration.md, `arxiv-monitor config --reference`), both from the resources' typed fields."""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from pathlib import Path

from resources.schema import SETTINGS, TABLE_LISTS, type_name


def toml_literal(value) -> str:
    """`value` as TOML writes it (strings as JSON writes them, which TOML reads alike)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.date):
        return f'"{value.isoformat()}"'
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        pairs = (f"{json.dumps(k, ensure_ascii=False)} = {toml_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    items = [toml_literal(v) for v in value]
    one_line = "[" + ", ".join(items) + "]"
    return one_line if len(one_line) <= 80 else "[\n" + "".join(f"  {i},\n" for i in items) + "]"


def sections() -> list[str]:
    return list(dict.fromkeys(s.section for s in SETTINGS))


def render_toml(choices: dict[str, object]) -> str:
    """The configuration file: every key with its description and variable, set where `choices`
    ({"[section].key": value}) sets it, else its default written as a comment. The defaults and the
    descriptions are the schema's: the file never states one of its own."""
    lines = ["# arxiv-monitor configuration. Each key can be overridden by the environment variable named above it",
             "# (lists: comma-separated, or JSON). A commented key shows its default; `arxiv-monitor config` shows",
             "# the effective values and their sources, docs/configuration.md every key. Generated from the schema",
             "# by `arxiv-monitor config --toml`, keeping the values set here.", ""]
    for section in sections():
        if section == "delivery" or section in TABLE_LISTS:
            continue  # tables of their own, below
        lines.append(f"[{section}]")
        for setting in (s for s in SETTINGS if s.section == section):
            lines += [f"# {setting.var}: {setting.field.description}"]
            if setting.name in choices:
                lines.append(f"{setting.key} = {toml_literal(choices[setting.name])}")
            else:
                lines += [f"# {line}" for line in f"{setting.key} = {toml_literal(setting.default)}".splitlines()]
        lines.append("")
    lines += ["[delivery]"]
    for setting in (s for s in SETTINGS if s.section == "delivery" and s.key != "channels"):
        lines += [f"# {setting.var}: {setting.field.description}"]
        lines.append(f"{setting.key} = {toml_literal(choices[setting.name])}" if setting.name in choices
                     else f"# {setting.key} = {toml_literal(setting.default)}")
    channels = next(s for s in SETTINGS if s.key == "channels")
    lines += [f"# {channels.var} (JSON): {channels.field.description}", "# [[delivery.channels]]",
              '# name = "team"', '# kind = "slack"', '# url_env = "SLACK_WEBHOOK_URL"']
    for channel in choices.get(channels.name, []):
        lines += ["", "[[delivery.channels]]"] + [f"{k} = {toml_literal(v)}" for k, v in channel.items()]
    readers = next(s for s in SETTINGS if s.section == "readers")
    lines += ["", f"# {readers.var} (JSON): {readers.field.description}", "# [[readers]]", '# name = "lin"',
              '# keywords = ["Vision-Language-Action"]', '# language = "zh"', '# channels = ["team"]']
    for reader in choices.get(readers.name, []):
        lines += ["", "[[readers]]"] + [f"{k} = {toml_literal(v)}" for k, v in reader.items()]
    return "\n".join(lines) + "\n"


def file_choices(path: Path) -> dict[str, object]:
    """The values a configuration file sets itself ({"[section].key": value})."""
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    return {s.name: document[s.section] if s.section in TABLE_LISTS else document[s.section][s.key] for s in SETTINGS
            if (s.section in TABLE_LISTS and s.section in document) or s.key in document.get(s.section, {})}


def reference_markdown() -> str:
    """docs/configuration.md: every key, its type, default, variable and what it sets."""
    lines = ["# Configuration reference", "",
             "Generated from the schema (the resources' typed fields) by `arxiv-monitor config --reference`; a test",
             "fails when this file is stale. Each key is read from `arxiv-monitor.toml` (or the file",
             "`ARXIV_MONITOR_CONFIG` names) and its environment variable overrides it; lists in a variable are",
             "comma-separated, or JSON. `arxiv-monitor config` shows the effective values and where each came from.",
             ""]
    for section in sections():
        title = f"## [[{section}]]" if section in TABLE_LISTS else f"## [{section}]"
        lines += [title, "", "| key | type | default | variable | what it sets |", "|---|---|---|---|---|"]
        for s in (s for s in SETTINGS if s.section == section):
            default = "(required)" if s.required else f"`{toml_literal(s.default)}`".replace("\n", " ")
            description = s.field.description.replace("|", "/")
            lines.append(f"| `{s.key}` | {type_name(s.annotation)} | {default} | `{s.var}` | {description} |")
        lines.append("")
    lines += ["Secrets are never settings: `ARXIV_MONITOR_LLM_API_KEY` and `ARXIV_MONITOR_EMBEDDING_API_KEY` are",
              "read from the environment only (Dagster shows the variable's name, never its value), and a delivery",
              "channel names the variables holding its URL, secret or password (`url_env`, `secret_env`,",
              "`password_env`). `ARXIV_MONITOR_HOME` is the data directory (default `./data`).", ""]
    return "\n".join(lines)
