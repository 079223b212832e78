"""`run`, `week` and `demo`: announcement days and weeks materialised through Dagster, a line per asset."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys

from rich.progress import Progress

from arxiv_domain.calendar import parse_day
from assets.partitions import INTERRUPTED
from llm_analysis.models import REGISTRY, ModelError
from orchestration.cli.common import (
    DEMO_WATCH_AUTHORS,
    dagster_instance,
    days_between,
    fail,
    open_warehouse,
)
from orchestration.cli.tools import pull_model
from orchestration.definitions import build_pipeline
from orchestration.runner import materializations, materialize_stretch, stretches
from replay.corpus import RealdataMissing
from replay.server import ReplayServer
from resources.data_dir import DataDirResource, check_data_dir
from resources.settings import ConfigError, load_settings


def print_failures(day, result, progress) -> int:
    """What failed in a run (the run, or a check), a line each; returns how many. What succeeded was
    said as it happened (orchestration/progress.py)."""
    if not result.success:
        progress.console.print(f"[red]{day}: FAILED[/red] {failure_line(result)}", soft_wrap=True, markup=True,
                               highlight=False)
        return 1
    failures = 0
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            failures += 1
            detail = {k: v.value for k, v in evaluation.metadata.items()}
            progress.console.print(f"[red]{day} check {evaluation.check_name} FAILED[/red] {detail}", soft_wrap=True)
    return failures


def failure_line(result) -> str:
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


def stopped_by_user(result) -> bool:
    """Whether a step of the run failed because Ctrl-C or SIGTERM stopped it (assets.partitions)."""
    return any(e.is_step_failure and INTERRUPTED in str(e.event_specific_data) for e in result.all_events)


def run_config(stretch, ops: dict) -> dict:
    """The run config of a stretch: its assets' own (`ops`); the run's lines (orchestration/progress.py) say
    its warnings and failures, so Dagster's console says nothing."""
    names = {a.key.to_user_string() for a in stretch}
    return {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
            "ops": {name: {"config": ops[name]} for name in ops if name in names}}


def run_problem(settings, pipeline, ends: tuple[dt.date, dt.date], select: list[str] | None,
                readers: list[str] | None) -> str | None:
    """What is wrong with a run's days, assets or readers, in one line; None when nothing is."""
    keys = set(pipeline.partitions.get_partition_keys())
    for day in ends:
        if day.isoformat() not in keys:
            if day < settings.start_date:
                return (f"{day} is before the first partition {settings.start_date} "
                        "(set [calendar].start_date / ARXIV_MONITOR_START_DATE)")
            return f"{day} is in the future: its arXiv listing does not exist yet"
    names = [a.key.to_user_string() for a in pipeline.assets]
    unknown = set(select or []) - set(names)
    if unknown:
        return f"unknown asset(s): {', '.join(sorted(unknown))}; known: {', '.join(names)}"
    known = pipeline.readers or (settings.get("relevance", "profile"),)
    if set(readers or []) - set(known):
        return f"--reader: no reader named {sorted(set(readers) - set(known))[0]!r}; readers: {', '.join(known)}"
    return None


def run_days(first: str, last: str | None, select: list[str] | None = None, refresh: bool = False,
             deliver: bool = False, resend: bool = False,
             quiet: bool = False, env: dict[str, str] | None = None, readers: list[str] | None = None) -> int:
    """Materialise each day of [first, last] through Dagster, one run per day (and per reader of a lab for each
    reader's assets; `readers`: only theirs), with progress (`quiet`: the asset lines only). `env`: the environment
    the settings are read from (default: this process's)."""
    try:
        start = parse_day(first)
        end = parse_day(last) if last else start
        settings = load_settings(env)
        check_data_dir(settings.home, settings.get("storage", "min_free_megabytes"))
    except (ValueError, ConfigError) as exc:
        return fail(str(exc))
    if end < start:
        return fail(f"--to {end} is before --date {start}")
    pipeline = build_pipeline(settings)
    problem = run_problem(settings, pipeline, (start, end), select, readers)
    if problem:
        return fail(problem)
    names = [a.key.to_user_string() for a in pipeline.assets]
    selected = [a for a in pipeline.assets if not select or a.key.to_user_string() in select]
    days = days_between(start, end)
    # Run config of the assets that take one; a range of days is a backfill: report_delivery sends
    # nothing for it unless asked (--deliver).
    ops = {"raw_listings": {"refresh": refresh},
           "report_delivery": {"backfill": len(days) > 1, "deliver": deliver, "resend": resend}}
    instance = dagster_instance()
    failures = 0
    runs = stretches(selected, pipeline.assets)
    with Progress(disable=quiet) as progress, contextlib.ExitStack() as keep_llm_up:
        def say(line: str) -> None:
            progress.console.print(line, soft_wrap=True, markup=False, highlight=False)

        if len(days) > 1 and "paper_summaries" in (select or names):
            # One LLM server for the whole range: each day's run finds it healthy and reuses it.
            keep_llm_up.enter_context(pipeline.resources["llm_server"].servers(say))
        task = progress.add_task("materialising", total=len(days))
        for day in days:
            progress.update(task, description=f"{day}")
            keyed = ((s, k) for s in runs for k in pipeline.partition_keys(s[0], day.isoformat(), readers))
            for stretch, key in keyed:
                result = materialize_stretch(stretch, pipeline.checks, day, pipeline.resources, instance,
                                             run_config(stretch, ops), write=say, key=key if key != day.isoformat()
                                             else None)
                if stopped_by_user(result):
                    raise KeyboardInterrupt
                failed = print_failures(day, result, progress)
                failures += failed
                if failed:
                    break
            progress.advance(task)
    if not quiet:
        print(f"database: {settings.database_path}")
    return 1 if failures else 0


