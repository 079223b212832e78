"""The arXiv API client: polite HTTP with a raw response cache, Atom parsing, pagination that
never accepts a short page, and the two queries that make up an announcement day's listing.

Why `requests` + `feedparser` rather than `arxiv.Client`: the listing needs the raw response body
(kept in the HTTP cache so a re-run makes zero requests), `Retry-After` honoured on 429/503, and
`opensearch:totalResults` compared with the rows received on every page; `arxiv.Client` hides
all three behind its result iterator. `feedparser` (which `arxiv` itself uses) parses both the
current and the older Atom layouts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import feedparser

from arxiv_domain.ids import BadArxivId, check_arxiv_id, split_versioned_id
from resources.fields import setting
from resources.http import FetchStats, GaveUp, PoliteHttp, PoliteHttpResource, Retryable

_WS_RE = re.compile(r"\s+")


class ArxivError(RuntimeError):
    """A request to arXiv failed for good; the message names the URL."""


class ArxivQueryError(ArxivError):
    """arXiv answered with its error feed (HTTP 400): the query itself is wrong. Never retried."""


# ---------------------------------------------------------------- parsing

@dataclass
class FeedPage:
    total_results: int
    start_index: int
    entries: list[dict]
    # Entries whose id is not an arXiv id ('../../etc/passwd'): counted as received, never stored.
    rejected: list[str] = field(default_factory=list)

    @property
    def received(self) -> int:
        return len(self.entries) + len(self.rejected)


def normalise_space(text: str | None) -> str | None:
    """arXiv hard-wraps titles and abstracts; one space between words is what a reader wants."""
    return None if text is None else _WS_RE.sub(" ", text).strip()


def _timestamp(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def entry_to_row(entry) -> dict:
    arxiv_id, version = split_versioned_id(entry["id"])
    links = entry.get("links", [])
    pdf = next((l["href"] for l in links if l.get("title") == "pdf" or l.get("type") == "application/pdf"), None)
    abs_link = next((l["href"] for l in links if l.get("rel") == "alternate"), entry["id"])
    primary = (entry.get("arxiv_primary_category") or {}).get("term")
    categories = [t["term"] for t in entry.get("tags", []) if t.get("term")]
    if primary and primary not in categories:
        categories.insert(0, primary)
    return {
        "arxiv_id": arxiv_id,
        "version": version,
        "title": normalise_space(entry.get("title")) or "",
        "authors": [normalise_space(a.get("name")) for a in entry.get("authors", []) if a.get("name")],
        "abstract": normalise_space(entry.get("summary")) or "",
        "primary_category": primary or (categories[0] if categories else None),
        "categories": categories,
        "published": _timestamp(entry.get("published")),
        "updated": _timestamp(entry.get("updated")),
        "comment": normalise_space(entry.get("arxiv_comment")),
        "journal_ref": normalise_space(entry.get("arxiv_journal_ref")),
        "doi": normalise_space(entry.get("arxiv_doi")),
        "abs_url": abs_link,
        "pdf_url": pdf,
    }


def parse_feed(body: bytes, url: str) -> FeedPage:
    """Parse one API response. Raises ArxivQueryError for arXiv's error feed, Retryable for
    anything that is not a complete Atom feed (truncated, HTML error page, empty body)."""
    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries and "opensearch_totalresults" not in parsed.feed:
        raise Retryable(f"not an Atom feed ({type(parsed.bozo_exception).__name__}: {parsed.bozo_exception})")
    if parsed.bozo and isinstance(parsed.bozo_exception, Exception) and "SAX" in type(parsed.bozo_exception).__name__:
        raise Retryable(f"truncated or malformed XML ({parsed.bozo_exception})")
    errors = [e for e in parsed.entries if "/api/errors" in e.get("id", "")]
    if errors:
        raise ArxivQueryError(f"arXiv rejected the query {url}: {errors[0].get('summary', '').strip()}")
    if "opensearch_totalresults" not in parsed.feed:
        raise Retryable("feed has no opensearch:totalResults")
    entries, rejected = [], []
    for entry in parsed.entries:
        try:
            row = entry_to_row(entry)
        except (KeyError, ValueError) as exc:
            raise Retryable(f"unreadable entry: {exc}") from None
        try:
            check_arxiv_id(row["arxiv_id"], row["version"])
        except BadArxivId as exc:
            rejected.append(str(exc))
            continue
        entries.append(row)
    return FeedPage(
        total_results=int(parsed.feed["opensearch_totalresults"]),
        start_index=int(parsed.feed.get("opensearch_startindex", 0) or 0),
        entries=entries, rejected=rejected,
    )


def merge_rows(rows: Iterable[dict]) -> list[dict]:
    """One row per (arxiv_id, version), first occurrence kept, order kept: pages overlap when
    the result set shifts between requests."""
    merged: dict[tuple[str, int], dict] = {}
    for row in rows:
        merged.setdefault((row["arxiv_id"], row["version"]), row)
    return list(merged.values())


# ---------------------------------------------------------------- HTTP

class RawHttpCache:
    """Every response body that was accepted, keyed by (namespace, URL). The namespace is the
    partition: the replacement walk asks the same URL on different days and gets different
    answers, so one day's page must never stand in for another's."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, namespace: str, url: str) -> Path:
        digest = hashlib.sha256(url.encode()).hexdigest()[:32]
        safe_ns = re.sub(r"[^0-9A-Za-z_-]", "_", namespace) or "_"
        return self.root / safe_ns / f"{digest}.xml"

    def get(self, namespace: str, url: str) -> bytes | None:
        path = self._path(namespace, url)
        return path.read_bytes() if path.exists() else None

    def put(self, namespace: str, url: str, body: bytes) -> None:
        path = self._path(namespace, url)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(body)
        tmp.replace(path)
        meta = {"url": url, "fetched_at": dt.datetime.now(dt.UTC).isoformat(), "bytes": len(body)}
        path.with_suffix(".json").write_text(json.dumps(meta))


