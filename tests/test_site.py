"""The static site (report_site): pages from the stored rows, search in a real browser from file://,
the Atom feed parsed back, hostile text kept as text, atomic rewrites, `arxiv-monitor serve`."""

import copy
import datetime as dt
import html.parser
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import dagster as dg
import feedparser
import pytest

from assets.publishing import stored_context
from publishing.site import day_page, paper_anchor, render_site, safe_url, search_script
from tests.conftest import DEMO_DAY, REPO, free_port, pipeline_for, replay_env, serving

SEED = {"2512.20276", "2512.20014", "2512.20188", "2511.14396", "2512.21118", "2512.05107"}
WEEKEND = "2025-12-27"
HOSTILE_TITLE = '<script>alert("t")</script> **bold** [click](javascript:alert(1)) <img src=x onerror=alert(2)>'
# A screenshot of the demo day's page is kept here (not in git) for a person to look at.
SCREENSHOTS = REPO / "test-output"


def materialise_site(pipeline, day: str) -> None:
    for names in (("raw_listings", "listing_embeddings", "filtered_papers"), ("daily_report",), ("report_site",)):
        assert dg.materialize(pipeline.assets_named(*names), resources=pipeline.resources, partition_key=day).success


@pytest.fixture(scope="module")
def site(replay, tmp_path_factory):
    """The demo day and a weekend day through the real assets (no LLM: the papers show as not analysed)."""
    home = tmp_path_factory.mktemp("site") / "home"
    pipeline = pipeline_for(home, replay)
    materialise_site(pipeline, DEMO_DAY)
    materialise_site(pipeline, WEEKEND)
    return home / "site", pipeline, home


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Debian's chromium is not installed: `make test` installs it (apt-get install chromium)"
    return found


