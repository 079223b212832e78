"""A real HTTP server on loopback that stands in for export.arxiv.org and arxiv.org/pdf.

* `GET /api/query?...` answers a recorded response byte for byte when the query was recorded
  (../shared/realdata/api/*/X.url.txt + X.xml, with the recorded status); otherwise it evaluates
  the query (`cat:`, `submittedDate:[A TO B]`, `lastUpdatedDate:[A TO B]`, `all:`/`ti:`/`abs:`/
  `au:` words, AND/OR/ANDNOT, parentheses, id_list, sortBy/sortOrder, start/max_results) over the
  demo corpus (demo_days.json) and renders the Atom feed in arXiv's current layout.
* `GET /pdf/{id}v{n}` serves a real PDF from ../shared/realdata/pdf whose name starts with it.
* Fault injection for reliability tests: `POST /_control/faults` with a JSON list of
  `{"kind": "status"|"slow"|"truncate"|"empty"|"reset"|"body"|"huge", "status": 503, "retry_after": 1,
    "file": "pdf/odd/x.pdf" (for "body": answer with that real file's bytes; with "bytes": N only
    its first N, a cut download; with "encrypt": true the file re-saved password-protected),
    "megabytes": 200 (for "huge": a stream of that size that starts like a PDF and is padding
    after; "declare": false leaves out Content-Length), "delay": 2, "times": 1,
    "match": "substring of path?query"}`; `DELETE /_control/faults`.
  `GET /_control/requests` returns the request log (`DELETE` clears it).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import feedparser

from replay.corpus import CorpusEntry, load_corpus, parse_timestamp, realdata_dir
from replay.faults import FaultQueue, encrypted, huge_stream, truncated
from replay.feed import error_feed, render_feed
from replay.query import QueryError, compile_query

_QUERY_KEYS = ("search_query", "id_list", "sortBy", "sortOrder", "start", "max_results")
_DEFAULTS = {"search_query": "", "id_list": "", "sortBy": "relevance", "sortOrder": "descending",
             "start": "0", "max_results": "10"}




def _query_key(params: dict[str, str]) -> tuple:
    return tuple((k, str(params.get(k, _DEFAULTS[k])).strip()) for k in _QUERY_KEYS)



class ReplayState:
    def __init__(self, realdata: Path, corpus: list[CorpusEntry] | None = None,
                 pdf_aliases: dict[str, str] | None = None):
        self.realdata = realdata
        self.recordings: dict[tuple, tuple[int, Path]] = {}
        for url_file in sorted(realdata.glob("api/*/*.url.txt")):
            url, status_line = url_file.read_text().splitlines()[:2]
            params = {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
            status = int(status_line.split("=", 1)[1])
            self.recordings[_query_key(params)] = (
                status,
                url_file.with_name(url_file.name[: -len(".url.txt")] + ".xml"),
            )
        self.corpus = load_corpus(realdata) if corpus is None else corpus
        self.pdfs = {p.name: p for p in (realdata / "pdf").glob("*.pdf")}
        self.pdf_aliases = dict(pdf_aliases or {})  # 'idvN' -> a real PDF's file name (synthetic corpora)
        self.faults = FaultQueue()
        self.as_of: dt.datetime | None = None  # set: arXiv as it was then (entries updated later are hidden)
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    def answer_query(self, params: dict[str, str]) -> tuple[int, bytes]:
        recorded = self.recordings.get(_query_key(params))
        if recorded:
            return recorded[0], recorded[1].read_bytes()
        try:
            start = int(params.get("start", 0))
            per_page = int(params.get("max_results", 10))
            if per_page > 30000 or start < 0 or per_page < 0:
                raise QueryError("start/max_results out of range")
            ids = [i.strip() for i in params.get("id_list", "").split(",") if i.strip()]
            query = params.get("search_query", "").strip()
            if not query and not ids:
                raise QueryError("no search_query and no id_list")
            predicate = compile_query(query) if query else (lambda e: True)
        except (QueryError, ValueError) as exc:
            return 400, error_feed(f"replay server cannot answer: {exc}")
        hits = [
            e
            for e in self.corpus
            if predicate(e)
            and (self.as_of is None or e.updated < self.as_of)
            and (not ids or e.arxiv_id in ids or f"{e.arxiv_id}v{e.version}" in ids)
        ]
        sort_by, order = params.get("sortBy", "relevance"), params.get("sortOrder", "descending")
        if sort_by in ("submittedDate", "lastUpdatedDate"):
            attr = "published" if sort_by == "submittedDate" else "updated"
            hits.sort(key=lambda e: (getattr(e, attr), e.arxiv_id), reverse=order == "descending")
        title = f"arXiv Query: search_query={query}&id_list={','.join(ids)}&start={start}&max_results={per_page}"
        return 200, render_feed(hits[start : start + per_page], len(hits), start, per_page, title)

    def pdf_for(self, name: str) -> Path | None:
        name = name.removesuffix(".pdf")
        if name in self.pdf_aliases:
            return self.pdfs.get(self.pdf_aliases[name])
        if not re.fullmatch(r"[\w.\-/]+v\d+", name):
            return None
        flat = name.replace("/", "_")
        return next((p for n, p in sorted(self.pdfs.items()) if n == f"{flat}.pdf" or n.startswith(f"{flat}_")), None)


class ReplayHandler(BaseHTTPRequestHandler):
    """The replay server's answers; `state` is set on the subclass each server makes (`_handler`)."""

    state: ReplayState
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # the request log is kept in state, not printed
        pass

    def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None, fault: dict | None = None):
        if fault and fault["kind"] == "truncate":
            body = truncated(body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        # A truncated body is announced with its short length: what a proxy cutting a stream shows.
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_huge(self, size: int, declare: bool) -> None:
        """`size` bytes that begin like a PDF, streamed 1 MB at a time (never held in memory);
        a client that stops reading ends it."""
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        if declare:
            self.send_header("Content-Length", str(size))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        try:
            for piece in huge_stream(size):
                self.wfile.write(piece)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _serve_fault(self, fault: dict) -> bool:
        """Answer as `fault` says; False: the request goes on to its usual answer (a slow or empty fault)."""
        if fault["kind"] == "status":
            headers = {"Retry-After": fault["retry_after"]} if "retry_after" in fault else {}
            self._send(int(fault.get("status", 503)), b"service unavailable", "text/plain", headers)
        elif fault["kind"] == "reset":
            self.close_connection = True
            self.connection.shutdown(2)
        elif fault["kind"] == "body":  # serve another real file's bytes (e.g. pdf/odd/...) instead
            path = (self.state.realdata / fault["file"]).resolve()
            if self.state.realdata not in path.parents:
                self._send(400, b"fault file outside the recordings", "text/plain")
                return True
            body = encrypted(path) if fault.get("encrypt") else path.read_bytes()
            if "bytes" in fault:
                body = body[: int(fault["bytes"])]
            self._send(200, body, fault.get("content_type", "application/pdf"))
        elif fault["kind"] == "huge":
            self._send_huge(int(float(fault.get("megabytes", 200)) * 1024 * 1024), fault.get("declare", True))
        else:
            if fault["kind"] == "slow":
                time.sleep(float(fault.get("delay", 2)))
            return False
        return True

    def do_GET(self):
        target = self.path
        with self.state.lock:
            self.state.requests.append({"path": target, "at": dt.datetime.now(dt.UTC).isoformat()})
        parts = urlsplit(target)
        if parts.path == "/_control/requests":
            return self._send(200, json.dumps(self.state.requests).encode(), "application/json")
        if parts.path == "/_control/health":
            return self._send(200, b'{"ok": true}', "application/json")
        fault = self.state.faults.take(target)
        if fault and self._serve_fault(fault):
            return None
        if parts.path.endswith("/api/query") or parts.path == "/api/query":
            params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            status, body = self.state.answer_query(params)
            if fault and fault["kind"] == "empty" and status == 200:
                parsed = feedparser.parse(body)
                total = int(parsed.feed.get("opensearch_totalresults", 0))
                body = render_feed(
                    [], total, int(params.get("start", 0)), int(params.get("max_results", 10)), "empty"
                )
            return self._send(status, body, "application/atom+xml; charset=utf-8", fault=fault)
        if parts.path.startswith("/pdf/"):
            pdf = self.state.pdf_for(parts.path[len("/pdf/") :])
            if pdf is None:
                return self._send(404, b"no such PDF in the recordings", "text/plain")
            return self._send(200, pdf.read_bytes(), "application/pdf", fault=fault)
        return self._send(404, b"not found", "text/plain")

    def do_POST(self):
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length", 0))
        payload = json.loads(self.rfile.read(length) or b"null")
        if path == "/_control/faults":
            try:
                self.state.faults.add(*(payload if isinstance(payload, list) else [payload]))
            except ValueError as exc:
                return self._send(400, str(exc).encode(), "text/plain")
        elif path == "/_control/as_of":  # {"as_of": ISO time | null}
            with self.state.lock:
                self.state.as_of = parse_timestamp(payload["as_of"]) if payload and payload.get("as_of") else None
        else:
            return self._send(404, b"not found", "text/plain")
        return self._send(200, b'{"ok": true}', "application/json")

    def do_DELETE(self):
        path = urlsplit(self.path).path
        if path == "/_control/faults":
            self.state.faults.clear()
        elif path == "/_control/requests":
            with self.state.lock:
                self.state.requests.clear()
        else:
            return self._send(404, b"not found", "text/plain")
        return self._send(200, b'{"ok": true}', "application/json")



def _handler(state: ReplayState) -> type[ReplayHandler]:
    return type("Handler", (ReplayHandler,), {"state": state})


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (a timeout test, a size limit) closes its socket mid-answer: expected here."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class ReplayServer:
    """`with ReplayServer() as server:` serves on 127.0.0.1:port (0 = any free port)."""

    def __init__(
        self,
        realdata: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        corpus: list[CorpusEntry] | None = None,
        pdf_aliases: dict[str, str] | None = None,
    ):
        # `corpus`: the entries listing queries are answered from (default: the demo corpus);
        # the scale benchmarks pass a synthetic one built from the real entries.
        self.state = ReplayState(realdata_dir(realdata), corpus, pdf_aliases)
        self.httpd = _QuietServer((host, port), _handler(self.state))
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/query"

    @property
    def pdf_url(self) -> str:
        return f"{self.base_url}/pdf"

    def start(self) -> ReplayServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="arxiv-replay", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # helpers for tests
    def inject(self, *faults: dict) -> None:
        self.state.faults.add(*faults)

    def clear(self) -> None:
        self.state.faults.clear()
        with self.state.lock:
            self.state.requests.clear()

    @property
    def requests(self) -> list[str]:
        """Every path asked since the last `clear` (API queries, feeds, PDFs)."""
        with self.state.lock:
            return [r["path"] for r in self.state.requests]

    @property
    def api_requests(self) -> list[str]:
        with self.state.lock:
            return [r["path"] for r in self.state.requests if "/api/query" in r["path"]]