class ArxivClient:
    def __init__(self, api_url: str, cache: RawHttpCache, *, page_size: int = 2000, http: PoliteHttp | None = None,
                 **http_options):
        self.api_url = api_url
        self.cache = cache
        self.page_size = page_size
        self.http = http or PoliteHttp(**http_options)
        # False while arXiv's index may still be catching up: such answers must not be replayed later.
        self.store_responses = True
        self.rejected: list[str] = []  # why entries were skipped, over every page read
        self.total_reported = 0  # opensearch:totalResults of the last search's first page

    @property
    def stats(self) -> FetchStats:
        return self.http.stats

    def query_url(self, search_query: str = "", id_list: str = "", sort_by: str = "relevance",
                  sort_order: str = "descending", start: int = 0, max_results: int = 10) -> str:
        params = {"search_query": search_query, "id_list": id_list, "sortBy": sort_by,
                  "sortOrder": sort_order, "start": start, "max_results": max_results}
        return f"{self.api_url}?{urlencode(params)}"

    def fetch_page(self, url: str, *, namespace: str, expected_rows: Callable[[FeedPage], int] | None = None,
                   refresh: bool = False) -> FeedPage:
        """One API page, from the cache unless `refresh`; network answers are retried until they
        are a complete feed whose row count matches `expected_rows(page)`."""
        if not refresh:
            cached = self.cache.get(namespace, url)
            if cached is not None:
                self.stats.cache_hits += 1
                return parse_feed(cached, url)

        def accept(status: int, body: bytes, headers: dict) -> FeedPage:
            if status == 400:
                parse_feed(body, url)  # raises ArxivQueryError with arXiv's own message
            if status != 200:
                raise ArxivError(f"arXiv answered HTTP {status} to {url}: {body[:200]!r}")
            page = parse_feed(body, url)
            if expected_rows is not None and page.received < (expected := expected_rows(page)):
                raise Retryable(f"short page: {page.received} entries, expected {expected} "
                                f"(totalResults {page.total_results})")
            if self.store_responses:
                self.cache.put(namespace, url, body)
            return page

        try:
            return self.http.get(url, accept)
        except GaveUp as exc:
            raise ArxivError(str(exc)) from None

    def search(self, search_query: str, *, namespace: str, sort_by: str = "relevance",
               sort_order: str = "descending", max_total: int | None = None,
               stop: Callable[[list[dict]], bool] | None = None, refresh: bool = False,
               max_pages: int | None = None) -> tuple[list[dict], bool]:
        """Every result of a query, page by page. `stop(page_entries)` ends the walk early (the
        replacement walk); returns (rows de-duplicated on (id, version), walked_to_the_end)."""
        start, pages = 0, 0
        received: list[dict] = []
        while True:
            size = self.page_size if max_total is None else min(self.page_size, max_total - start)
            url = self.query_url(search_query, sort_by=sort_by, sort_order=sort_order, start=start, max_results=size)

            def expected(page: FeedPage, start=start, size=size) -> int:
                return max(0, min(size, page.total_results - start))

            page = self.fetch_page(url, namespace=namespace, expected_rows=expected, refresh=refresh)
            pages += 1
            if pages == 1:
                self.total_reported = page.total_results
            received.extend(page.entries)
            self.rejected.extend(r for r in page.rejected if r not in self.rejected)
            start += page.received
            limit = page.total_results if max_total is None else min(page.total_results, max_total)
            if start >= limit or not page.received:
                return merge_rows(received), True
            if stop is not None and page.entries and stop(page.entries):
                return merge_rows(received), True
            if max_pages is not None and pages >= max_pages:
                return merge_rows(received), False


