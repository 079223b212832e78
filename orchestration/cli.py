"""`arxiv-monitor`: run partitions through Dagster, the demo, the replay server, read-only SQL."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from resources.settings import REPO_ROOT, ConfigError

DEMO_DAY = "2025-12-25"
# The project's Dagster instance configuration (pools, run queue, run monitoring), copied into a
# DAGSTER_HOME that has none.
INSTANCE_CONFIG = REPO_ROOT / "dagster_home" / "dagster.yaml"
DEMO_WATCH_AUTHORS = "Ashish Vaswani,Olaf Ronneberger,Yoshua Bengio"


def _fail(message: str) -> int:
    print(f"arxiv-monitor: error: {message}", file=sys.stderr)
    return 2


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def summarise(asset: str, m: dict) -> str:
    """One line per materialisation for the terminal."""
    if asset == "raw_listings":
        if not m["announces"]:
            return f"no announcement ({m['reason']})"
        return (f"{m['rows']} rows (new {m['rows_new']}, cross {m['rows_cross']}, replace {m['rows_replace']}, "
                f"replace-cross {m['rows_replace_cross']}); {m['requests']} requests; "
                + ("complete" if m["complete"] else "INCOMPLETE: " + m["note"]))
    if asset == "listing_embeddings":
        return f"{m['embedded']} embedded, {m['from_cache']} from cache ({m['model']}, {m['dimensions']}-d)"
    if asset == "filtered_papers":
        return (f"kept {m['kept']} of {m['listings']} listings ({m['updates']} updates, "
                f"{m['kept_by_semantic_only']} by the interest profile alone)")
    if asset == "paper_fulltext":
        statuses = ", ".join(f"{k.removeprefix('status_')} {v}" for k, v in m.items() if k.startswith("status_") and v)
        reused = f" ({m['extractions_reused']} extractions re-used)" if m.get("extractions_reused") else ""
        return f"{m['papers']} papers, {m['pages']} pages in {m['seconds']} s{reused}: {statuses or 'none'}"
    if asset == "paper_summaries":
        return (f"{m['ok']} analysed, {m['rejected']} rejected by the quality gates, {m['failed']} failed, "
                f"{m['cache_hits']} from cache; {m['requests']} requests, "
                f"{m['tokens_in']} tokens in / {m['tokens_out']} out in {m['seconds']} s")
    if asset == "report_site":
        days = m["days_in_index"]
        return (f"{days} day{'s' if days != 1 else ''} in the index, search index {m['search_index_bytes']} bytes "
                f"→ {m['page']}")
    if asset == "report_delivery":
        statuses = ", ".join(f"{k.removeprefix('status_')} {v}" for k, v in m.items() if k.startswith("status_"))
        if not m.get("sent_now") and (m.get("status_sent") or m.get("status_updated")):
            return f"{m['channels']} channel(s): digest unchanged since it was delivered, nothing sent ({statuses})"
        return f"{m['channels']} channel(s): {statuses}, {m.get('sent_now', 0)} sent now"
    if asset == "daily_report":
        return f"{m['papers']} papers with analyses, {m['failed']} without a usable one → {m['path']}"
    return ", ".join(f"{k}={v}" for k, v in m.items() if not isinstance(v, str) or len(v) < 60)


def _print_run(stretch, day, result, progress) -> int:
    """One line per materialised asset; returns the number of failures (a failed run or check)."""
    if not result.success:
        progress.console.print(f"[red]{day}: FAILED[/red] {_failure(result)}", soft_wrap=True, markup=True,
                               highlight=False)
        return 1
    from orchestration.runner import materializations

    found = materializations(result)
    for asset in stretch:
        name = asset.key.to_user_string()
        if name in found:
            progress.console.print(f"{day} {name}: {summarise(name, found[name])}", soft_wrap=True)
    failures = 0
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            failures += 1
            detail = {k: v.value for k, v in evaluation.metadata.items()}
            progress.console.print(f"[red]{day} check {evaluation.check_name} FAILED[/red] {detail}", soft_wrap=True)
    return failures


def _failure(result) -> str:
    """What made the run fail, in one line: the failed step's own description (a `dg.Failure`), else
    the first line of its error, else Dagster's run message."""
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            if data.user_failure_data is not None and data.user_failure_data.description:
                return data.user_failure_data.description
            if data.error is not None:
                return f"{event.step_key}: {data.error.message.strip().splitlines()[-1]}"
    messages = [e.message for e in result.all_events if e.is_failure]
    return messages[-1] if messages else "failed"


