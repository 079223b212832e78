"""What to monitor and where the data lives: the user's interests and the data directory."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg

from arxiv_domain.announce import ANNOUNCE_TYPES
from resources.settings import DataDirError, check_data_dir


class MonitorResource(dg.ConfigurableResource):
    """Categories, keywords, watched authors, interest profile, report language, calendar holidays,
    extraction workers and the data directory ($ARXIV_MONITOR_HOME); built by `build_resources`."""

    categories: list[str]
    keywords: list[str]
    language: str = "zh"
    exclude: list[str] = []
    watch_authors: list[str] = []
    announce_types: list[str] = list(ANNOUNCE_TYPES)
    keyword_categories: dict[str, list[str]] = {}
    holidays: list[str] = []
    index_grace_hours: float = 4.0
    extract_workers: int = 2
    extract_time_limit_seconds: float = 120.0
    min_free_megabytes: float = 200.0
    interests: list[str] = []  # free-text descriptions of what the user follows
    examples: list[str] = []  # arXiv ids of papers like the ones wanted
    bibtex: str = ""  # a BibTeX export whose titles and abstracts are examples
    threshold: float = 0.40  # semantic similarity that keeps a paper without a keyword
    semantic_weight: float = 20.0  # combined score = keyword score + weight x semantic score
    similar_papers: int = 3  # earlier papers listed under each report entry
    home: str = "data"

    def check_data_dir(self) -> None:
        """In an asset: a data-directory problem fails the step at once, without step retries."""
        try:
            check_data_dir(self.home_path, self.min_free_megabytes)
        except DataDirError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None

    @property
    def holiday_dates(self) -> frozenset[dt.date]:
        return frozenset(dt.date.fromisoformat(h) for h in self.holidays)

    @property
    def home_path(self) -> Path:
        return Path(self.home)

    @property
    def http_cache_dir(self) -> Path:
        return self.home_path / "http_cache"

    @property
    def pdf_cache_dir(self) -> Path:
        return self.home_path / "pdf_cache"

    @property
    def reports_dir(self) -> Path:
        return self.home_path / "reports"

    @property
    def site_dir(self) -> Path:
        return self.home_path / "site"
