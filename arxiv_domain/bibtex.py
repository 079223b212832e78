"""Papers from a BibTeX file (a Zotero or Mendeley export): their titles and abstracts become
interest examples."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bibtexparser


class BibtexError(ValueError):
    """The file cannot be read or holds no usable entry; the message names the file."""


@dataclass(frozen=True)
class BibEntry:
    key: str
    title: str
    abstract: str


def _plain(text: str) -> str:
    """BibTeX braces and line wraps out: '{Vision-Language-Action} models' -> 'Vision-Language-Action models'."""
    return " ".join(text.replace("{", "").replace("}", "").split())


def read_bibtex(path: Path) -> list[BibEntry]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BibtexError(f"cannot read BibTeX file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        database = bibtexparser.loads(text)
    except Exception as exc:  # the parser raises assorted pyparsing errors
        raise BibtexError(f"{path} is not BibTeX: {exc}") from None
    entries = [BibEntry(e.get("ID", ""), _plain(e["title"]), _plain(e.get("abstract", "")))
               for e in database.entries if _plain(e.get("title", ""))]
    if not entries:
        raise BibtexError(f"{path} holds no BibTeX entry with a title")
    return entries