def _stopped_by_user(result) -> bool:
    """Whether a step of the run failed because Ctrl-C or SIGTERM stopped it (assets.partitions)."""
    from assets.partitions import INTERRUPTED

    return any(e.is_step_failure and INTERRUPTED in str(e.event_specific_data) for e in result.all_events)


def _warehouse(settings=None, lock_timeout_seconds: float = 600.0):
    """The configured warehouse, for the commands that run without Dagster (queries, marks)."""
    from resources.settings import load_settings
    from resources.warehouse import WarehouseResource

    return WarehouseResource(database=str((settings or load_settings()).database_path),
                             lock_timeout_seconds=lock_timeout_seconds)


def _dagster_instance():
    """The Dagster instance of $DAGSTER_HOME (default: the repository's dagster_home), configured by the
    project's dagster.yaml when the folder has none: the CLI, the schedule and the UI share one
    instance configuration (pools, run queue, run monitoring)."""
    import shutil
    import tempfile

    import dagster as dg

    os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT / "dagster_home"))
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(INSTANCE_CONFIG, home / "dagster.yaml")
    stores = ("history", "schedules", "storage")  # SQLite: runs, schedules, event logs
    if not all((home / name).exists() for name in stores):
        # Two first runs on a new home would both create and stamp its SQLite databases, and corrupt them
        # ("more than one head"): each run creates them aside and moves each into place, atomically;
        # the first to arrive wins, the others use it.
        staging = Path(tempfile.mkdtemp(prefix=".init-", dir=home))
        try:
            shutil.copyfile(home / "dagster.yaml", staging / "dagster.yaml")
            with dg.DagsterInstance.from_config(str(staging)):
                pass
            for name in stores:
                try:
                    (staging / name).rename(home / name)
                except OSError:
                    pass  # another run's is in place
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return dg.DagsterInstance.get()


def run_days(first: str, last: str | None, select: list[str] | None = None, refresh: bool = False,
             deliver: bool = False, resend: bool = False,
             quiet: bool = False, env: dict[str, str] | None = None) -> int:
    """Materialise each day of [first, last] through Dagster, one run per day, with progress.
    `env`: the environment the settings are read from (default: this process's)."""
    import contextlib

    from rich.progress import Progress

    from arxiv_domain.calendar import parse_day
    from orchestration.definitions import build_pipeline
    from orchestration.runner import materialize_stretch, stretches
    from resources.data_dir import check_data_dir
    from resources.settings import load_settings

    try:
        start = parse_day(first)
        end = parse_day(last) if last else start
        settings = load_settings(env)
        check_data_dir(settings.home, settings.get("data_dir", "min_free_megabytes"))
    except (ValueError, ConfigError) as exc:
        return _fail(str(exc))
    if end < start:
        return _fail(f"--to {end} is before --date {start}")
    pipeline = build_pipeline(settings)
    keys = set(pipeline.partitions.get_partition_keys())
    for day in (start, end):
        if day.isoformat() not in keys:
            if day < settings.start_date:
                return _fail(f"{day} is before the first partition {settings.start_date} "
                             "(set [calendar].start_date / ARXIV_MONITOR_START_DATE)")
            return _fail(f"{day} is in the future: its arXiv listing does not exist yet")
    names = [a.key.to_user_string() for a in pipeline.assets]
    unknown = set(select or []) - set(names)
    if unknown:
        return _fail(f"unknown asset(s): {', '.join(sorted(unknown))}; known: {', '.join(names)}")
    selected = [a for a in pipeline.assets if not select or a.key.to_user_string() in select]
    days = _days(start, end)
    # Run config of the assets that take one; a range of days is a backfill: report_delivery sends
    # nothing for it unless asked (--deliver).
    ops = {"raw_listings": {"refresh": refresh},
           "report_delivery": {"backfill": len(days) > 1, "deliver": deliver, "resend": resend}}
    instance = _dagster_instance()
    failures = 0
    keep_llm_up = contextlib.nullcontext()
    if len(days) > 1 and "paper_summaries" in (select or names):
        # One LLM server for the whole range: each day's run finds it healthy and reuses it.
        keep_llm_up = pipeline.resources["llm_server"].running()
    runs = stretches(selected, pipeline.assets)
    with keep_llm_up, Progress(disable=quiet) as progress:
        task = progress.add_task("materialising", total=len(days))
        for day in days:
            progress.update(task, description=f"{day}")
            for stretch in runs:
                config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}},
                          "ops": {name: {"config": ops[name]} for name in ops
                                  if name in {a.key.to_user_string() for a in stretch}}}
                result = materialize_stretch(stretch, pipeline.checks, day, pipeline.resources, instance, config)
                if _stopped_by_user(result):
                    raise KeyboardInterrupt
                failed = _print_run(stretch, day, result, progress)
                failures += failed
                if failed:
                    break
            progress.advance(task)
    print(f"database: {settings.database_path}")
    return 1 if failures else 0


