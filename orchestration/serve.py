"""`arxiv-monitor serve`: the static site over HTTP on loopback, plus the reader's one write path, marks
(👍 👎 🔖 ✓) on a paper, stored in the `feedback` table.

A state-changing request must come from this site: its Host is the server's own (a DNS-rebinding page
is refused), its Origin is the server's own origin (a page of another site open in the same browser is
refused), and it carries this installation's token, which only a page of this origin can read
(`GET /api/session`; the browser keeps other origins from reading the answer). GET never changes
anything: a digest's mark link opens a confirmation page whose button posts the mark. Bodies are small
JSON or form posts; everything else is the static files under the site folder, nothing outside it.

A lab's site has a folder per reader (readers/NAME/): its pages ask readers/NAME/api/… and post there, with that
reader's own token (derived from the installation's), so a page or link of one reader never marks for another.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import http.server
import json
import os
import re
import secrets
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from publishing.site import has_weekly_pages, saved_page
from publishing.wording import LABELS
from ranking.feedback import FeedbackError, check_signal, paper_id, record, states
from resources.warehouse import WarehouseBusy

TOKEN_FILE = "serve-token"
MAX_BODY_BYTES = 2048
TOKEN_HEADER = "X-Arxiv-Monitor-Token"


def installation_token(home: Path) -> str:
    """This installation's token (created once, readable by its owner only)."""
    path = home / TOKEN_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        staged = path.with_suffix(f".{os.getpid()}")
        descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as f:
            f.write(secrets.token_urlsafe(32))
        os.replace(staged, path)
    return path.read_text().strip()


