"""The PDF store: arXiv PDFs downloaded politely into a content-addressed cache.

A paper's file is `pdf_cache/<h[:2]>/<h>.pdf` with h = sha256("<id>v<version>"), so no arXiv id
(old-style ones contain '/', hostile ones '../') ever becomes a path, and a cached PDF is never
downloaded again. What arrives is checked by its bytes (`%PDF-`), not its name, and capped in size.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from arxiv_domain.ids import BadArxivId, check_arxiv_id
from resources.fields import setting
from resources.http import GaveUp, PoliteHttp, PoliteHttpResource, TooLarge


class _NotFound(Exception):
    pass


@dataclass
class PdfFetch:
    status: str  # ok | not_pdf | too_large | truncated | download_failed
    path: Path | None = None
    sha256: str | None = None
    size: int = 0
    error: str | None = None
    from_cache: bool = False


class PdfStore:
    def __init__(self, pdf_url: str, cache_dir: Path, *, max_bytes: int = 50 * 1024 * 1024,
                 http: PoliteHttp | None = None, **http_options):
        self.pdf_url = pdf_url.rstrip("/")
        self.cache_dir = Path(cache_dir)
        self.max_bytes = max_bytes
        self.http = http or PoliteHttp(**http_options)

    def path_for(self, arxiv_id: str, version: int) -> Path:
        check_arxiv_id(arxiv_id, version)
        key = hashlib.sha256(f"{arxiv_id}v{version}".encode()).hexdigest()
        return self.cache_dir / key[:2] / f"{key}.pdf"

    def fetch(self, arxiv_id: str, version: int) -> PdfFetch:
        try:
            path = self.path_for(arxiv_id, version)
        except BadArxivId as exc:
            return PdfFetch("download_failed", error=str(exc))
        if path.exists():
            data = path.read_bytes()
            return PdfFetch("ok", path, hashlib.sha256(data).hexdigest(), len(data), from_cache=True)
        url = f"{self.pdf_url}/{arxiv_id}v{version}"

        def accept(status: int, body: bytes, headers: dict) -> bytes:
            if status != 200:
                raise _NotFound(f"HTTP {status} for {url}")
            return body

        try:
            data = self.http.get(url, accept, max_bytes=self.max_bytes)
        except TooLarge as exc:
            return PdfFetch("too_large", error=str(exc))
        except (_NotFound, GaveUp) as exc:
            return PdfFetch("download_failed", error=str(exc))
        if b"%PDF-" not in data[:1024]:
            return PdfFetch("not_pdf", size=len(data),
                            error=f"{url} returned {len(data)} bytes that are not a PDF (start {data[:16]!r})")
        if b"%%EOF" not in data[-4096:]:  # every PDF ends with %%EOF: this download was cut short
            return PdfFetch("truncated", size=len(data),
                            error=f"{url} returned {len(data)} bytes that end before the PDF's %%EOF: a cut "
                                  "download; not cached, so the next run downloads it again")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
        digest = hashlib.sha256(data).hexdigest()
        path.with_suffix(".json").write_text(json.dumps({"arxiv_id": arxiv_id, "version": version, "url": url,
                                                         "bytes": len(data), "sha256": digest}))
        return PdfFetch("ok", path, digest, len(data))


class PdfStoreResource(PoliteHttpResource):
    """arXiv's PDF server (or the replay server), with the same politeness as the API, and how the
    downloaded PDFs are read (worker processes, a time limit each)."""

    pdf_url: str = setting("arxiv", "ARXIV_PDF_URL", "https://arxiv.org/pdf",
                           "arXiv's PDF server, or the replay server's.")
    max_pdf_megabytes: float = setting("fulltext", "ARXIV_MONITOR_MAX_PDF_MB", 50.0,
                                       "Larger PDFs are not downloaded (status too_large).", gt=0)
    extract_workers: int = setting("fulltext", "ARXIV_MONITOR_EXTRACT_WORKERS", 2,
                                   "PDF text extraction runs in this many worker processes.", ge=1)
    extract_time_limit_seconds: float = setting("fulltext", "ARXIV_MONITOR_EXTRACT_TIME_LIMIT", 120.0,
                                                "Seconds one PDF may take before its worker is killed.", gt=0)

    def store(self, cache_dir: Path) -> PdfStore:
        return PdfStore(self.pdf_url, cache_dir, max_bytes=int(self.max_pdf_megabytes * 1024 * 1024), http=self.http())
