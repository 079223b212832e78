"""report_delivery against real receivers on loopback: an SMTP server (aiosmtpd) and an HTTP server
that checks Slack's, Feishu's and DingTalk's formats and signatures. Exactly once per content,
updates, resends, failures that leave the others delivered, backfills that send nothing."""

import json
import os
from email.header import decode_header, make_header

import dagster as dg
import pytest

from publishing.digests import channel_message, content_hash, fit_text
from resources.publish import Channel, dingtalk_sign, feishu_sign
from resources.settings import ConfigError
from tests.conftest import DEMO_DAY, free_port, pipeline_for, settings_for, stored
from tests.receivers import SmtpReceiver, WebhookReceiver

FEISHU_SECRET, DINGTALK_SECRET = "feishu-signing-secret", "SECdingtalk-signing-secret"
SEED = {"2512.20276", "2512.20014", "2512.20188", "2511.14396", "2512.21118", "2512.05107"}


@pytest.fixture
def receivers():
    with SmtpReceiver(free_port()) as smtp, WebhookReceiver(FEISHU_SECRET, DINGTALK_SECRET) as hooks:
        yield smtp, hooks


@pytest.fixture
def secrets(receivers, monkeypatch):
    """Every secret in the environment only (what the channels name), never in the configuration."""
    _, hooks = receivers
    for name, path in (("SLACK", "/slack"), ("FEISHU", "/feishu"), ("HOOK", "/hook")):
        monkeypatch.setenv(f"TEST_{name}_URL", f"{hooks.base_url}{path}")
    monkeypatch.setenv("TEST_DINGTALK_URL", f"{hooks.base_url}/dingtalk?access_token=dingtalk-token-123")
    monkeypatch.setenv("TEST_FEISHU_SECRET", FEISHU_SECRET)
    monkeypatch.setenv("TEST_DINGTALK_SECRET", DINGTALK_SECRET)


def channels(smtp_port: int) -> str:
    return json.dumps([
        {"name": "inbox", "kind": "email", "smtp_host": "127.0.0.1", "smtp_port": smtp_port, "security": "none",
         "sender": "arxiv-monitor@example.org", "recipients": ["team@example.org", "lead@example.org"]},
        {"name": "slack", "kind": "slack", "url_env": "TEST_SLACK_URL"},
        {"name": "feishu", "kind": "feishu", "url_env": "TEST_FEISHU_URL", "secret_env": "TEST_FEISHU_SECRET"},
        {"name": "dingtalk", "kind": "dingtalk", "url_env": "TEST_DINGTALK_URL", "secret_env": "TEST_DINGTALK_SECRET"},
        {"name": "hook", "kind": "webhook", "url_env": "TEST_HOOK_URL"},
    ])


def delivering_pipeline(server, home, smtp_port, **env):
    return pipeline_for(home, server, resources={"publish": {"backoff_seconds": 0.05}},
                        ARXIV_MONITOR_DELIVERY_CHANNELS=channels(smtp_port),
                        ARXIV_MONITOR_SITE_BASE_URL="https://team.example.org/arxiv", **env)


def prepare(pipeline):
    for names in (("raw_listings", "listing_embeddings", "filtered_papers"), ("daily_report",)):
        assert dg.materialize(pipeline.assets_named(*names), resources=pipeline.resources,
                              partition_key=DEMO_DAY).success


def deliver(pipeline, tags=None, **config):
    """One run of report_delivery with `config` (DeliveryConfig's fields) and run `tags`."""
    return dg.materialize(pipeline.assets_named("report_delivery"), resources=pipeline.resources,
                          partition_key=DEMO_DAY, tags=tags, raise_on_error=False,
                          run_config={"ops": {"report_delivery": {"config": config}}})


def counts(smtp, hooks) -> dict:
    return {"email": len(smtp.messages), **{p: len(v) for p, v in hooks.received.items()}}


def rows(home) -> dict:
    return {r[0]: r[1:] for r in stored(home, "select channel, status, attempts, content_hash, response "
                                              "from report_deliveries order by channel")}


