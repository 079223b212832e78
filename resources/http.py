"""Polite HTTP shared by the arXiv API client and the PDF store: one request at a time in this
process, `min_interval` seconds apart, a descriptive User-Agent, `Retry-After` honoured on 429/503,
bounded exponential retries on network errors, 5xx and answers the caller rejects as transient."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TypeVar

import dagster as dg
import requests

from resources.fields import setting

USER_AGENT = "arxiv-monitor/0.1 (daily arXiv digest; Dagster pipeline; polite: 1 request at a time, >=3 s apart)"
MAX_RETRY_AFTER_SECONDS = 300.0
T = TypeVar("T")

# arXiv's terms of use: one connection at a time, shared by every client in this process.
_REQUEST_LOCK = threading.Lock()
_last_request_at = 0.0


class Retryable(Exception):
    """A transient problem with one answer; `wait` is the server's Retry-After, if any."""

    def __init__(self, reason: str, wait: float | None = None):
        super().__init__(reason)
        self.wait = wait


class GaveUp(RuntimeError):
    """Every attempt failed; the message names the URL and the last problem."""


class TooLarge(RuntimeError):
    pass


def retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - dt.datetime.now(dt.UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


@dataclass
class FetchStats:
    requests: int = 0
    cache_hits: int = 0
    retries: int = 0
    waits: list[float] = field(default_factory=list)


class PoliteHttp:
    def __init__(self, *, min_interval: float = 3.0, max_retries: int = 5, timeout: float = 60.0,
                 backoff_base: float = 2.0, backoff_max: float = 60.0, user_agent: str = USER_AGENT,
                 sleep: Callable[[float], None] = time.sleep):
        self.min_interval = min_interval
        self.max_retries = max_retries
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.stats = FetchStats()

    def _request(self, url: str, max_bytes: int | None) -> tuple[int, bytes, dict]:
        global _last_request_at
        with _REQUEST_LOCK:
            wait = _last_request_at + self.min_interval - time.monotonic()
            if wait > 0:
                self.sleep(wait)
            try:
                self.stats.requests += 1
                with self.session.get(url, timeout=self.timeout, stream=True) as response:
                    declared = response.headers.get("Content-Length")
                    if max_bytes is not None and declared and declared.isdigit() and int(declared) > max_bytes:
                        raise TooLarge(f"{url}: {int(declared)} bytes declared, limit {max_bytes}")
                    chunks, size = [], 0
                    for chunk in response.iter_content(1 << 16):
                        size += len(chunk)
                        if max_bytes is not None and size > max_bytes:
                            raise TooLarge(f"{url}: more than {max_bytes} bytes, limit {max_bytes}")
                        chunks.append(chunk)
                    return response.status_code, b"".join(chunks), dict(response.headers)
            finally:
                _last_request_at = time.monotonic()

    def get(self, url: str, accept: Callable[[int, bytes, dict], T], *, max_bytes: int | None = None) -> T:
        """GET `url` until `accept(status, body, headers)` returns; it raises Retryable for a
        transient bad answer and anything else for a final one. 429/503/5xx never reach it."""
        problem = "no attempt made"
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.stats.retries += 1
            try:
                try:
                    status, body, headers = self._request(url, max_bytes)
                except requests.RequestException as exc:
                    raise Retryable(f"{type(exc).__name__}: {exc}") from None
                if status in (429, 503):
                    raise Retryable(f"HTTP {status}", retry_after_seconds(headers.get("Retry-After")))
                if status >= 500:
                    raise Retryable(f"HTTP {status}")
                return accept(status, body, headers)
            except Retryable as exc:
                problem = str(exc)
                if attempt == self.max_retries:
                    break
                delay = (min(exc.wait, MAX_RETRY_AFTER_SECONDS) if exc.wait is not None
                         else min(self.backoff_max, self.backoff_base * 2 ** attempt))
                self.stats.waits.append(delay)
                self.sleep(delay)
        raise GaveUp(f"giving up on {url} after {self.max_retries + 1} attempts: {problem}")


class PoliteHttpResource(dg.ConfigurableResource):
    """The politeness settings every arXiv-facing resource shares (the API, the PDF store)."""

    min_interval_seconds: float = setting("arxiv", "ARXIV_MIN_INTERVAL", 3.0, ge=0, description=(
        "Seconds between requests to arXiv (arXiv asks for at least 3; 0 against the replay server)."))
    max_retries: int = setting("arxiv", "ARXIV_MAX_RETRIES", 5, "Retries of one request before its step fails.", ge=0)
    timeout_seconds: float = setting("arxiv", "ARXIV_TIMEOUT", 60.0, "Seconds one request to arXiv may take.", gt=0)
    backoff_seconds: float = 2.0

    def http(self) -> PoliteHttp:
        return PoliteHttp(min_interval=self.min_interval_seconds, max_retries=self.max_retries,
                          timeout=self.timeout_seconds, backoff_base=self.backoff_seconds)
