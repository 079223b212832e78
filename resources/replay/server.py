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
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

import feedparser

HERE = Path(__file__).resolve().parent
DEFAULT_REALDATA = HERE.parent.parent.parent / "shared" / "realdata"
CORPUS_FILE = HERE / "demo_days.json"
_QUERY_KEYS = ("search_query", "id_list", "sortBy", "sortOrder", "start", "max_results")
_DEFAULTS = {"search_query": "", "id_list": "", "sortBy": "relevance", "sortOrder": "descending",
             "start": "0", "max_results": "10"}


class RealdataMissing(FileNotFoundError):
    pass


def realdata_dir(path: str | Path | None = None) -> Path:
    import os

    root = Path(path or os.environ.get("ARXIV_MONITOR_REALDATA") or DEFAULT_REALDATA).resolve()
    if not (root / "api").is_dir() or not (root / "pdf").is_dir():
        raise RealdataMissing(
            f"real arXiv recordings not found at {root} (expected api/ and pdf/ in it): the replay server reads "
            "them from ../shared/realdata beside the checkout; set ARXIV_MONITOR_REALDATA to their folder")
    return root


def _query_key(params: dict[str, str]) -> tuple:
    return tuple((k, str(params.get(k, _DEFAULTS[k])).strip()) for k in _QUERY_KEYS)


# ---------------------------------------------------------------- corpus

@dataclass
class CorpusEntry:
    arxiv_id: str
    version: int
    title: str
    authors: list[str]
    abstract: str
    categories: list[str]
    published: dt.datetime
    updated: dt.datetime
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None


