"""How a resource field becomes a setting: its TOML section and environment variable are written beside its
type, default and description, once (`setting`); an enumeration is a string of fixed choices (`one_of`).

Dagster's config types take no `Literal`, so a choice is a `str` constrained by a pattern and marked with its
choices (the messages and the reference name them); the value stays a plain `str`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints


@dataclass(frozen=True)
class Choices:
    values: tuple[str, ...]


def one_of(*values: str) -> Any:
    """A string that must be one of `values`."""
    pattern = "^(" + "|".join(re.escape(v) for v in values) + ")$"
    return Annotated[str, StringConstraints(pattern=pattern), Choices(values)]


def setting(section: str, env: str, default: Any = ..., description: str = "", **constraints: Any) -> Any:
    """A field read from `[section]` of the configuration file, overridden by the variable `env`."""
    return Field(default, description=description, json_schema_extra={"toml": section, "env": env}, **constraints)


LANGUAGES = ("zh", "en")
Language = one_of(*LANGUAGES)


@dataclass(frozen=True)
class DateText:
    """Marks a date written YYYY-MM-DD (Dagster's config types take no `datetime.date`)."""


def iso_date(text: str) -> str:
    try:
        dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD)") from None
    return text.strip()


IsoDate = Annotated[str, AfterValidator(iso_date), DateText()]