def reader_token(installation: str, folder: str) -> str:
    """The token of the reader whose pages are in `folder` ("" for a single reader: the installation's own)."""
    if not folder:
        return installation
    return hmac.new(installation.encode(), folder.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class ServedReader:
    """A reader whose pages the server serves: their folder under the site ("" for a single reader), whose marks
    they record (profile), their language and their token."""

    folder: str
    profile: str
    language: str
    token: str

    @property
    def prefix(self) -> str:
        return f"/{self.folder}" if self.folder else ""


_READER_PATH = re.compile(r"^/(readers/[A-Za-z0-9-]+)(/.*)$")


class SiteServer(http.server.ThreadingHTTPServer):
    daemon_threads = True  # stopping never waits for a browser's kept-alive connection

    def __init__(self, address, site: Path, token: str, warehouse, readers: list[tuple[str, str, str]],
                 extra_hosts: tuple[str, ...] = ()):
        """`readers`: (folder, profile, language) of each reader; one with folder "" for a single reader."""
        super().__init__(address, SiteHandler)
        self.site, self.warehouse = site, warehouse
        self.readers = {folder: ServedReader(folder, profile, language, reader_token(token, folder))
                        for folder, profile, language in readers}
        port = self.server_address[1]
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", *extra_hosts}
        self.origins = {f"http://{h}" for h in self.hosts} | {f"https://{h}" for h in extra_hosts}

    def reader_at(self, path: str) -> tuple[ServedReader | None, str]:
        """(the reader whose folder `path` is in, the path within it); None outside every reader's folder."""
        match = _READER_PATH.match(path)
        if match and match.group(1) in self.readers:
            return self.readers[match.group(1)], match.group(2)
        return self.readers.get(""), path


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    server: SiteServer

    def __init__(self, request, client_address, server: SiteServer):
        super().__init__(request, client_address, server, directory=str(server.site))

    # ---------------------------------------------------------------- plumbing
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass  # a reader's browsing is not the terminal's business

    def end_headers(self):
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")  # the confirmation page cannot be framed (clickjacking)
        self.send_header("Content-Security-Policy", "frame-ancestors 'none'")
        super().end_headers()

    def _send(self, status: int, body: str, content_type: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False, default=str), "application/json; charset=utf-8")

    def _error(self, status: int, message: str) -> None:
        self._json(status, {"error": message})

    def _host_ok(self) -> bool:
        if self.headers.get("Host", "") in self.server.hosts:
            return True
        self._error(421, "this server answers only to its own address")
        return False

    # ---------------------------------------------------------------- reads
    def do_HEAD(self):
        if self._host_ok():
            super().do_HEAD()

    def do_GET(self):
        if not self._host_ok():
            return
        url = urllib.parse.urlsplit(self.path)
        reader, path = self.server.reader_at(url.path)
        try:
            if reader is None or path not in ("/api/session", "/api/feedback", "/saved.html", "/feedback"):
                super().do_GET()
            elif path == "/api/session":
                self._json(200, {"token": reader.token, "profile": reader.profile})
            elif path == "/api/feedback":
                self._json(200, {k: _public(v) for k, v in states(self.server.warehouse, reader.profile).items()})
            elif path == "/saved.html":
                rows = self.server.warehouse.query_rows("saved_papers", profile=reader.profile)
                page = saved_page(rows, reader.language, weekly=has_weekly_pages(self.server.site / reader.folder))
                self._send(200, page, "text/html; charset=utf-8")
            else:
                self._confirmation(reader, urllib.parse.parse_qs(url.query))
        except WarehouseBusy as exc:
            self._error(503, str(exc))

    def _confirmation(self, reader: ServedReader, query: dict) -> None:
        try:
            arxiv_id = paper_id((query.get("id") or [""])[0])
            signal = check_signal((query.get("signal") or [""])[0])
        except FeedbackError as exc:
            self._error(400, str(exc))
            return
        t = LABELS[reader.language]
        label = t.get(signal, signal)
        page = (f'<!doctype html><html lang="{t["lang"]}"><head><meta charset="utf-8"><title>{t["confirm"]}</title>'
                f'</head><body><p>{t["confirm_question"]} {_html(arxiv_id)} — {_html(label)}</p>'
                f'<form method="post" action="{reader.prefix}/feedback">'
                f'<input type="hidden" name="id" value="{_html(arxiv_id)}">'
                f'<input type="hidden" name="signal" value="{_html(signal)}">'
                f'<input type="hidden" name="token" value="{_html(reader.token)}">'
                f'<button type="submit">{t["confirm"]}: {_html(label)}</button></form>'
                f'<p><a href="{reader.prefix}/index.html">{t["home"]}</a></p></body></html>')
        self._send(200, page, "text/html; charset=utf-8")

    # ---------------------------------------------------------------- the write path
    def do_POST(self):
        if not self._host_ok():
            return
        reader, path = self.server.reader_at(urllib.parse.urlsplit(self.path).path)
        if reader is None or path not in ("/api/feedback", "/feedback"):
            self._error(404, f"nothing to post to at {urllib.parse.urlsplit(self.path).path}")
            return
        if self.headers.get("Origin") not in self.server.origins:
            self._error(403, "cross-origin request refused: marks are posted from this site's own pages")
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._error(411, "a Content-Length is required")
            return
        if length > MAX_BODY_BYTES or length < 0:
            self._error(413, f"body of {length} bytes; a mark is at most {MAX_BODY_BYTES}")
            return
        raw = self.rfile.read(length).decode("utf-8", errors="replace")
        form = path == "/feedback"
        try:
            fields = _form(raw) if form else json.loads(raw or "{}")
            if not isinstance(fields, dict):
                raise ValueError("not an object")
        except ValueError:
            self._error(400, "the body is not a JSON object {\"id\": …, \"signal\": …}")
            return
        token = fields.get("token", "") if form else self.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(str(token).encode(), reader.token.encode()):
            self._error(403, "missing or wrong token: marks are posted from this reader's pages served by "
                             "arxiv-monitor serve")
            return
        try:
            state = record(self.server.warehouse, reader.profile, str(fields.get("id", "")),
                           str(fields.get("signal", "")), "email" if form else "site")
        except FeedbackError as exc:
            self._error(400, str(exc))
            return
        except WarehouseBusy as exc:
            self._error(503, str(exc))
            return
        if form:
            t, at = LABELS[reader.language], reader.prefix
            self._send(200, f'<!doctype html><html lang="{t["lang"]}"><head><meta charset="utf-8"></head><body>'
                            f'<p>{t["recorded"]}: {_html(state["arxiv_id"])} — '
                            f'{_html(t.get(fields["signal"], fields["signal"]))}</p>'
                            f'<p><a href="{at}/index.html">{t["home"]}</a> · <a href="{at}/saved.html">'
                            f'{t["saved_title"]}</a></p></body></html>', "text/html; charset=utf-8")
        else:
            self._json(200, _public(state))


def _public(state: dict) -> dict:
    return {"arxiv_id": state["arxiv_id"], "rating": state.get("rating"), "saved": bool(state.get("saved")),
            "read": bool(state.get("read"))}


def _form(raw: str) -> dict:
    return {k: v[0] for k, v in urllib.parse.parse_qs(raw, strict_parsing=False).items()}


def _html(text: str) -> str:
    return html.escape(str(text), quote=True)