def _ts(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def load_corpus(realdata: Path, corpus_file: Path = CORPUS_FILE) -> list[CorpusEntry]:
    spec = json.loads(corpus_file.read_text(encoding="utf-8"))
    recordings: dict[str, dict] = {}
    entries = []
    for item in spec["entries"]:
        if item["source"].startswith("api/"):
            if item["source"] not in recordings:
                feed = feedparser.parse((realdata / item["source"]).read_bytes())
                recordings[item["source"]] = {e.id.rsplit("/abs/", 1)[1]: e for e in feed.entries}
            rec = recordings[item["source"]][f"{item['id']}v{item['version']}"]
            primary = rec.arxiv_primary_category["term"]
            cats = [primary] + [t.term for t in rec.tags if t.term != primary]
            entries.append(CorpusEntry(item["id"], item["version"], rec.title, [a.name for a in rec.authors],
                                       rec.summary, cats, _ts(item["published"]), _ts(item["updated"]),
                                       rec.get("arxiv_comment"), rec.get("arxiv_journal_ref"), rec.get("arxiv_doi")))
        else:
            entries.append(CorpusEntry(item["id"], item["version"], item["title"], item["authors"], item["abstract"],
                                       item["categories"], _ts(item["published"]), _ts(item["updated"]),
                                       item.get("comment")))
    return entries


# ---------------------------------------------------------------- query language

_TOKEN = re.compile(r'\(|\)|\w+:\[[^\]]*\]|\w+:"[^"]*"|[^\s()]+')


class QueryError(ValueError):
    pass


def _parse_range(value: str) -> tuple[dt.datetime, dt.datetime]:
    match = re.fullmatch(r"\[\s*(\d{8,14})\s+TO\s+(\d{8,14})\s*\]", value)
    if not match:
        raise QueryError(f"bad date range {value}")

    def stamp(digits: str, end: bool) -> dt.datetime:
        digits = digits.ljust(12, "0")[:12]
        moment = dt.datetime.strptime(digits, "%Y%m%d%H%M").replace(tzinfo=dt.timezone.utc)
        return moment + dt.timedelta(minutes=1) if end else moment  # inclusive to the minute

    return stamp(match[1], False), stamp(match[2], True)


def _atom(token: str):
    field, _, value = token.partition(":")
    if not value:
        field, value = "all", token
    value = value.strip('"')
    if field == "cat":
        return lambda e: value in e.categories
    if field in ("submittedDate", "lastUpdatedDate"):
        lo, hi = _parse_range(value)
        attr = "published" if field == "submittedDate" else "updated"
        return lambda e: lo <= getattr(e, attr) < hi
    if field == "id":
        return lambda e: e.arxiv_id == value
    words = value.lower()
    texts = {"ti": lambda e: e.title, "abs": lambda e: e.abstract, "au": lambda e: " ".join(e.authors),
             "all": lambda e: " ".join([e.title, e.abstract, *e.authors])}
    if field not in texts:
        raise QueryError(f"unsupported field {field!r}")
    return lambda e: words in texts[field](e).lower()


def compile_query(query: str):
    tokens = _TOKEN.findall(query)
    pos = 0

    def term():
        nonlocal pos
        if pos >= len(tokens):
            raise QueryError("query ends early")
        token = tokens[pos]
        pos += 1
        if token == "(":
            inner = expr()
            if pos >= len(tokens) or tokens[pos] != ")":
                raise QueryError("unbalanced parentheses")
            pos += 1
            return inner
        return _atom(token)

    def expr():
        nonlocal pos
        left = term()
        while pos < len(tokens) and tokens[pos] in ("AND", "OR", "ANDNOT"):
            op = tokens[pos]
            pos += 1
            right = term()
            left = {"AND": lambda a, b: lambda e: a(e) and b(e),
                    "OR": lambda a, b: lambda e: a(e) or b(e),
                    "ANDNOT": lambda a, b: lambda e: a(e) and not b(e)}[op](left, right)
        return left

    predicate = expr()
    if pos != len(tokens):
        raise QueryError(f"unexpected {tokens[pos]!r}")
    return predicate


# ---------------------------------------------------------------- rendering

def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def render_entry(e: CorpusEntry) -> str:
    vid = f"{e.arxiv_id}v{e.version}"
    parts = [
        "  <entry>", f"    <id>http://arxiv.org/abs/{vid}</id>", f"    <title>{escape(e.title)}</title>",
        f"    <updated>{_iso(e.updated)}</updated>",
        f'    <link href="https://arxiv.org/abs/{vid}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{vid}" rel="related" type="application/pdf" title="pdf"/>',
        f"    <summary>{escape(e.abstract)}</summary>",
    ]
    parts += [f'    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>' for c in e.categories]
    parts.append(f"    <published>{_iso(e.published)}</published>")
    if e.comment:
        parts.append(f"    <arxiv:comment>{escape(e.comment)}</arxiv:comment>")
    parts.append(f"    <arxiv:primary_category term={quoteattr(e.categories[0])}/>")
    if e.journal_ref:
        parts.append(f"    <arxiv:journal_ref>{escape(e.journal_ref)}</arxiv:journal_ref>")
    parts += [f"    <author>\n      <name>{escape(a)}</name>\n    </author>" for a in e.authors]
    if e.doi:
        parts.append(f"    <arxiv:doi>{escape(e.doi)}</arxiv:doi>")
    parts.append("  </entry>")
    return "\n".join(parts)


def render_feed(entries: list[CorpusEntry], total: int, start: int, per_page: int, title: str) -> bytes:
    head = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <id>https://arxiv.org/api/replay</id>\n  <title>{escape(title)}</title>\n"
        f"  <updated>{_iso(dt.datetime.now(dt.timezone.utc))}</updated>\n"
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
    )
    return (head + "".join(render_entry(e) + "\n" for e in entries) + "</feed>\n").encode()


def error_feed(message: str) -> bytes:
    anchor = re.sub(r"\W+", "_", message)[:60]
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" xmlns:arxiv="http://arxiv.org/schemas/atom" '
        'xmlns="http://www.w3.org/2005/Atom">\n  <id>https://arxiv.org/</id>\n  <title>arXiv Search Results</title>\n'
        "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n  <opensearch:totalResults>1</opensearch:totalResults>\n"
        "  <opensearch:startIndex>0</opensearch:startIndex>\n  <entry>\n"
        f"    <id>https://arxiv.org/api/errors#{anchor}</id>\n    <title>Error</title>\n"
        f"    <summary>{escape(message)}</summary>\n    <author>\n      <name>arXiv api core</name>\n    </author>\n"
        "  </entry>\n</feed>\n"
    ).encode()