# ---------------------------------------------------------------- the day's listing

def arxiv_minute(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M")


def categories_query(categories: Iterable[str]) -> str:
    return " OR ".join(f"cat:{c}" for c in categories)


def new_submissions_query(categories: Iterable[str], start: dt.datetime, end: dt.datetime) -> str:
    # submittedDate ranges are inclusive, to the minute: [start, end - 1 min] so windows tile.
    last = end - dt.timedelta(minutes=1)
    return f"({categories_query(categories)}) AND submittedDate:[{arxiv_minute(start)} TO {arxiv_minute(last)}]"


@dataclass
class WindowListing:
    new_rows: list[dict]
    replacement_rows: list[dict]
    new_total_reported: int
    replacement_walk_complete: bool
    stats: FetchStats


def fetch_window(client: ArxivClient, categories: list[str], start: dt.datetime, end: dt.datetime, *,
                 namespace: str, refresh: bool = False, max_replacement_pages: int = 20) -> WindowListing:
    """The two queries behind one announcement day.

    New submissions: `cat:` OR-ed AND `submittedDate:[start TO end)`; the server's answer decides
    membership in the window. Replacements: the `lastUpdatedDate:[..]` range filter is reported to
    match on the original submission and would miss a v2 of an older paper, so instead walk all
    the categories sorted by lastUpdatedDate descending and stop at the first page whose last entry
    was updated before the window. In the recorded responses `<updated>` equals `<published>` for
    every v1 and is later for every v2+ (tests/test_arxiv_api.py checks this), so `updated` is the
    timestamp of the newest version, which is what the walk compares.
    """
    new_rows, _ = client.search(new_submissions_query(categories, start, end), namespace=namespace,
                                sort_by="submittedDate", sort_order="ascending", refresh=refresh)
    new_total = client.total_reported
    new_keys = {(r["arxiv_id"], r["version"]) for r in new_rows}

    def walked_past_window(page_entries: list[dict]) -> bool:
        last = page_entries[-1]["updated"]
        return last is not None and last < start

    walked, complete = client.search(categories_query(categories), namespace=namespace, sort_by="lastUpdatedDate",
                                     sort_order="descending", stop=walked_past_window, refresh=refresh,
                                     max_pages=max_replacement_pages)
    replacements = [
        r for r in walked
        if r["version"] > 1 and r["updated"] is not None and start <= r["updated"] < end
        and (r["arxiv_id"], r["version"]) not in new_keys
        and not (r["published"] is not None and start <= r["published"] < end)
    ]
    return WindowListing(new_rows, replacements, new_total, complete, client.stats)


# ---------------------------------------------------------------- Dagster resource

class ArxivAPIResource(PoliteHttpResource):
    """arXiv's API (or the replay server): base URL and politeness, all from the environment."""

    api_url: str = setting("arxiv", "ARXIV_API_URL", "https://export.arxiv.org/api/query", description=(
        "arXiv's API, or the replay server's (`arxiv-monitor replay`)."))
    page_size: int = setting("arxiv", "ARXIV_PAGE_SIZE", 2000, "Results per API page (arXiv allows up to 2000).",
                             ge=1, le=2000)
    max_replacement_pages: int = setting("arxiv", "ARXIV_MAX_REPLACEMENT_PAGES", 20, ge=1, description=(
        "Pages the replacement walk may go back from now, so that an old day cannot walk for ever (the day is then "
        "marked incomplete)."))
    step_retry_delay_seconds: float = setting("arxiv", "ARXIV_MONITOR_STEP_RETRY_DELAY", 300.0, ge=0, description=(
        "Seconds before Dagster retries a failed listing or PDF step once (arXiv down for minutes); the client "
        "already retries each request."))

    def client(self, cache_dir: Path) -> ArxivClient:
        return ArxivClient(self.api_url, RawHttpCache(cache_dir), page_size=self.page_size, http=self.http())
