"""Where a deployment keeps its data ($ARXIV_MONITOR_HOME): the database, caches, reports and site."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import Field

from resources.settings import DataDirError, check_data_dir


class DataDirResource(dg.ConfigurableResource):
    """The data directory and the free space a run needs in it; built by `build_resources`."""

    home: str = "data"
    min_free_megabytes: float = Field(200.0, description=(
        "Every stage first checks that the data directory is writable and has this much free space, and stops "
        "before any work otherwise."))

    def check(self) -> None:
        """In an asset: a data-directory problem fails the step at once, without step retries."""
        try:
            check_data_dir(self.path, self.min_free_megabytes)
        except DataDirError as exc:
            raise dg.Failure(description=str(exc), allow_retries=False) from None

    @property
    def path(self) -> Path:
        return Path(self.home)

    @property
    def http_cache_dir(self) -> Path:
        return self.path / "http_cache"

    @property
    def pdf_cache_dir(self) -> Path:
        return self.path / "pdf_cache"

    @property
    def reports_dir(self) -> Path:
        return self.path / "reports"

    @property
    def site_dir(self) -> Path:
        return self.path / "site"