# ---------------------------------------------------------------- server

class ReplayState:
    def __init__(self, realdata: Path, corpus: list[CorpusEntry] | None = None,
                 pdf_aliases: dict[str, str] | None = None):
        self.realdata = realdata
        self.recordings: dict[tuple, tuple[int, Path]] = {}
        for url_file in sorted(realdata.glob("api/*/*.url.txt")):
            url, status_line = url_file.read_text().splitlines()[:2]
            params = {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
            status = int(status_line.split("=", 1)[1])
            self.recordings[_query_key(params)] = (status, url_file.with_name(url_file.name[: -len(".url.txt")] + ".xml"))
        self.corpus = load_corpus(realdata) if corpus is None else corpus
        self.pdfs = {p.name: p for p in (realdata / "pdf").glob("*.pdf")}
        self.pdf_aliases = dict(pdf_aliases or {})  # 'idvN' -> a real PDF's file name (synthetic corpora)
        self.faults: list[dict] = []
        self.as_of: dt.datetime | None = None  # set: arXiv as it was then (entries updated later are hidden)
        self.requests: list[dict] = []
        self.lock = threading.Lock()

    def take_fault(self, target: str) -> dict | None:
        with self.lock:
            for fault in self.faults:
                if fault.get("match", "") in target and fault.get("times", 1) != 0:
                    if fault.get("times", 1) > 0:
                        fault["times"] = fault.get("times", 1) - 1
                    return dict(fault)
        return None

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
        hits = [e for e in self.corpus if predicate(e) and (self.as_of is None or e.updated < self.as_of)
                and (not ids or e.arxiv_id in ids or f"{e.arxiv_id}v{e.version}" in ids)]
        sort_by, order = params.get("sortBy", "relevance"), params.get("sortOrder", "descending")
        if sort_by in ("submittedDate", "lastUpdatedDate"):
            attr = "published" if sort_by == "submittedDate" else "updated"
            hits.sort(key=lambda e: (getattr(e, attr), e.arxiv_id), reverse=order == "descending")
        title = f"arXiv Query: search_query={query}&id_list={','.join(ids)}&start={start}&max_results={per_page}"
        return 200, render_feed(hits[start:start + per_page], len(hits), start, per_page, title)

    def pdf_for(self, name: str) -> Path | None:
        name = name.removesuffix(".pdf")
        if name in self.pdf_aliases:
            return self.pdfs.get(self.pdf_aliases[name])
        if not re.fullmatch(r"[\w.\-/]+v\d+", name):
            return None
        flat = name.replace("/", "_")
        return next((p for n, p in sorted(self.pdfs.items()) if n == f"{flat}.pdf" or n.startswith(f"{flat}_")), None)


def _encrypted(path: Path) -> bytes:
    """A real PDF re-saved with a user password (AES-256): what a locked PDF on a server is."""
    import pymupdf

    with pymupdf.open(path) as doc:
        return doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="user")


