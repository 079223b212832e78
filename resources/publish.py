"""Where reports go besides the data directory: the site's public address and the delivery channels
(email over SMTP; Slack, Feishu/Lark, DingTalk and generic JSON webhooks).

Secrets never live in the configuration file: a channel names the *environment variable* that holds
its webhook URL (which carries the token), signing secret or SMTP password (`url_env`, `secret_env`,
`password_env`), and the value is read only when sending. It never enters metadata or logs: a
response stored or shown is stripped of the URL and of anything that looks like the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import smtplib
import ssl
import time
import urllib.parse
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Annotated

import dagster as dg
import requests
from pydantic import BeforeValidator

from resources.channels import Channel, checked_channels
from resources.fields import setting


class DeliveryFailed(RuntimeError):
    """A send failed. `passing`: worth retrying (timeout, reset, 429, 5xx, a platform's rate limit)."""

    def __init__(self, message: str, passing: bool, retry_after: float | None = None):
        super().__init__(message)
        self.passing, self.retry_after = passing, retry_after


@dataclass
class SendResult:
    ok: bool
    attempts: int
    response: str


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu/Lark custom bot: base64(HMAC-SHA256(key = "<timestamp>\\n<secret>", message = ""))."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk custom robot: base64(HMAC-SHA256(key = secret, message = "<timestamp>\\n<secret>")),
    URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


def _secret(variable: str, what: str, channel: Channel) -> str:
    value = os.environ.get(variable, "") if variable else ""
    if not value:
        raise DeliveryFailed(f"channel {channel.name!r}: environment variable {variable or '(none named)'} "
                             f"holding its {what} is not set", passing=False)
    return value


class PublishResource(dg.ConfigurableResource):
    """`base_url`: where the site is served (links in messages and the feed); `channels`: where the
    digest is sent; `send_empty`: send days with no paper too; `deliver_backfills`: backfill runs
    deliver too (a backfill of 30 days would otherwise send 30 messages per channel)."""

    base_url: str = setting("site", "ARXIV_MONITOR_SITE_BASE_URL", "",
                            "Where the site is served: links in messages and the feed.")
    send_empty: bool = setting("delivery", "ARXIV_MONITOR_SEND_EMPTY", False,
                               "Send a digest on days with no paper too.")
    deliver_backfills: bool = setting("delivery", "ARXIV_MONITOR_DELIVER_BACKFILLS", False, description=(
        "Backfill runs deliver too (a backfill of 30 days would send 30 messages per channel)."))
    channels: Annotated[list[Channel], BeforeValidator(checked_channels)] = setting(
        "delivery", "ARXIV_MONITOR_DELIVERY_CHANNELS", [], description=(
        "Where the digest goes: [[delivery.channels]] tables (email, slack, feishu, dingtalk, webhook); secrets are "
        "named by variable (url_env, secret_env, password_env)."))
    timeout_seconds: float = 20.0
    max_attempts: int = 3
    backoff_seconds: float = 2.0
    max_retry_after_seconds: float = 60.0

    def send(self, channel: Channel, message: dict) -> SendResult:
        """Send one channel's message, retrying passing failures with backoff (Retry-After honoured)."""
        attempts, last = 0, ""
        while attempts < self.max_attempts:
            attempts += 1
            try:
                return SendResult(True, attempts, self._send_once(channel, message))
            except DeliveryFailed as exc:
                last = self._scrub(str(exc), channel)
                if not exc.passing or attempts >= self.max_attempts:
                    break
                wait = exc.retry_after if exc.retry_after is not None else self.backoff_seconds * 2 ** (attempts - 1)
                time.sleep(min(wait, self.max_retry_after_seconds))
        return SendResult(False, attempts, last)

    def _scrub(self, text: str, channel: Channel) -> str:
        for variable in (channel.url_env, channel.secret_env, channel.password_env):
            value = os.environ.get(variable, "") if variable else ""
            if value:
                text = text.replace(value, f"${variable}")
        return text[:500]

    def _send_once(self, channel: Channel, message: dict) -> str:
        if channel.kind == "email":
            return self._send_email(channel, message)
        url = _secret(channel.url_env, "webhook URL", channel)
        body = message["payload"]
        if channel.kind == "feishu" and channel.secret_env:
            timestamp = int(time.time())
            body = {**body, "timestamp": str(timestamp),
                    "sign": feishu_sign(_secret(channel.secret_env, "signing secret", channel), timestamp)}
        if channel.kind == "dingtalk" and channel.secret_env:
            timestamp_ms = int(time.time() * 1000)
            secret = _secret(channel.secret_env, "signing secret", channel)
            url += ("&" if "?" in url else "?") + f"timestamp={timestamp_ms}&sign={dingtalk_sign(secret, timestamp_ms)}"
        try:
            answer = requests.post(url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                                   headers={"Content-Type": "application/json; charset=utf-8"},
                                   timeout=self.timeout_seconds)
        except requests.RequestException as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}", passing=True) from None
        return _check_answer(channel.kind, answer)

    def _send_email(self, channel: Channel, message: dict) -> str:
        email = EmailMessage()
        email["Subject"], email["From"], email["To"] = message["subject"], channel.sender, ", ".join(channel.recipients)
        email.set_content(message["text"])
        email.add_alternative(message["html"], subtype="html")
        # Certificates are always verified (host name included); `ca_file` adds a private CA.
        context = ssl.create_default_context()
        if channel.ca_file:
            context.load_verify_locations(cafile=channel.ca_file)
        try:
            if channel.security == "ssl":
                server = smtplib.SMTP_SSL(channel.smtp_host, channel.smtp_port, timeout=self.timeout_seconds,
                                          context=context)
            else:
                server = smtplib.SMTP(channel.smtp_host, channel.smtp_port, timeout=self.timeout_seconds)
            with server:
                if channel.security == "starttls":
                    server.starttls(context=context)
                if channel.username:
                    server.login(channel.username, _secret(channel.password_env, "SMTP password", channel))
                refused = server.send_message(email)
        except ssl.SSLCertVerificationError as exc:  # retrying will not make a certificate trusted
            raise DeliveryFailed(f"SMTP TLS certificate verify failed: {exc.verify_message or exc}",
                                 passing=False) from None
        except smtplib.SMTPNotSupportedError as exc:  # e.g. no AUTH, or no STARTTLS: the server's setup
            raise DeliveryFailed(f"SMTP: {exc}", passing=False) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryFailed(f"SMTP login refused ({exc.smtp_code})", passing=False) from None
        except smtplib.SMTPResponseException as exc:  # 4xx: try again later; 5xx: refused for good
            raise DeliveryFailed(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                                 passing=400 <= exc.smtp_code < 500) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP {type(exc).__name__}: {exc}", passing=True) from None
        if refused:
            raise DeliveryFailed(f"SMTP refused recipients: {sorted(refused)}", passing=False)
        return f"250 accepted for {len(channel.recipients)} recipient(s)"


def _retry_after(answer: requests.Response) -> float | None:
    try:
        return float(answer.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _check_answer(kind: str, answer: requests.Response) -> str:
    """The platform's verdict. Feishu and DingTalk answer HTTP 200 with an error code in the body."""
    text = answer.text[:300]
    if answer.status_code == 429 or answer.status_code >= 500:
        raise DeliveryFailed(f"HTTP {answer.status_code}: {text}", passing=True, retry_after=_retry_after(answer))
    if answer.status_code >= 400:
        raise DeliveryFailed(f"HTTP {answer.status_code}: {text}", passing=False)
    if kind in ("feishu", "dingtalk"):
        try:
            body = answer.json()
        except ValueError:
            raise DeliveryFailed(f"HTTP {answer.status_code}, not JSON: {text}", passing=False) from None
        code = body.get("code", body.get("StatusCode", 0)) if kind == "feishu" else body.get("errcode", 0)
        if code:
            message = body.get("msg") or body.get("errmsg") or ""
            # Feishu 9499 and DingTalk 130101: sending too fast.
            raise DeliveryFailed(f"{kind} error {code}: {message}", passing=code in (9499, 130101))
    return f"HTTP {answer.status_code}: {text}"