def test_every_channel_gets_the_digest_once(server, home, receivers, secrets):
    smtp, hooks = receivers
    pipeline = delivering_pipeline(server, home, smtp.controller.port)
    prepare(pipeline)
    result = deliver(pipeline)
    assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
    assert counts(smtp, hooks) == {"email": 1, "/slack": 1, "/feishu": 1, "/dingtalk": 1, "/hook": 1}
    assert {c: r[0] for c, r in rows(home).items()} == dict.fromkeys(("dingtalk", "feishu", "hook", "inbox", "slack"),
                                                                      "sent")
    # The email: one multipart/alternative message, plain text and HTML, a UTF-8 Chinese subject.
    mail = smtp.messages[0]
    assert str(make_header(decode_header(mail["Subject"]))) == f"arXiv 监控 {DEMO_DAY}：6 篇论文，0 篇已分析"
    assert "=?utf-8?" in smtp.envelopes[0].content.decode("ascii").lower()  # encoded on the wire
    assert smtp.envelopes[0].rcpt_tos == ["team@example.org", "lead@example.org"]
    assert mail.get_content_type() == "multipart/alternative"
    plain, html = mail.get_body(("plain",)).get_content(), mail.get_body(("html",)).get_content()
    assert "匹配: Vision Language Action, vla" in plain and "（无可用分析）" in plain
    assert f"https://team.example.org/arxiv/days/{DEMO_DAY}.html#p-2512.20014" in plain
    assert "Bring My Cup! Personalizing Vision-Language-Action Models" in html and "<ol>" in html
    # The chat messages: each in its platform's format, signed where the platform signs.
    assert hooks.received["/feishu"][0]["msg_type"] == "text"
    assert hooks.received["/dingtalk"][0]["msgtype"] == "markdown"
    assert hooks.received["/slack"][0]["text"].count("<https://team.example.org/arxiv/days/") == 6
    generic = hooks.received["/hook"][0]
    assert generic["counts"] == {"papers": 6, "analysed": 0, "failed": 6} and generic["left_out"] == 0
    assert {p["arxiv_id"] for p in generic["papers"]} == SEED
    # No secret in what is stored or shown.
    meta = json.dumps({k: str(v.value) for e in result.get_asset_materialization_events()
                       for k, v in e.materialization.metadata.items()})
    stored_text = json.dumps(stored(home, "select * from report_deliveries"), default=str)
    for secret in (FEISHU_SECRET, DINGTALK_SECRET, "dingtalk-token-123", os.environ["TEST_SLACK_URL"]):
        assert secret not in meta and secret not in stored_text

    # Again: the same content is not sent again.
    again = deliver(pipeline)
    assert again.success
    assert counts(smtp, hooks) == {"email": 1, "/slack": 1, "/feishu": 1, "/dingtalk": 1, "/hook": 1}
    assert all(r[0] == "sent" for r in rows(home).values())

    # The content changes (a negative keyword drops one paper): an "updated" message everywhere.
    changed = delivering_pipeline(server, home, smtp.controller.port, ARXIV_MONITOR_EXCLUDE="Precipitation")
    prepare(changed)
    assert deliver(changed).success
    assert counts(smtp, hooks) == {"email": 2, "/slack": 2, "/feishu": 2, "/dingtalk": 2, "/hook": 2}
    assert str(make_header(decode_header(smtp.messages[1]["Subject"]))).startswith("【更新】")
    assert hooks.received["/hook"][1]["update"] is True and hooks.received["/hook"][1]["counts"]["papers"] == 5
    assert all(r[0] == "updated" for r in rows(home).values())

    # --resend forces a send of unchanged content.
    assert deliver(changed, resend=True).success
    assert counts(smtp, hooks)["/slack"] == 3 and counts(smtp, hooks)["email"] == 3


def test_a_failing_channel_leaves_the_others_delivered_and_the_day_untouched(server, home, receivers, secrets):
    smtp, hooks = receivers
    pipeline = delivering_pipeline(server, home, smtp.controller.port)
    prepare(pipeline)
    before = {t: stored(home, f"select * from {t} order by all")
              for t in ("raw_listings", "filtered_papers", "daily_report")}
    hooks.faults["/slack"] = [(500, None)] * 3  # down for three attempts
    hooks.faults["/hook"] = [(429, 1)]  # rate limited once, with Retry-After: 1
    result = deliver(pipeline)
    assert result.success  # the asset stored what happened ...
    check = result.get_asset_check_evaluations()[0]
    assert not check.passed and check.metadata["undelivered"].value == "slack"  # ... and the check says who missed
    state = rows(home)
    assert state["slack"][:2] == ("failed", 3) and "HTTP 500" in state["slack"][3]
    assert state["hook"][:2] == ("sent", 2)  # retried after the 429
    assert {c: r[0] for c, r in state.items() if c not in ("slack", "hook")} == dict.fromkeys(
        ("dingtalk", "feishu", "inbox"), "sent")
    assert hooks.requests["/slack"] == 3 and counts(smtp, hooks)["email"] == 1
    assert {t: stored(home, f"select * from {t} order by all") for t in before} == before
    # The next materialisation retries only the failed channel.
    again = deliver(pipeline)
    assert again.get_asset_check_evaluations()[0].passed
    assert counts(smtp, hooks) == {"email": 1, "/slack": 1, "/feishu": 1, "/dingtalk": 1, "/hook": 1}
    assert rows(home)["slack"][:2] == ("sent", 4)