def _handler(state: ReplayState):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # the request log is kept in state, not printed
            pass

        def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None, fault: dict | None = None):
            if fault and fault["kind"] == "truncate":
                body = body[: max(1, len(body) // 2)]
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
            head = b"%PDF-1.7\n%padding\n"
            first, rest = head + bytes((1 << 20) - len(head)), bytes(1 << 20)
            sent = 0
            try:
                while sent < size:
                    piece = (first if sent == 0 else rest)[: size - sent]
                    self.wfile.write(piece)
                    sent += len(piece)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def do_GET(self):
            target = self.path
            with state.lock:
                state.requests.append({"path": target, "at": dt.datetime.now(dt.timezone.utc).isoformat()})
            parts = urlsplit(target)
            if parts.path == "/_control/requests":
                return self._send(200, json.dumps(state.requests).encode(), "application/json")
            if parts.path == "/_control/health":
                return self._send(200, b'{"ok": true}', "application/json")
            fault = state.take_fault(target)
            if fault:
                if fault["kind"] == "status":
                    headers = {"Retry-After": fault["retry_after"]} if "retry_after" in fault else {}
                    return self._send(int(fault.get("status", 503)), b"service unavailable", "text/plain", headers)
                if fault["kind"] == "reset":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                if fault["kind"] == "body":  # serve another real file's bytes (e.g. pdf/odd/...) instead
                    path = (state.realdata / fault["file"]).resolve()
                    if state.realdata not in path.parents:
                        return self._send(400, b"fault file outside the recordings", "text/plain")
                    body = _encrypted(path) if fault.get("encrypt") else path.read_bytes()
                    if "bytes" in fault:
                        body = body[: int(fault["bytes"])]
                    return self._send(200, body, fault.get("content_type", "application/pdf"))
                if fault["kind"] == "huge":
                    return self._send_huge(int(float(fault.get("megabytes", 200)) * 1024 * 1024),
                                           fault.get("declare", True))
                if fault["kind"] == "slow":
                    import time

                    time.sleep(float(fault.get("delay", 2)))
            if parts.path.endswith("/api/query") or parts.path == "/api/query":
                params = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
                status, body = state.answer_query(params)
                if fault and fault["kind"] == "empty" and status == 200:
                    parsed = feedparser.parse(body)
                    total = int(parsed.feed.get("opensearch_totalresults", 0))
                    body = render_feed([], total, int(params.get("start", 0)), int(params.get("max_results", 10)), "empty")
                return self._send(status, body, "application/atom+xml; charset=utf-8", fault=fault)
            if parts.path.startswith("/pdf/"):
                pdf = state.pdf_for(parts.path[len("/pdf/"):])
                if pdf is None:
                    return self._send(404, b"no such PDF in the recordings", "text/plain")
                return self._send(200, pdf.read_bytes(), "application/pdf", fault=fault)
            return self._send(404, b"not found", "text/plain")

        def do_POST(self):
            path = urlsplit(self.path).path
            length = int(self.headers.get("Content-Length", 0))
            payload = json.loads(self.rfile.read(length) or b"null")
            if path == "/_control/faults":
                with state.lock:
                    state.faults.extend(payload if isinstance(payload, list) else [payload])
            elif path == "/_control/as_of":  # {"as_of": ISO time | null}
                with state.lock:
                    state.as_of = _ts(payload["as_of"]) if payload and payload.get("as_of") else None
            else:
                return self._send(404, b"not found", "text/plain")
            return self._send(200, b'{"ok": true}', "application/json")

        def do_DELETE(self):
            path = urlsplit(self.path).path
            with state.lock:
                if path == "/_control/faults":
                    state.faults.clear()
                elif path == "/_control/requests":
                    state.requests.clear()
                else:
                    return self._send(404, b"not found", "text/plain")
            return self._send(200, b'{"ok": true}', "application/json")

    return Handler


class ReplayServer:
    """`with ReplayServer() as server:` serves on 127.0.0.1:port (0 = any free port)."""

    def __init__(self, realdata: str | Path | None = None, host: str = "127.0.0.1", port: int = 0,
                 corpus: list[CorpusEntry] | None = None, pdf_aliases: dict[str, str] | None = None):
        # `corpus`: the entries listing queries are answered from (default: the demo corpus);
        # the scale benchmarks pass a synthetic one built from the real entries.
        self.state = ReplayState(realdata_dir(realdata), corpus, pdf_aliases)
        self.httpd = ThreadingHTTPServer((host, port), _handler(self.state))
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

    def start(self) -> "ReplayServer":
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="arxiv-replay", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "ReplayServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # helpers for tests
    def inject(self, *faults: dict) -> None:
        with self.state.lock:
            self.state.faults.extend(dict(f) for f in faults)

    def clear(self) -> None:
        with self.state.lock:
            self.state.faults.clear()
            self.state.requests.clear()

    @property
    def api_requests(self) -> list[str]:
        with self.state.lock:
            return [r["path"] for r in self.state.requests if "/api/query" in r["path"]]
