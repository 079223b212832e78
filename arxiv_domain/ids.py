"""arXiv paper identifiers: new-style `2512.21118`, old-style `math/0601001` (which contains '/')."""

from __future__ import annotations

import re

ARXIV_ID = re.compile(r"^(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})$")
_VERSIONED_ABS_URL = re.compile(r"arxiv\.org/abs/(?P<id>.+?)v(?P<version>\d+)$")


class BadArxivId(ValueError):
    """Not an arXiv id (e.g. `../../etc/passwd` from a hostile feed); the message names it."""


def check_arxiv_id(arxiv_id: str, version: int) -> None:
    if not ARXIV_ID.match(arxiv_id or "") or not isinstance(version, int) or version < 1:
        raise BadArxivId(f"not an arXiv id: {arxiv_id!r} v{version!r}")


def split_versioned_id(abs_url: str) -> tuple[str, int]:
    """'http://arxiv.org/abs/astro-ph/0601001v1' -> ('astro-ph/0601001', 1)."""
    match = _VERSIONED_ABS_URL.search(abs_url.strip())
    if not match:
        raise ValueError(f"not a versioned arXiv abstract URL: {abs_url!r}")
    return match["id"], int(match["version"])