def run_weeks(first: str, last: str | None, deliver: bool = False, resend: bool = False) -> int:
    """Materialise the weekly digest (and its delivery) of every ended week that has a day in [first, last]."""
    from arxiv_domain.calendar import parse_day
    from orchestration.definitions import build_pipeline
    from orchestration.runner import materializations, materialize_stretch
    from resources.settings import load_settings

    try:
        start = parse_day(first)
        end = parse_day(last) if last else start
        settings = load_settings()
    except (ValueError, ConfigError) as exc:
        return _fail(str(exc))
    pipeline = build_pipeline(settings)
    mondays = sorted({day - dt.timedelta(days=day.weekday()) for day in _days(start, end)})
    ended = set(pipeline.weeks.get_partition_keys())
    missing = [m for m in mondays if m.isoformat() not in ended]
    if missing:
        return _fail(f"the week of {missing[0]} has not ended (or is before [calendar].start_date): its digest is "
                     "made once its Sunday has passed")
    instance = _dagster_instance()
    config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}},
              "ops": {"weekly_delivery": {"config": {"backfill": len(mondays) > 1, "deliver": deliver,
                                                     "resend": resend}}}}
    failures = 0
    for monday in mondays:
        result = materialize_stretch(pipeline.weekly, [], monday, pipeline.resources, instance, config)
        if _stopped_by_user(result):
            raise KeyboardInterrupt
        if result.success:
            meta = materializations(result).get("weekly_digest", {})
            print(f"week of {monday}: {meta.get('shown', 0)} of {meta.get('kept', 0)} papers in the digest; "
                  f"rising: {meta.get('rising_topics', 'none')}")
        else:
            failures += 1
            print(f"week of {monday}: FAILED {_failure(result)}", file=sys.stderr)
    print(f"site: {settings.home / 'site' / 'weeks.html'}")
    return 1 if failures else 0


def cmd_demo(args) -> int:
    from llm_analysis.models import REGISTRY, ModelError
    from replay.corpus import RealdataMissing
    from replay.server import ReplayServer
    from resources.data_dir import DataDirResource
    from resources.settings import load_settings

    settings = load_settings(os.environ)
    llm = settings.resource("llm_server")
    if llm.get("backend", "auto") in ("auto", "llama-cpp") and llm.get("llama_model") in REGISTRY:
        try:
            pull_model(llm["llama_model"])  # says first what it downloads, and how much
        except ModelError as exc:
            return _fail(str(exc))
    try:
        server = ReplayServer(realdata=args.realdata).start()
    except RealdataMissing as exc:
        return _fail(str(exc))
    try:
        # The seed's six papers have no PDF offline; watching the authors of three recorded PDFs
        # gives the full-text stage real papers to read (README: "The demo").
        env = {"ARXIV_MONITOR_WATCH_AUTHORS": DEMO_WATCH_AUTHORS, **os.environ,
               "ARXIV_API_URL": server.api_url, "ARXIV_PDF_URL": server.pdf_url, "ARXIV_MIN_INTERVAL": "0",
               "ARXIV_MONITOR_STEP_RETRY_DELAY": "1"}
        print(f"replay server (real recorded arXiv data) at {server.base_url}")
        code = run_days(args.date, None, refresh=args.refresh, env=env)
        if code == 0:
            settings = load_settings(env)
            warehouse = _warehouse(settings)
            day = dt.date.fromisoformat(args.date)
            rows = warehouse.query("listing_counts", partition_date=day)
            print(f"\nraw_listings for announcement day {args.date}, by announce type:")
            for announce_type, papers in rows:
                print(f"  {announce_type:<16}{papers:>5}")
            print(f"  {'total':<16}{sum(p for _, p in rows):>5}")
            statuses = warehouse.query("fulltext_status_counts", partition_date=day)
            print(f"\npaper_fulltext for {args.date}, by status (real PDFs from ../shared/realdata/pdf):")
            for status, papers in statuses:
                print(f"  {status:<16}{papers:>5}")
            data_dir = DataDirResource(**settings.resource("data_dir"))
            report = data_dir.reports_dir / f"{args.date}.md"
            if report.exists():
                print(f"\nreport: {report}")
            page = data_dir.site_dir / "days" / f"{args.date}.html"
            if page.exists():
                print(f"site:   {data_dir.site_dir / 'index.html'} (this day: {page}; or `arxiv-monitor serve`)")
        return code
    finally:
        server.stop()