def run_weeks(first: str, last: str | None, deliver: bool = False, resend: bool = False,
              env: dict[str, str] | None = None) -> int:
    """Materialise the weekly digest (and its delivery) of every ended week that has a day in [first, last]."""
    try:
        start = parse_day(first)
        end = parse_day(last) if last else start
        settings = load_settings(env)
    except (ValueError, ConfigError) as exc:
        return fail(str(exc))
    pipeline = build_pipeline(settings)
    mondays = sorted({day - dt.timedelta(days=day.weekday()) for day in days_between(start, end)})
    ended = set(pipeline.weeks.get_partition_keys())
    missing = [m for m in mondays if m.isoformat() not in ended]
    if missing:
        return fail(f"the week of {missing[0]} has not ended (or is before [calendar].start_date): its digest is "
                     "made once its Sunday has passed")
    instance = dagster_instance()
    config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}},
              "ops": {"weekly_delivery": {"config": {"backfill": len(mondays) > 1, "deliver": deliver,
                                                     "resend": resend}}}}
    failures = 0
    for monday, key in ((m, k) for m in mondays for k in pipeline.partition_keys(pipeline.weekly[0], m.isoformat())):
        result = materialize_stretch(pipeline.weekly, [], monday, pipeline.resources, instance, config,
                                     key=key if key != monday.isoformat() else None)
        if stopped_by_user(result):
            raise KeyboardInterrupt
        if result.success:
            meta = materializations(result).get("weekly_digest", {})
            whose = f" ({meta['reader']})" if pipeline.readers else ""
            print(f"week of {monday}{whose}: {meta.get('shown', 0)} of {meta.get('kept', 0)} papers in the digest; "
                  f"rising: {meta.get('rising_topics', 'none')}")
        else:
            failures += 1
            print(f"week of {monday}: FAILED {failure_line(result)}", file=sys.stderr)
    print(f"site: {settings.home / 'site' / 'weeks.html'}")
    return 1 if failures else 0


def cmd_demo(args) -> int:

    settings = load_settings(os.environ)
    llm = settings.resource("llm_server")
    if llm.get("backend", "auto") in ("auto", "llama-cpp") and llm.get("llama_model") in REGISTRY:
        try:
            pull_model(llm["llama_model"])  # says first what it downloads, and how much
        except ModelError as exc:
            return fail(str(exc))
    try:
        server = ReplayServer(realdata=args.realdata).start()
    except RealdataMissing as exc:
        return fail(str(exc))
    try:
        # The seed's six papers have no PDF offline; watching the authors of three recorded PDFs
        # gives the full-text stage real papers to read (README: "The demo").
        env = {"ARXIV_MONITOR_WATCH_AUTHORS": DEMO_WATCH_AUTHORS, **os.environ,
               "ARXIV_API_URL": server.api_url, "ARXIV_PDF_URL": server.pdf_url, "ARXIV_MIN_INTERVAL": "0",
               "ARXIV_MONITOR_STEP_RETRY_DELAY": "1"}
        print(f"replay server (real recorded arXiv data) at {server.base_url}")
        code = run_days(args.date, None, refresh=args.refresh, env=env)
        if code == 0:
            # The day's week too, and the day's pages again: they link the weekly pages once these exist.
            code = run_weeks(args.date, None, env=env) or run_days(args.date, None, ["report_site"], quiet=True,
                                                                   env=env)
        if code == 0:
            settings = load_settings(env)
            warehouse = open_warehouse(settings)
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


def cmd_run(args) -> int:
    select = [s.strip() for s in args.select.split(",")] if args.select else None
    return run_days(args.date, args.to, select, args.refresh, args.deliver, args.resend,
                    readers=[args.reader] if args.reader else None)


def cmd_week(args) -> int:
    return run_weeks(args.date, args.to, args.deliver, args.resend)
