"""Where a deployment keeps its data ($ARXIV_MONITOR_HOME): the database, caches, reports and site."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import dagster as dg

from resources.fields import setting


class DataDirError(ValueError):
    """The data directory cannot take the run's output (not writable, or too little free space)."""


def check_data_dir(home: Path, min_free_megabytes: float) -> None:
    """Fail before any work if `home` cannot be created or written, or has less free space than
    `min_free_megabytes` (the run would die half-way, e.g. in the LLM stage)."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=home, prefix=".write-probe-"):
            pass
    except OSError as exc:
        raise DataDirError(f"data directory {home} is not writable ({exc.strerror or exc}); "
                           "set ARXIV_MONITOR_HOME to a writable folder") from None
    free = shutil.disk_usage(home).free / 2**20
    if free < min_free_megabytes:
        raise DataDirError(f"data directory {home} has {free:.0f} MB free, less than the {min_free_megabytes:g} MB "
                           "a run needs ([storage].min_free_megabytes / ARXIV_MONITOR_MIN_FREE_MB); nothing was done")


class DataDirResource(dg.ConfigurableResource):
    """The data directory and the free space a run needs in it; built by `build_resources`."""

    home: str = "data"
    min_free_megabytes: float = setting("storage", "ARXIV_MONITOR_MIN_FREE_MB", 200.0, ge=0, description=(
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