def browser(*args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run([chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


# ---------------------------------------------------------------- files

def test_site_has_index_day_pages_search_index_and_feed(site):
    root, _, _ = site
    assert {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} == {
        "index.html", "search-index.js", "search.json", "feed.xml", f"days/{DEMO_DAY}.html", f"days/{WEEKEND}.html",
        "saved.html"}
    assert not list(root.rglob("*.tmp"))  # written beside, then renamed
    index = (root / "index.html").read_text(encoding="utf-8")
    assert index.index(WEEKEND) < index.index(DEMO_DAY)  # newest first
    assert "arXiv 在这一天没有发布公告 (周末)" in index  # the weekend is marked
    assert f'<td><a href="days/{DEMO_DAY}.html">{DEMO_DAY}</a></td><td>6</td><td>0</td><td>6</td>' in index
    entries = json.loads((root / "search.json").read_text(encoding="utf-8"))
    assert {e["arxiv_id"] for e in entries} == SEED and all(e["day"] == DEMO_DAY for e in entries)
    assert all(e["tldr"] == "" for e in entries)  # nothing analysed here: no TL;DR is invented


def test_day_page_comes_from_the_stored_rows(site):
    root, pipeline, home = site
    page = (root / "days" / f"{DEMO_DAY}.html").read_text(encoding="utf-8")
    for arxiv_id in SEED:
        assert f'id="{paper_anchor(arxiv_id)}"' in page and f'href="#{paper_anchor(arxiv_id)}"' in page
    assert "内容接近你的兴趣「Vision-language-action models" in page
    assert "没有分析记录" in page  # the failures, apart, with their reason
    assert page.index('id="failed"') < page.index('id="provenance"')
    # Rendered from the rows, not from the Markdown: deleting the Markdown file changes nothing.
    (home / "reports" / f"{DEMO_DAY}.md").unlink()
    context = stored_context(dt.date.fromisoformat(DEMO_DAY), pipeline.resources["warehouse"],
                             pipeline.resources["reader"])
    again = day_page(context)
    assert again.split('id="provenance"')[0] == page.split('id="provenance"')[0]


def test_atom_feed_parses_back(site):
    root, _, _ = site
    feed = feedparser.parse((root / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.id for e in feed.entries] == [f"urn:arxiv-monitor:day:{WEEKEND}", f"urn:arxiv-monitor:day:{DEMO_DAY}"]
    demo = feed.entries[1]
    assert demo.title == f"{DEMO_DAY}: 6 papers, 0 analysed, 6 without analysis"
    assert demo.link == f"days/{DEMO_DAY}.html"
    assert "ActionFlow: A Pipelined Action Acceleration" in demo.summary


# ---------------------------------------------------------------- hostile text

def hostile_context(pipeline) -> dict:
    context = stored_context(dt.date.fromisoformat(DEMO_DAY), pipeline.resources["warehouse"],
                             pipeline.resources["reader"])
    context = copy.deepcopy(context)
    paper = context["failed"][0]
    paper.update(title=HOSTILE_TITLE, abstract="</p><script>alert(3)</script>",
                 links=[{"url": "javascript:alert(4)", "kind": "github", "found_in": "abstract", "where": "摘要"}],
                 code={"url": "javascript:alert(5)", "kind": "github"})
    return context


def test_hostile_title_and_links_stay_text(site):
    _, pipeline, _ = site
    page = day_page(hostile_context(pipeline))
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in page
    assert "javascript:" not in page.replace("[click](javascript:alert(1))", "")
    assert safe_url("javascript:alert(1)") is None and safe_url("https://github.com/a/b") == "https://github.com/a/b"
    script = search_script([{"title": "</script><script>alert(1)</script>"}])
    assert "</script>" not in script and "\\u003c/script\\u003e" in script


# ---------------------------------------------------------------- a real browser

def test_browser_shows_papers_search_and_keeps_hostile_text_inert(site, tmp_path):
    root, pipeline, _ = site
    dom = browser("--dump-dom", f"file://{root / 'days' / (DEMO_DAY + '.html')}")
    assert dom.count('class="paper failed"') == 6 and 'id="p-2512.20014"' in dom
    found = browser("--virtual-time-budget=5000", "--dump-dom", f"file://{root / 'index.html'}?q=fast-slow")
    assert found.count('class="hit"') == 1
    assert f'href="days/{DEMO_DAY}.html#p-2512.20188">Asynchronous Fast-Slow Vision-Language-Action' in found
    everything = browser("--virtual-time-budget=5000", "--dump-dom", f"file://{root / 'index.html'}?q=vision")
    assert everything.count('class="hit"') == 5  # STLDM is the one without "vision" in title, authors or keywords
    # A hostile title on a page and in the search index: the browser shows it as text, runs nothing.
    hostile = tmp_path / "hostile"
    context = hostile_context(pipeline)
    search_rows = [{"partition_date": dt.date.fromisoformat(DEMO_DAY), "arxiv_id": "2512.20014", "title": HOSTILE_TITLE,
                    "authors": ["Eve"], "matched_keywords": ["vla"], "keywords": None, "tldr": None}]
    render_site(hostile, context, "zh", [], search_rows, "", dt.datetime.now(dt.UTC))
    page_dom = browser("--virtual-time-budget=3000", "--dump-dom", f"file://{hostile / 'days' / (DEMO_DAY + '.html')}")
    assert "<img" not in page_dom and page_dom.count("<script") == 1  # the page's own (marks, when served)
    assert "&lt;script&gt;alert(\"t\")&lt;/script&gt;" in page_dom
    search_dom = browser("--virtual-time-budget=5000", "--dump-dom", f"file://{hostile / 'index.html'}?q=bold")
    assert search_dom.count('class="hit"') == 1 and "<img" not in search_dom
    assert "&lt;script&gt;alert(\"t\")&lt;/script&gt;" in search_dom
    SCREENSHOTS.mkdir(exist_ok=True)
    shot = SCREENSHOTS / "site-day.png"
    browser("--window-size=1200,1600", f"--screenshot={shot}", f"file://{root / 'days' / (DEMO_DAY + '.html')}")
    assert shot.stat().st_size > 10_000
    print(f"screenshot of the demo day's page: {shot}")


# ---------------------------------------------------------------- rewrites and serve

def test_rerendering_a_day_replaces_its_files_whole(site, tmp_path):
    root, pipeline, home = site
    copy_root = tmp_path / "site"
    shutil.copytree(root, copy_root)
    before = {p.name: p.stat().st_ino for p in copy_root.glob("*.*")}
    (member,) = pipeline.resources["reader"].members()
    context = stored_context(dt.date.fromisoformat(DEMO_DAY), pipeline.resources["warehouse"],
                             pipeline.resources["reader"], member)
    from assets.publishing import stored_days

    render_site(copy_root, context, "zh", stored_days(pipeline.resources["warehouse"], member),
                pipeline.resources["warehouse"].query_rows("site_search", reader=member.name, language="zh"),
                "https://example.org/arxiv",
                dt.datetime.now(dt.UTC))
    after = {p.name: p.stat().st_ino for p in copy_root.glob("*.*")}
    assert set(after) == set(before) and all(after[n] != before[n] for n in before)  # new files renamed in
    assert not list(copy_root.rglob("*.tmp"))
    feed = feedparser.parse((copy_root / "feed.xml").read_bytes())
    assert feed.entries[1].link == f"https://example.org/arxiv/days/{DEMO_DAY}.html"


def test_serve_answers_on_loopback(site, replay):
    _, _, home = site
    with serving(replay_env(replay, home), f"days/{DEMO_DAY}.html") as (_, body):
        assert 'id="p-2512.20014"' in body.decode("utf-8")


def test_serve_without_a_site_says_so(replay, tmp_path):
    out = subprocess.run([str(Path(sys.executable).parent / "arxiv-monitor"), "serve", "--port", str(free_port())],
                         cwd=REPO, env=replay_env(replay, tmp_path / "empty"), capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2 and "no site at" in out.stderr


# ---------------------------------------------------------------- every link of the demo's site

class Links(html.parser.HTMLParser):
    """Every href and src of a page, and its element ids (the targets of its fragments)."""

    def __init__(self):
        super().__init__()
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "xlink:href") and value:
                self.links.append(value)
            if name == "id" and value:
                self.ids.add(value)


def browse(url: str, folder: Path) -> tuple[str, list[tuple[str, int]], list[str]]:
    """A page loaded in chromium: (its DOM after its scripts ran, (url, status) of every response the page's
    loading received from the site, what it wrote to the console)."""
    net_log = folder / "net.json"
    with tempfile.TemporaryDirectory() as profile:
        out = subprocess.run([chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              f"--user-data-dir={profile}", f"--log-net-log={net_log}", "--enable-logging=stderr",
                              "--v=0", "--virtual-time-budget=3000", "--dump-dom", url],
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    urls, statuses = {}, {}
    for event in json.loads(net_log.read_text())["events"]:
        params, source = event.get("params") or {}, event["source"]["id"]
        if "url" in params and source not in urls:
            urls[source] = params["url"]
        if params.get("headers") and str(params["headers"][0]).startswith("HTTP/"):
            statuses[source] = int(params["headers"][0].split()[1])
    site = url.split("/")[2]
    responses = [(urls[s], status) for s, status in statuses.items() if s in urls and urls[s].split("/")[2] == site]
    console = [line for line in out.stderr.splitlines() if ":CONSOLE" in line]
    return out.stdout, responses, console


def test_every_link_of_the_demos_site_leads_to_a_page_and_no_console_error(demo, tmp_path):
    """From the index, every page the demo's site links (day, week, weeks, trends, reading list, feed and
    what those link) is followed under `arxiv-monitor serve`, in a real browser: no 404 for a page or any
    resource it loads, no fragment without its target, nothing on the console."""
    env, _ = demo
    port = free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "arxiv-monitor"), "serve", "--port", str(port)],
                              cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "index.html", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, server.stderr.read()
                time.sleep(0.2)
        pages, seen, targets, fragments = [base + "index.html"], set(), {}, []
        while pages:
            page = pages.pop()
            if page in seen:
                continue
            seen.add(page)
            if page.endswith(".xml"):
                feed = feedparser.parse(urllib.request.urlopen(page, timeout=10).read())
                links = [link["href"] for entry in feed.entries for link in entry.links]
            else:
                dom, responses, console = browse(page, tmp_path)
                assert [r for r in responses if r[1] != 200] == [], page
                assert console == [], page
                parsed = Links()
                parsed.feed(dom)
                links, targets[page] = parsed.links, parsed.ids
            for link in links:
                target = urllib.parse.urljoin(page, link)
                if not target.startswith(base):
                    continue  # arXiv, code and data: links out of the site (and data: URLs)
                address, _, fragment = target.partition("#")
                if fragment:
                    fragments.append((page, address, fragment))
                if address.endswith((".html", ".xml")):
                    pages.append(address)
                else:
                    with urllib.request.urlopen(address, timeout=10) as answer:
                        assert answer.status == 200, (page, address)
        for page, address, fragment in fragments:
            assert fragment in targets[address], (page, address, fragment)
        visited = {p.removeprefix(base) for p in seen}
        assert {"index.html", f"days/{DEMO_DAY}.html", "weeks.html", "weeks/2025-12-22.html", "trends.html",
                "saved.html", "feed.xml"} <= visited, visited
    finally:
        server.terminate()
        server.wait(timeout=60)


class DevTools:
    """A page in headless chromium driven over the DevTools protocol: real key presses and pointer moves."""

    def __init__(self, socket):
        self.socket, self.last = socket, 0

    def send(self, method: str, **params) -> dict:
        self.last += 1
        self.socket.send(json.dumps({"id": self.last, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("id") == self.last:
                assert "error" not in message, message
                return message.get("result", {})

    def value(self, expression: str):
        return self.send("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def press(self, key: str, code: int) -> None:
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=key, windowsVirtualKeyCode=code)


def devtools_page(url: str, profile: str):
    """(chromium's process, a DevTools session on `url` once it has loaded)."""
    from websockets.sync.client import connect

    port = free_port()
    process = subprocess.Popen([chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                f"--user-data-dir={profile}", f"--remote-debugging-port={port}",
                                "--window-size=1200,900", url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2).read())
            page = next(t for t in targets if t["type"] == "page" and t["url"].startswith("file:"))
            break
        except (OSError, StopIteration, ValueError):
            assert time.monotonic() < deadline and process.poll() is None, "chromium's DevTools did not answer"
            time.sleep(0.2)
    tools = DevTools(connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=30))
    tools.send("Emulation.setFocusEmulationEnabled", enabled=True)
    while tools.value("document.readyState") != "complete":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return process, tools


SHOWN = "getComputedStyle({0}.querySelector('.sources')).display"


def test_a_real_analysis_shows_each_statements_sources_by_keyboard_hover_and_tap(unet_analysis, tmp_path):
    """The default model's analysis of U-Net on a day page in chromium: a statement's cited sentences are
    hidden until the statement is reached with Tab, hovered, or tapped; each shows the paper's own sentences."""
    from publishing.report import report_context
    from tests.test_report import DAY, LISTING, monitor, paper

    source, analysed = unet_analysis
    row = paper(arxiv_id=source["arxiv_id"], title=source["title"], abstract=source["abstract"],
                **{k: analysed[k] for k in ("status", "basis", "tldr", "summary", "motivation", "contributions",
                                            "method", "experiments", "keywords", "model", "statements")})
    context = report_context(DAY, monitor("zh"), LISTING, [row], dt.datetime(2025, 12, 26, 1, 0, tzinfo=dt.UTC))
    page = tmp_path / "day.html"
    page.write_text(day_page(context), encoding="utf-8")
    process, tools = devtools_page(page.as_uri(), str(tmp_path / "profile"))
    try:
        count = tools.value("document.querySelectorAll('.claim').length")
        assert count > 0
        assert tools.value(f"[...document.querySelectorAll('.claim')].every(c => {SHOWN.format('c')} === 'none')")
        for _ in range(400):  # Tab through the page's links and buttons to the first statement
            tools.press("Tab", 9)
            if tools.value("document.activeElement.classList.contains('claim')"):
                break
        else:
            pytest.fail("no statement is reachable with the keyboard")
        assert tools.value(SHOWN.format("document.activeElement")) == "block"
        assert tools.value("document.activeElement === document.querySelector('.claim')")
        cited = tools.value("document.activeElement.querySelector('.source').textContent")
        first = next(s for name in ("tldr", "summary") for s in analysed["statements"] if s["section"] == name)
        assert cited.startswith(f"“{first['sources'][0]['text']}”")  # the paper's own sentence, verbatim
        tools.press("Tab", 9)  # on to the next: the first hides again
        assert tools.value(SHOWN.format("document.querySelector('.claim')")) == "none"
        assert tools.value(SHOWN.format("document.activeElement")) == "block"
        # hovered with the pointer, and tapped (a tap focuses it), the last statement shows its sources too
        last = f"document.querySelectorAll('.claim')[{count - 1}]"
        tools.value(f"document.activeElement.blur(); {last}.scrollIntoView()")
        box = tools.value(f"(r => [r.x + 4, r.y + r.height / 2])({last}.getClientRects()[0])")
        tools.send("Input.dispatchMouseEvent", type="mouseMoved", x=box[0], y=box[1])
        assert tools.value(SHOWN.format(last)) == "block"
        for kind in ("mousePressed", "mouseReleased"):
            tools.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)
        tools.send("Input.dispatchMouseEvent", type="mouseMoved", x=2, y=2)
        assert tools.value(f"document.activeElement === {last}") and tools.value(SHOWN.format(last)) == "block"
    finally:
        tools.socket.close()
        process.terminate()
        process.wait(timeout=30)