def test_a_platform_error_is_not_retried_and_names_the_platform(server, home, receivers, secrets, monkeypatch):
    smtp, hooks = receivers
    monkeypatch.setenv("TEST_FEISHU_SECRET", "the-wrong-secret")
    pipeline = delivering_pipeline(server, home, smtp.controller.port)
    prepare(pipeline)
    assert deliver(pipeline).success
    state = rows(home)
    assert state["feishu"][:2] == ("failed", 1) and "feishu error 19021: sign match fail" in state["feishu"][3]
    assert "the-wrong-secret" not in state["feishu"][3] and hooks.requests["/feishu"] == 1


def test_a_backfill_delivers_nothing_unless_asked(server, home, receivers, secrets):
    smtp, hooks = receivers
    pipeline = delivering_pipeline(server, home, smtp.controller.port)
    prepare(pipeline)
    assert deliver(pipeline, tags={"dagster/backfill": "abc123"}).success
    assert counts(smtp, hooks) == {"email": 0} and set(r[0] for r in rows(home).values()) == {"not_sent_backfill"}
    assert deliver(pipeline, backfill=True, deliver=True).success
    assert counts(smtp, hooks)["email"] == 1 and hooks.requests["/slack"] == 1
    allowed = delivering_pipeline(server, home, smtp.controller.port, ARXIV_MONITOR_DELIVER_BACKFILLS="true",
                                  ARXIV_MONITOR_LANGUAGE="en")  # new content (language), backfills allowed
    prepare(allowed)
    assert deliver(allowed, tags={"dagster/backfill": "abc123"}).success
    assert counts(smtp, hooks)["email"] == 2


def test_no_channel_is_a_normal_state_and_an_empty_day_is_not_sent(server, home, receivers, secrets):
    smtp, hooks = receivers
    quiet = pipeline_for(home, server)
    prepare(quiet)
    assert deliver(quiet).success
    assert rows(home) == {"(none)": ("no_channels", 0, rows(home)["(none)"][2], "no [[delivery.channels]] configured")}
    weekend = delivering_pipeline(server, home, smtp.controller.port)
    for names in (("raw_listings", "listing_embeddings", "filtered_papers"), ("daily_report",), ("report_delivery",)):
        assert dg.materialize(weekend.assets_named(*names), resources=weekend.resources,
                              partition_key="2025-12-27").success
    statuses = stored(home, "select distinct status from report_deliveries where partition_date = '2025-12-27'")
    assert statuses == [("skipped_empty",)] and counts(smtp, hooks) == {"email": 0}


# ---------------------------------------------------------------- formats and limits (no network)

def sample_digest(n: int = 30) -> dict:
    papers = [{"arxiv_id": f"2512.{i:05d}", "title": f"Paper {i}: a long title about robots " * 3, "why": "vla",
               "tldr": f"这篇论文提出了一种方法，并在三个基准上验证了它的效果（第 {i} 篇）。", "analysed": True,
               "url": f"https://arxiv.org/abs/2512.{i:05d}v1"} for i in range(n)]
    return {"language": "zh", "day": DEMO_DAY, "subject": f"arXiv 监控 {DEMO_DAY}：{n} 篇论文，{n} 篇已分析",
            "announces": True,
            "kept": n, "analysed": n, "failed": 0, "papers": papers, "site_url": ""}


def test_size_limits_drop_whole_papers_and_say_how_many():
    d = sample_digest()
    full, included = fit_text(d, "text", 10**9, update=False)
    assert included == 30
    text, included = fit_text(d, "text", 4000, update=False)
    assert len(text.encode()) <= 4000 and 0 < included < 30
    assert text.rstrip().endswith(f"另有 {30 - included} 篇未列出，见完整报告。")
    for p in d["papers"][:included]:
        assert p["tldr"] in text  # every included TL;DR whole
    assert d["papers"][included]["tldr"] not in text
    big = sample_digest(400)
    for kind in ("feishu", "dingtalk", "slack"):
        message, included = channel_message(Channel(name=kind, kind=kind, url_env="X"), big, update=False)
        assert len(json.dumps(message["payload"], ensure_ascii=False).encode()) < 20_000 or kind == "slack"
        assert 0 < included < 400


def test_signatures_match_the_platforms_published_recipes():
    # Feishu: base64(HMAC-SHA256(key = "timestamp\nsecret", message = "")); DingTalk: HMAC(key = secret,
    # message = "timestamp\nsecret"), base64, URL-encoded. Values computed independently with openssl:
    # printf '' | openssl dgst -sha256 -hmac $'1700000000\nsecret' -binary | base64
    assert feishu_sign("secret", 1700000000) == "fiWS2+gh28DOydAv7hzONH/mDn9+b1Y4Y5ivXWXy8vA="
    # printf '1700000000000\nsecret' | openssl dgst -sha256 -hmac secret -binary | base64 (then URL-encoded)
    assert dingtalk_sign("secret", 1700000000000) == "OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D"