def cmd_config(args) -> int:
    """The effective settings and where each came from; or the schema written out."""
    from resources.config_docs import file_choices, reference_markdown, render_toml
    from resources.settings import SETTINGS, config_path, load_settings

    if args.reference:
        print(reference_markdown(), end="")
        return 0
    if args.toml:
        print(render_toml(file_choices(config_path())), end="")
        return 0
    settings = load_settings()
    print(f"configuration file: {settings.source}\ndata directory:     {settings.home}")
    for setting in SETTINGS:
        value = settings.values[setting.name]
        shown = value.isoformat() if hasattr(value, "isoformat") else value
        origin = {"default": "default", "file": settings.source.name,
                  "environment": f"environment {setting.var}"}[settings.sources[setting.name]]
        print(f"{setting.name:<36} = {shown!r:<48} ({origin})")
    return 0


def cmd_model(args) -> int:
    from llm_analysis.models import DEFAULT_CPU_MODEL, REGISTRY, ModelError, cache_dir, is_present

    if args.model_command == "list":
        print(f"cache: {cache_dir()}")
        for model in REGISTRY.values():
            size = f"{model.size / 1e9:.2f} GB" if model.size else "(hub)"
            state = "pulled" if is_present(model) else "not pulled"
            print(f"  {model.name:<20} {model.parameters:>5} {size:>9}  {state:<10} {model.licence:<40} "
                  f"{model.source.describe()}")
        return 0
    name = args.name or DEFAULT_CPU_MODEL
    try:
        path = pull_model(name)
    except ModelError as exc:
        return _fail(str(exc))
    print(f"{name}: {path}")
    return 0


