"""The configuration schema: every key the resources declare with `setting` (resources/fields.py), one
pydantic model per TOML section made of them, and how a type is said in messages and the reference."""

from __future__ import annotations

import functools
import typing
from dataclasses import dataclass

import dagster as dg
import pydantic

from resources.arxiv_api import ArxivAPIResource
from resources.data_dir import DataDirResource
from resources.embedder import EmbedderResource
from resources.fields import Choices, DateText
from resources.llm_server import LLMServerResource
from resources.pdf_store import PdfStoreResource
from resources.publish import PublishResource
from resources.reader import ReaderResource

SECTIONS = ("monitor", "filter", "calendar", "arxiv", "fulltext", "llm", "storage", "relevance", "weekly",
            "embeddings", "site", "delivery", "readers")
# A section that is a list of tables at the top of the file (`[[readers]]`), held as its one key of that name.
TABLE_LISTS = ("readers",)


# {resource key: its class}: the classes whose fields are the schema.
SCHEMA = {"reader": ReaderResource, "arxiv_api": ArxivAPIResource, "pdf_store": PdfStoreResource,
          "llm_server": LLMServerResource, "embedder": EmbedderResource, "publish": PublishResource,
          "data_dir": DataDirResource}


@dataclass(frozen=True)
class Setting:
    """One key: `[section].key` of the file, or the variable `var`; `field` holds its type and default."""

    section: str
    key: str
    var: str
    field: pydantic.fields.FieldInfo

    @property
    def name(self) -> str:
        return f"[[{self.section}]]" if self.section in TABLE_LISTS else f"[{self.section}].{self.key}"

    @property
    def annotation(self):
        return typing.Annotated[self.field.annotation, *self.field.metadata] if self.field.metadata \
            else self.field.annotation

    @property
    def required(self) -> bool:
        return self.field.is_required()

    @property
    def default(self):
        return self.field.get_default(call_default_factory=True)


def declared(cls: type[pydantic.BaseModel]) -> list[Setting]:
    """The settings a class declares: its fields made with `setting`, and those of its sections."""
    found = []
    for key, field in cls.model_fields.items():
        if is_section(field):
            found += declared(field.annotation)
        elif (own := setting_of(key, field)) is not None:
            found.append(own)
    return found


def is_section(field: pydantic.fields.FieldInfo) -> bool:
    """A field that is a whole TOML section (the reader's `[filter]`, say), not one key."""
    return isinstance(field.annotation, type) and issubclass(field.annotation, dg.Config)


def setting_of(key: str, field: pydantic.fields.FieldInfo) -> Setting | None:
    """The key a field made with `setting` is; None for a field that is no setting."""
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    return Setting(extra["toml"], key, extra["env"], field) if "toml" in extra else None


SETTINGS = sorted({(s.section, s.key): s for cls in SCHEMA.values() for s in declared(cls)}.values(),
                  key=lambda s: SECTIONS.index(s.section))


@functools.cache
def section_model(section: str) -> type[pydantic.BaseModel]:
    """The section's pydantic model: its keys, types, bounds and defaults."""
    fields = {s.key: (s.annotation, s.field) for s in SETTINGS if s.section == section}
    return pydantic.create_model(f"{section.title()}Section", __config__=pydantic.ConfigDict(extra="forbid"),
                                 **fields)


def bounds(marks) -> str:
    """A field's numeric bounds as words ("between 0 and 1", "from 1 to 2000", "at least 0")."""
    found = {type(m).__name__.lower(): getattr(m, type(m).__name__.lower()) for m in marks
             if type(m).__name__ in ("Gt", "Ge", "Lt", "Le")}
    low = ("gt", found["gt"]) if "gt" in found else ("ge", found["ge"]) if "ge" in found else None
    high = ("lt", found["lt"]) if "lt" in found else ("le", found["le"]) if "le" in found else None
    if low and high:
        return f"between {low[1]:g} and {high[1]:g}" if low[0] == "gt" else f"from {low[1]:g} to {high[1]:g}"
    if low:
        return f"{'above' if low[0] == 'gt' else 'at least'} {low[1]:g}"
    return f"{'below' if high[0] == 'lt' else 'at most'} {high[1]:g}" if high else ""


def type_name(annotation) -> str:
    """The field's type as the messages and the reference say it."""
    names = {str: "string", int: "integer", float: "number", bool: "true or false"}
    if typing.get_origin(annotation) is typing.Annotated:
        marks = typing.get_args(annotation)[1:]
        choices = next((m.values for m in marks if isinstance(m, Choices)), None)
        if choices:
            return "one of " + ", ".join(choices)
        if any(isinstance(m, DateText) for m in marks):
            return "date (YYYY-MM-DD)"
        return (type_name(typing.get_args(annotation)[0]) + " " + bounds(marks)).strip()
    if annotation in names:
        return names[annotation]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list:
        return "list of tables" if isinstance(args[0], type) and issubclass(args[0], pydantic.BaseModel) \
            else "list of strings" if args[0] is str else f"list of {type_name(args[0])}"
    return "table of lists of strings" if origin is dict else str(annotation)
