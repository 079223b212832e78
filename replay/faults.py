"""Faults the replay server injects for reliability tests, built from real files.

A fault is a dict: `{"kind": "status"|"slow"|"truncate"|"empty"|"reset"|"body"|"huge", "status": 503,
"retry_after": 1, "file": "pdf/odd/x.pdf", "bytes": N, "encrypt": true, "megabytes": 200,
"declare": false, "delay": 2, "times": 1, "match": "substring of path?query"}` (see server.py).
"""

from __future__ import annotations

import threading
from pathlib import Path

KINDS = ("status", "slow", "truncate", "empty", "reset", "body", "huge")


class FaultQueue:
    """Faults waiting for a matching request; each fires `times` times (-1: forever)."""

    def __init__(self):
        self.faults: list[dict] = []
        self.lock = threading.Lock()

    def add(self, *faults: dict) -> None:
        unknown = [f.get("kind") for f in faults if f.get("kind") not in KINDS]
        if unknown:
            raise ValueError(f"unknown fault kind(s) {unknown}: one of {KINDS}")
        with self.lock:
            self.faults.extend(dict(f) for f in faults)

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()

    def take(self, target: str) -> dict | None:
        with self.lock:
            for fault in self.faults:
                if fault.get("match", "") in target and fault.get("times", 1) != 0:
                    if fault.get("times", 1) > 0:
                        fault["times"] = fault.get("times", 1) - 1
                    return dict(fault)
        return None


def truncated(body: bytes) -> bytes:
    """The first half of a body: what a proxy cutting a stream delivers."""
    return body[: max(1, len(body) // 2)]


def encrypted(path: Path) -> bytes:
    """A real PDF re-saved with a user password (AES-256): what a locked PDF on a server is."""
    import pymupdf

    with pymupdf.open(path) as doc:
        return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="user")


def huge_stream(size: int):
    """`size` bytes that begin like a PDF, 1 MB at a time (never held in memory)."""
    head = b"%PDF-1.7\n%padding\n"
    first, rest = head + bytes((1 << 20) - len(head)), bytes(1 << 20)
    sent = 0
    while sent < size:
        piece = (first if sent == 0 else rest)[: size - sent]
        yield piece
        sent += len(piece)