def pull_model(name: str):
    """The model's file, pulled first when missing, with a progress bar over its parts."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from llm_analysis.models import is_present, pull, spec

    model = spec(name)
    if is_present(model):
        return pull(name)
    size = f"{model.size / 1e9:.2f} GB" if model.size else "its size is the hub's"
    print(f"pulling model {model.name} ({model.title}, {size}, licence {model.licence}) from "
          f"{model.source.describe()}; once, into a cache every data directory shares", flush=True)
    with Progress(TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn()) as progress:
        task = progress.add_task("parts", total=None)
        path = pull(name, progress=lambda done, total: progress.update(task, completed=done, total=total))
    print(f"  verified: {path.stat().st_size:,} bytes, sha256 as registered → {path}", flush=True)
    return path


def cmd_replay(args) -> int:
    from replay.corpus import RealdataMissing
    from replay.server import ReplayServer

    try:
        server = ReplayServer(realdata=args.realdata, host=args.host, port=args.port)
    except RealdataMissing as exc:
        return _fail(str(exc))
    print(f"replaying real arXiv recordings at {server.base_url}\n"
          f"  export ARXIV_API_URL={server.api_url}\n  export ARXIV_PDF_URL={server.pdf_url}\n"
          f"  export ARXIV_MIN_INTERVAL=0", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


def cmd_query(args) -> int:
    import duckdb

    import sql
    from orchestration.query import QueryRefused, file_access_refusal, read_statement, write_result
    from resources.warehouse import WarehouseBusy

    if args.list:
        for name in sql.saved_names():
            query = sql.saved(name)
            print(f"{name}: {query.description}\n    --param {query.usage()}")
        return 0
    try:
        if args.saved:
            if args.sql:
                return _fail("give either SQL or --saved NAME, not both")
            query = sql.saved(args.saved)
            given = {}
            for item in args.param:
                key, sep, value = item.partition("=")
                if not sep:
                    return _fail(f"--param {item!r}: expected NAME=VALUE")
                given[key.strip()] = value
            statement, params = query.statement, query.bind(given)
        elif args.sql:
            if args.param:
                return _fail("--param goes with --saved NAME")
            statement, params = read_statement(args.sql), {}
        else:
            return _fail("give a SQL statement, --saved NAME or --list")
        with _warehouse().reader(wait_seconds=args.wait, sealed=True) as conn:
            cursor = conn.execute(statement, sql.params_for(statement, params))
            if cursor.description is not None:
                write_result(cursor, args.format, sys.stdout)
        return 0
    except duckdb.PermissionException:
        return _fail(file_access_refusal(statement))
    except (WarehouseBusy, FileNotFoundError, ConfigError, QueryRefused, sql.SavedQueryError) as exc:
        return _fail(str(exc))
    except duckdb.Error as exc:  # DuckDB's own message (syntax, unknown column...), no traceback
        message = str(exc).strip()
        if "read-only" in message:
            message = f"refused: the query command is read-only ({message.splitlines()[0]})"
        return _fail(message)


def cmd_similar(args) -> int:
    """The saved query `similar`, with messages for the two empty cases."""
    import duckdb

    import sql
    from arxiv_domain.ids import ARXIV_ID
    from orchestration.query import write_result
    from resources.warehouse import WarehouseBusy

    arxiv_id = args.arxiv_id.strip()
    if not ARXIV_ID.match(arxiv_id):
        return _fail(f"not an arXiv id: {arxiv_id!r} (write 2512.20014 or math/0601001, without version)")
    if args.limit < 1:
        return _fail(f"--limit must be at least 1, got {args.limit}")
    query = sql.saved("similar")
    params = query.bind({"arxiv_id": arxiv_id, "limit": str(args.limit)})
    try:
        with _warehouse().reader(wait_seconds=args.wait, sealed=True) as conn:
            if not conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'listing_embeddings'"
                                ).fetchone()[0]:
                return _fail("no embeddings stored yet: materialise listing_embeddings (arxiv-monitor run --date D)")
            cursor = conn.execute(query.statement, sql.params_for(query.statement, params))
            rows = cursor.fetchall()
            if not rows:
                return _fail(f"{arxiv_id} has no stored embedding, or nothing else is stored: it is not in any "
                             "materialised listing_embeddings day")
            write_result(_Replay(cursor.description, rows), args.format, sys.stdout)
        return 0
    except (WarehouseBusy, FileNotFoundError, ConfigError) as exc:
        return _fail(str(exc))
    except duckdb.Error as exc:
        return _fail(str(exc).strip())


class _Replay:
    """Rows already fetched, shaped like the cursor `write_result` reads."""

    def __init__(self, description, rows):
        self.description, self._rows = description, rows

    def fetchall(self):
        return self._rows

    def fetchmany(self, size):
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows


def cmd_serve(args) -> int:
    """The site over HTTP (loopback by default), with the reader's marks (orchestration/serve.py)."""
    import signal
    import urllib.parse

    from orchestration.serve import SiteServer, installation_token
    from resources.settings import load_settings

    settings = load_settings()
    site = settings.home / "site"
    if not (site / "index.html").is_file():
        return _fail(f"no site at {site}: materialise report_site first (arxiv-monitor run --date D)")
    base = urllib.parse.urlsplit(settings.get("publish", "base_url") or "")
    try:
        httpd = SiteServer((args.host, args.port), site, installation_token(settings.home),
                           _warehouse(settings, lock_timeout_seconds=15),  # a browser should not wait on a run
                           settings.get("monitor", "profile"), settings.get("monitor", "language"),
                           extra_hosts=(base.netloc,) if base.netloc else ())
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")

    def stop(signum, frame):
        raise KeyboardInterrupt  # SIGTERM (a service manager, a test) stops it as Ctrl-C does

    signal.signal(signal.SIGTERM, stop)
    print(f"serving {site} at http://{args.host}:{httpd.server_address[1]}/ (Ctrl-C to stop)", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
    return 0


def cmd_feedback(args) -> int:
    """Mark a paper: up, down, save, read (unrate, unsave, clear undo them)."""
    from ranking.feedback import FeedbackError, record
    from resources.settings import load_settings

    settings = load_settings()
    try:
        state = record(_warehouse(settings), settings.get("monitor", "profile"), args.arxiv_id, args.signal, "cli")
    except (FeedbackError, FileNotFoundError) as exc:
        return _fail(str(exc))
    marks = [{"up": "👍", "down": "👎"}.get(state.get("rating") or "", ""), "🔖" if state.get("saved") else "",
             "✓" if state.get("read") else ""]
    print(f"{state['arxiv_id']}: {' '.join(m for m in marks if m) or 'no mark'}  {state.get('title') or ''}".rstrip())
    return 0


def cmd_saved(args) -> int:
    """The reading list, or its BibTeX."""
    from arxiv_domain.bibtex import arxiv_entries
    from resources.settings import load_settings

    settings = load_settings()
    try:
        rows = _warehouse(settings).query_rows("saved_papers", profile=settings.get("monitor", "profile"))
    except FileNotFoundError as exc:
        return _fail(str(exc))
    if args.bibtex:
        sys.stdout.write(arxiv_entries(rows))
        return 0
    if not rows:
        print("nothing saved yet: arxiv-monitor feedback ID save")
    for r in rows:
        print(f"{r['arxiv_id']}v{r['version']}  {r['first_announced']}  {' '.join(r['title'].split())}")
        if r.get("tldr"):
            print(f"    {r['tldr']}")
    return 0


def cmd_preview(args) -> int:
    """What the keep rule keeps of a stored day and what it just misses, under the configured interests or
    other wordings given with --interest; nothing is written."""
    from assets.ingest import filter_rules, interests_of, keep_rule
    from publishing.report import matched_labels, why_kept
    from ranking.closeness import MissingVectors, preview_keep
    from ranking.relevance import ProfileError
    from resources.configured import build_resources
    from resources.embedder import EmbeddingError
    from resources.settings import load_settings
    from resources.warehouse import WarehouseBusy

    settings = load_settings()
    interests = [t.strip() for t in args.interest or [] if t.strip()]
    if args.interest and not interests:
        return _fail("--interest: an empty wording (write the interest in plain words)")
    if args.near < 0:
        return _fail(f"--near must be 0 or more, got {args.near}")
    resources = build_resources(settings, monitor={"interests": interests} if interests else {})
    warehouse, monitor = resources["warehouse"], resources["monitor"]
    try:
        if args.date:
            try:
                day = dt.date.fromisoformat(args.date)
            except ValueError:
                return _fail(f"--date: not a day: {args.date!r} (write YYYY-MM-DD)")
        else:
            day = warehouse.query_rows("latest_listing_day")[0]["day"]
            if day is None:
                return _fail("no listing stored yet: run a day first (arxiv-monitor run --date D)")
        embedder = resources["embedder"]
        preview = preview_keep(day, interests_of(monitor), filter_rules(monitor), keep_rule(monitor),
                               warehouse.query_rows, embedder.embed, embedder.identity, near=args.near)
    except (ProfileError, EmbeddingError, MissingVectors, WarehouseBusy, FileNotFoundError) as exc:
        return _fail(str(exc))
    if not preview.listings:
        return _fail(f"no listing stored for {day}: run it first (arxiv-monitor run --date {day})")
    basis = preview.basis
    if not basis.get("profile_items"):
        rule = "keywords and watched authors only (no interests, examples or BibTeX)"
    elif basis.get("calibrated"):
        rule = (f"calibrated score ≥ {monitor.calibrated_threshold} (against {basis['history_sample']} earlier "
                "listings and the day's)")
    else:
        rule = f"cosine ≥ {monitor.threshold} (too few listings to calibrate)"
    if basis.get("learned"):
        rule += (f", or learned score ≥ {monitor.learned_threshold} "
                 f"({basis['liked']} liked, {basis['disliked']} disliked)")
    print(f"{day}: {preview.listings} listings; closeness kept by {rule}")
    for label in monitor.interests:
        print(f"  interest: {label}")
    print(f"\nkept ({len(preview.kept)}):")
    for r in preview.kept:
        why = why_kept(matched_labels(r), r["semantic_score"], r["closest_interest"], monitor.language,
                       r["learned_score"], r["closest_liked"])
        z = "" if r["calibrated_score"] is None else f" [calibrated {r['calibrated_score']:.2f}]"
        print(f"  {r['rank']:>3}  {r['arxiv_id']}v{r['version']}  {' '.join(r['title'].split())}\n"
              f"       {why}{z}")
    if preview.near:
        print(f"\njust below ({len(preview.near)}):")
        for r in preview.near:
            z = "" if r["calibrated_score"] is None else f", calibrated {r['calibrated_score']:.2f}"
            print(f"       {r['arxiv_id']}v{r['version']}  {' '.join(r['title'].split())}\n"
                  f"       cosine {r['semantic_score']:.2f}{z} to: {r['closest_interest']}")
        print(f"\nWant one of these? arxiv-monitor feedback ID up (from {monitor.learn_after} marks on, "
              "the ranking learns from them)")
    return 0


def cmd_export(args) -> int:
    from orchestration.query import export_parquet
    from resources.warehouse import WarehouseBusy

    target = Path(args.to).resolve()
    try:
        with _warehouse().reader(wait_seconds=args.wait) as conn:
            counts = export_parquet(conn, target)
    except (WarehouseBusy, FileNotFoundError, ConfigError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot write the export to {target}: {exc.strerror or exc}")
    for table, rows in counts.items():
        print(f"{table:<16}{rows:>9} rows → {target / table}/partition_date=*/")
    return 0


def cmd_llm_server(args) -> int:
    """Keep one LLM server up (e.g. through a long backfill): runs reuse a healthy one."""
    import signal

    from resources.configured import build_resources
    from resources.llm_server import LLMServerError
    from resources.settings import load_settings

    resource = build_resources(load_settings())["llm_server"]
    try:
        with resource.running() as server:
            state = "started" if server.started_here else "already running (reused)"
            print(f"LLM server {state}: {server.backend} at {server.base_url}, model alias {server.model}, "
                  f"context {server.context_length}; Ctrl-C stops it", flush=True)
            if server.started_here:
                signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
                signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except LLMServerError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        pass
    return 0


def cmd_extract(args) -> int:
    import json

    from pdf_reading.links import merge_links
    from pdf_reading.workers import extract_many
    from resources.settings import load_settings

    path = Path(args.pdf)
    if not path.is_file():
        return _fail(f"no such file: {path}")
    time_limit = args.time_limit or load_settings().get("pdf_store", "extract_time_limit_seconds")
    data = extract_many([path], workers=1, time_limit=time_limit)[0]
    data["links"] = merge_links(data.get("links", []))
    result = {"status": data["status"], "pages": data.get("pages", 0), "chars": data.get("chars", 0),
              "sections": data.get("sections", []), "links": data["links"], "error": data.get("error")}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        print(f"{path}: {result['status']}, {result['pages']} pages, {result['chars']} characters"
              + (f"\n  error: {result['error']}" if result["error"] else ""))
        for section in result["sections"]:
            title = section["title"] or "(before the first heading)"
            print(f"  {section['kind']:<13}{len(section['text']):>7} chars  {title}")
        for link in result["links"]:
            print(f"  link {link['kind']:<12} {link['url']}  ({link['found_in']})")
    return 0 if result["status"] == "ok" else 1


def main(argv: list[str] | None = None) -> int:
    from orchestration.query import FORMATS

    parser = argparse.ArgumentParser(prog="arxiv-monitor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="materialise announcement days through Dagster")
    run.add_argument("--date", required=True, help="first announcement day, YYYY-MM-DD")
    run.add_argument("--to", help="last announcement day (inclusive), YYYY-MM-DD")
    run.add_argument("--select", help="comma-separated assets (default: all)")
    run.add_argument("--refresh", action="store_true", help="ignore the raw HTTP cache")
    run.add_argument("--deliver", action="store_true", help="deliver the digest even for a range of days (a backfill)")
    run.add_argument("--resend", action="store_true", help="deliver again even where this content was sent")
    week = sub.add_parser("week", help="materialise the weekly digest of the weeks that have a day in a range")
    week.add_argument("--date", required=True, help="a day of the first week, YYYY-MM-DD")
    week.add_argument("--to", help="a day of the last week (inclusive)")
    week.add_argument("--deliver", action="store_true", help="deliver even for several weeks (a backfill)")
    week.add_argument("--resend", action="store_true", help="deliver again where this content was already sent")
    serve = sub.add_parser("serve", help="serve the static site ($ARXIV_MONITOR_HOME/site) on 127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    feedback = sub.add_parser("feedback", help="mark a paper: 👍 up, 👎 down, 🔖 save, ✓ read "
                                               "(unrate, unsave, clear undo them); marks teach the ranking")
    feedback.add_argument("arxiv_id")
    feedback.add_argument("signal", choices=["up", "down", "save", "read", "unrate", "unsave", "clear"])
    saved = sub.add_parser("saved", help="the reading list (papers marked 🔖 save)")
    saved.add_argument("--bibtex", action="store_true", help="as BibTeX, for Zotero or Mendeley")
    demo = sub.add_parser("demo", help="replay server + the demo day end to end")
    demo.add_argument("--date", default=DEMO_DAY)
    demo.add_argument("--realdata", help="folder of the real recordings (default ../shared/realdata)")
    demo.add_argument("--refresh", action="store_true")
    replay = sub.add_parser("replay", help="serve the real arXiv recordings on loopback")
    replay.add_argument("--host", default="127.0.0.1")
    replay.add_argument("--port", type=int, default=8765)
    replay.add_argument("--realdata")
    query = sub.add_parser("query", help="read-only SQL over the warehouse's tables and views (sql/README.md)")
    query.add_argument("sql", nargs="?", help="one SELECT / EXPLAIN / read-only PRAGMA")
    query.add_argument("--saved", metavar="NAME", help="run a saved query of sql/queries/ (--list shows them)")
    query.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a saved query's parameter")
    query.add_argument("--format", choices=FORMATS, default="table")
    query.add_argument("--list", action="store_true", help="list the saved queries and their parameters")
    query.add_argument("--wait", type=float, default=30.0, help="seconds to wait while a run is writing")
    preview = sub.add_parser("preview", help="what the keep rule keeps of a stored day and what it just misses "
                                             "(try another wording with --interest; nothing is written)")
    preview.add_argument("--date", help="a stored announcement day, YYYY-MM-DD (default: the latest)")
    preview.add_argument("--interest", action="append", metavar="TEXT",
                         help="an interest to try instead of the configured ones (repeat for several)")
    preview.add_argument("--near", type=int, default=5, help="listings just below the rule to show (default 5)")
    export = sub.add_parser("export", help="the tables as Parquet, hive-partitioned by partition_date")
    export.add_argument("--to", required=True, metavar="DIR")
    export.add_argument("--wait", type=float, default=30.0, help="seconds to wait while a run is writing")
    similar = sub.add_parser("similar", help="the stored papers most similar to one paper (embedding cosine)")
    similar.add_argument("arxiv_id")
    similar.add_argument("--limit", type=int, default=10)
    similar.add_argument("--format", choices=FORMATS, default="table")
    similar.add_argument("--wait", type=float, default=30.0, help="seconds to wait while a run is writing")
    model = sub.add_parser("model", help="the models llama.cpp can serve: list them, pull one into the shared cache")
    model_sub = model.add_subparsers(dest="model_command", required=True)
    model_sub.add_parser("list", help="the registry: name, size, licence, whether it is pulled")
    pull = model_sub.add_parser("pull", help="download, verify (size, sha256) and keep a model in the cache")
    pull.add_argument("name", nargs="?", help="a registry name (default: the default CPU model)")
    config = sub.add_parser("config", help="the effective settings and where each came from "
                                           "(default, file, environment)")
    config.add_argument("--reference", action="store_true", help="the configuration reference (docs/configuration.md)")
    config.add_argument("--toml", action="store_true",
                        help="the configuration file regenerated from the schema, keeping the values it sets")
    sub.add_parser("llm-server", help="start the LLM server and keep it up until Ctrl-C (runs reuse it)")
    extract = sub.add_parser("extract", help="what the pipeline would store for a local PDF")
    extract.add_argument("pdf")
    extract.add_argument("--json", action="store_true")
    extract.add_argument("--time-limit", type=float, help="seconds before the worker is killed")
    args = parser.parse_args(argv)
    if args.command in ("run", "demo", "week"):
        _stop_on_sigterm()
    try:
        if args.command == "run":
            select = [s.strip() for s in args.select.split(",")] if args.select else None
            return run_days(args.date, args.to, select, args.refresh, args.deliver, args.resend)
        if args.command == "week":
            return run_weeks(args.date, args.to, args.deliver, args.resend)
        return {
            "demo": cmd_demo,
            "replay": cmd_replay,
            "query": cmd_query,
            "similar": cmd_similar,
            "serve": cmd_serve,
            "feedback": cmd_feedback,
            "saved": cmd_saved,
            "preview": cmd_preview,
            "export": cmd_export,
            "extract": cmd_extract,
            "llm-server": cmd_llm_server,
            "model": cmd_model,
            "config": cmd_config,
        }[args.command](args)
    except ConfigError as exc:  # raised while loading the definitions: a bad configuration value
        return _fail(str(exc))
    except (KeyboardInterrupt, _interrupted()):
        print("arxiv-monitor: interrupted; what finished is stored, and the same command continues from there",
              file=sys.stderr)
        return 130


def _stop_on_sigterm() -> None:
    """SIGTERM (a service manager, `kill`) stops a run as Ctrl-C does; during a step Dagster maps it so too."""
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def _interrupted() -> type[BaseException]:
    """Dagster's own interrupt (Ctrl-C or SIGTERM during a step), as the run raises it."""
    import dagster as dg

    return dg.DagsterExecutionInterruptedError


if __name__ == "__main__":
    sys.exit(main())
