"""Real receivers on loopback for the delivery tests: an SMTP server (aiosmtpd) and an HTTP server
that plays Slack, Feishu/Lark, DingTalk and a generic JSON endpoint. It verifies each platform's
signature as the platform does, answers in the platform's own error format, and can be told to
answer 429 with Retry-After or 5xx for the next requests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections import defaultdict
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1: every accepted message, parsed with `email` (policy.default)."""

    def __init__(self, port: int, **options):
        """`options`: aiosmtpd's (tls_context + require_starttls, ssl_context, authenticator...)."""
        self.messages: list = []
        self.envelopes: list = []
        self.controller = Controller(self, hostname="127.0.0.1", port=port, **options)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class WebhookReceiver:
    """Paths /slack, /feishu, /dingtalk, /hook. `faults[path]` is a list of (status, retry_after) answered
    before the real handling, one per request."""

    def __init__(self, feishu_secret: str = "", dingtalk_secret: str = ""):
        self.feishu_secret, self.dingtalk_secret = feishu_secret, dingtalk_secret
        self.received: dict[str, list[dict]] = defaultdict(list)  # accepted messages per path
        self.requests: dict[str, int] = defaultdict(int)  # every request per path
        self.faults: dict[str, list[tuple[int, float | None]]] = defaultdict(list)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802 (http.server's hook name)
                url = urllib.parse.urlsplit(self.path)
                path = url.path
                receiver.requests[path] += 1
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver.faults[path]:
                    status, retry_after = receiver.faults[path].pop(0)
                    self.answer(status, {"error": "injected"}, {"Retry-After": str(retry_after)} if retry_after else {})
                    return
                try:
                    payload = json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    self.answer(400, {"error": "invalid_payload"})
                    return
                status, answer = receiver.handle(path, dict(urllib.parse.parse_qsl(url.query)), payload)
                self.answer(status, answer)

            def answer(self, status, body, headers=None):
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def handle(self, path: str, query: dict, payload: dict) -> tuple[int, dict | str]:
        if path == "/slack":
            if not isinstance(payload.get("text"), str) or not payload["text"]:
                return 400, "invalid_payload"  # Slack answers plain text
            self.received[path].append(payload)
            return 200, "ok"
        if path == "/feishu":
            if self.feishu_secret:
                timestamp = int(payload.get("timestamp", "0"))
                key = f"{timestamp}\n{self.feishu_secret}".encode()
                expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
                if payload.get("sign") != expected or abs(time.time() - timestamp) > 3600:
                    return 200, {"code": 19021,
                                 "msg": "sign match fail or timestamp is not within one hour from current time"}
            if payload.get("msg_type") != "text" or not payload.get("content", {}).get("text"):
                return 200, {"code": 19002, "msg": "params error"}
            if len(json.dumps(payload, ensure_ascii=False).encode()) > 20 * 1024:
                return 200, {"code": 9499, "msg": "request body too large"}
            self.received[path].append(payload)
            return 200, {"code": 0, "msg": "success", "data": {}}
        if path == "/dingtalk":
            if self.dingtalk_secret:
                timestamp = query.get("timestamp", "0")
                digest = hmac.new(self.dingtalk_secret.encode(), f"{timestamp}\n{self.dingtalk_secret}".encode(),
                                  hashlib.sha256).digest()
                if query.get("sign") != base64.b64encode(digest).decode():  # parse_qsl already URL-decoded it
                    return 200, {"errcode": 310000, "errmsg": "sign not match"}
            if payload.get("msgtype") != "markdown" or not payload.get("markdown", {}).get("text"):
                return 200, {"errcode": 40035, "errmsg": "missing parameter"}
            if len(json.dumps(payload, ensure_ascii=False).encode()) > 20_000:
                return 200, {"errcode": 460101, "errmsg": "message too long"}
            self.received[path].append(payload)
            return 200, {"errcode": 0, "errmsg": "ok"}
        if path == "/hook":
            self.received[path].append(payload)
            return 200, {"ok": True}
        return 404, {"error": "no such hook"}

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