def test_content_hash_ignores_nothing_that_is_shown():
    d = sample_digest(3)
    assert content_hash(d) == content_hash(json.loads(json.dumps(d)))
    changed = json.loads(json.dumps(d))
    changed["papers"][1]["tldr"] += "！"
    assert content_hash(changed) != content_hash(d)


@pytest.mark.parametrize("channel, named", [
    ({"name": "a", "kind": "slack", "url": "https://hooks.slack.com/services/T/B/X"}, "'url' would put a secret"),
    ({"name": "a", "kind": "teams", "url_env": "X"}, "kind must be one of"),
    ({"name": "a", "kind": "feishu"}, "needs ['url_env']"),
    ({"name": "a", "kind": "email", "smtp_host": "h", "sender": "s", "recipients": ["r"], "password": "p"},
     "'password' would put a secret"),
    ({"name": "a", "kind": "email", "smtp_host": "h", "sender": "s", "recipients": ["r"], "username": "u"},
     "without password_env"),
    ({"name": "a", "kind": "slack", "url_env": "X", "colour": "red"}, "unknown key(s) ['colour']"),
])
def test_bad_channels_are_named(channel, named):
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        settings_for(ARXIV_MONITOR_DELIVERY_CHANNELS=json.dumps([channel]))


# ---------------------------------------------------------------- SMTP over TLS, with a login

@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (openssl), standing in for a server with a private CA."""
    import subprocess

    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(folder / "key.pem"),
                    "-out", str(folder / "cert.pem")], check=True, capture_output=True)
    return folder / "cert.pem", folder / "key.pem"


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_email_over_tls_with_login(certificate, security, monkeypatch):
    import ssl

    from aiosmtpd.smtp import AuthResult

    from resources.publish import PublishResource

    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((auth_data.login, auth_data.password))
        # handled=False: aiosmtpd answers 535 itself (its default, handled=True, means the authenticator
        # already answered, so a refusal would get no reply at all).
        return AuthResult(success=auth_data.login == b"bot" and auth_data.password == b"s3cret", handled=False)

    monkeypatch.setenv("TEST_SMTP_PASSWORD", "s3cret")
    port = free_port()
    tls = ({"tls_context": server_context, "require_starttls": True} if security == "starttls"
           else {"ssl_context": server_context})
    # Implicit TLS (ssl) is TLS from the first byte, which aiosmtpd's AUTH-needs-TLS rule does not see.
    receiver = SmtpReceiver(port, authenticator=authenticator, auth_require_tls=security == "starttls", **tls)
    channel = Channel(name="inbox", kind="email", smtp_host="127.0.0.1", smtp_port=port, security=security,
                      username="bot", password_env="TEST_SMTP_PASSWORD", sender="bot@example.org",
                      recipients=["team@example.org"], ca_file=str(cert))
    message = {"subject": "arXiv 监控 2025-12-25：1 篇论文", "text": "一篇论文", "html": "<p>一篇论文</p>"}
    publish = PublishResource(backoff_seconds=0.01)
    with receiver:
        sent = publish.send(channel, message)
        assert sent.ok, sent.response
        assert logins == [(b"bot", b"s3cret")] and len(receiver.messages) == 1
        assert receiver.messages[0].get_body(("plain",)).get_content().strip() == "一篇论文"
        # A wrong password: refused once (retrying cannot make it right), named, nothing sent, no secret shown.
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong-pass")
        refused = publish.send(channel, message)
        assert not refused.ok and refused.attempts == 1
        assert refused.response == "SMTP login refused (535)"
        assert len(receiver.messages) == 1 and (b"bot", b"wrong-pass") in logins


def test_an_untrusted_certificate_is_refused_once_and_named(certificate):
    import ssl

    from resources.publish import PublishResource

    cert, key = certificate
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    port = free_port()
    channel = Channel(name="inbox", kind="email", smtp_host="127.0.0.1", smtp_port=port, security="starttls",
                      sender="bot@example.org", recipients=["team@example.org"])
    message = {"subject": "s", "text": "t", "html": "<p>t</p>"}
    with SmtpReceiver(port, tls_context=server_context, require_starttls=True) as receiver:
        untrusted = PublishResource(backoff_seconds=0.01).send(channel, message)  # no ca_file: the system's CAs
        # Refused once (retrying cannot make a certificate trusted), and named.
        assert not untrusted.ok and untrusted.attempts == 1
        assert untrusted.response == "SMTP TLS certificate verify failed: self-signed certificate"
        assert receiver.messages == []
