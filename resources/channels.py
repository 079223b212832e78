"""A `[[delivery.channels]]` table: one model per kind, told apart by `kind` (a discriminated union), each
with its required keys and no other; the checked table becomes the `Channel` the publish resource holds.

Secrets never live in the file: a channel names the environment variable holding its URL, signing
secret or password (`url_env`, `secret_env`, `password_env`); a key that would hold one is refused
with the key to use instead.
"""

from __future__ import annotations

from typing import Annotated, Literal

import dagster as dg
import pydantic
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Required = Annotated[str, StringConstraints(min_length=1)]
# Keys that would put a secret in the file: each names the key to use instead.
SECRET_KEYS = {"url": "url_env", "webhook": "url_env", "secret": "secret_env", "password": "password_env",
               "token": "url_env"}


class ChannelTable(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name


class EmailTable(ChannelTable):
    kind: Literal["email"]
    smtp_host: Required
    sender: Required
    recipients: list[str] = Field(min_length=1)
    smtp_port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str = ""
    password_env: str = ""
    ca_file: str = ""  # a PEM bundle to trust besides the system's (a server with a private CA)

    @model_validator(mode="after")
    def _password_with_username(self) -> EmailTable:
        if self.username and not self.password_env:
            raise ValueError("username given without password_env (the variable holding the password)")
        return self


class WebhookTable(ChannelTable):
    kind: Literal["slack", "webhook"]
    url_env: Required  # the variable holding the URL (which carries the token)


class SignedWebhookTable(ChannelTable):
    kind: Literal["feishu", "dingtalk"]
    url_env: Required
    secret_env: str = ""  # the variable holding the signing secret


TABLE = pydantic.TypeAdapter(Annotated[EmailTable | WebhookTable | SignedWebhookTable, Field(discriminator="kind")])
KINDS = ("email", "slack", "feishu", "dingtalk", "webhook")


class Channel(dg.Config):
    """One checked `[[delivery.channels]]` table, as the publish resource holds it."""

    name: str
    kind: str
    url_env: str = ""
    secret_env: str = ""
    smtp_host: str = ""
    smtp_port: int = 587
    security: str = "starttls"
    username: str = ""
    password_env: str = ""
    sender: str = ""
    recipients: list[str] = []
    ca_file: str = ""


def what_is_wrong(table: dict, errors: list[dict]) -> str:
    """The first thing wrong with a table, in the file's words (its errors, as pydantic found them)."""
    kind = table.get("kind")
    keys = {e["type"]: [] for e in errors}
    for e in errors:
        keys[e["type"]].append(e["loc"][-1] if e["loc"] else None)
    if "union_tag_invalid" in keys or "union_tag_not_found" in keys:
        return f"kind must be one of {', '.join(KINDS)}, got {kind!r}"
    secret = next((k for k in keys.get("extra_forbidden", []) if k in SECRET_KEYS), None)
    if secret:
        return (f"{secret!r} would put a secret in the file; name the environment variable holding it with "
                f"{SECRET_KEYS[secret]!r}")
    if "extra_forbidden" in keys:
        return f"unknown key(s) {sorted(keys['extra_forbidden'])} for a {kind} channel"
    if "name" in keys.get("missing", []) + keys.get("string_too_short", []):
        return "needs a name"
    missing = keys.get("missing", []) + keys.get("string_too_short", [])
    if missing:
        return f"a {kind} channel needs {missing}"
    first = errors[0]
    return (f"{first['loc'][-1]}: " if first["loc"] else "") + first["msg"].removeprefix("Value error, ")


def checked_channels(tables: list) -> list:
    """The tables, each checked against its kind's model; the names must differ. A `Channel`, or a table
    holding every field of one (Dagster hands a resource's config back so), was checked already."""
    if not isinstance(tables, list) or not all(isinstance(t, dict | Channel) for t in tables):
        raise ValueError("expected a list of channel tables ([[delivery.channels]])")
    checked = []
    for position, table in enumerate(tables, start=1):
        if isinstance(table, Channel) or set(table) == set(Channel.model_fields):
            checked.append(table)
            continue
        where = f"[[delivery.channels]] #{position}" + (f" ({table['name']!r})" if table.get("name") else "")
        try:
            checked.append(TABLE.validate_python(table).model_dump())
        except pydantic.ValidationError as exc:
            raise ValueError(f"{where}: {what_is_wrong(table, exc.errors())}") from None
    names = [c.name if isinstance(c, Channel) else c["name"] for c in checked]
    if len(names) != len(set(names)):
        raise ValueError(f"[[delivery.channels]]: channel names must differ, got {names}")
    return checked
