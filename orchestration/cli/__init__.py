"""`arxiv-monitor`: run partitions through Dagster, the demo, the replay server, read-only SQL.

One module per command group (runs, history, tools); this one only parses the command line and hands it on.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

import dagster as dg

from orchestration.cli.common import DEMO_DAY, fail
from orchestration.query import FORMATS
from resources.settings import ConfigError

COMMANDS = {
    "run": "runs:cmd_run", "week": "runs:cmd_week", "demo": "runs:cmd_demo",
    "query": "history:cmd_query", "similar": "history:cmd_similar", "serve": "history:cmd_serve",
    "feedback": "history:cmd_feedback", "saved": "history:cmd_saved", "preview": "history:cmd_preview",
    "export": "history:cmd_export", "readers": "history:cmd_readers",
    "replay": "tools:cmd_replay", "extract": "tools:cmd_extract", "llm-server": "tools:cmd_llm_server",
    "model": "tools:cmd_model", "config": "tools:cmd_config",
}


def add_runs_commands(sub) -> None:
    run = sub.add_parser("run", help="materialise announcement days through Dagster")
    run.add_argument("--date", required=True, help="first announcement day, YYYY-MM-DD")
    run.add_argument("--to", help="last announcement day (inclusive), YYYY-MM-DD")
    run.add_argument("--select", help="comma-separated assets (default: all)")
    run.add_argument("--refresh", action="store_true", help="ignore the raw HTTP cache")
    run.add_argument("--deliver", action="store_true", help="deliver the digest even for a range of days (a backfill)")
    run.add_argument("--resend", action="store_true", help="deliver again even where this content was sent")
    run.add_argument("--reader", metavar="NAME", help="only this reader's report, pages and digest (with the day's "
                                                      "shared stages, when selected)")
    week = sub.add_parser("week", help="materialise the weekly digest of the weeks that have a day in a range")
    week.add_argument("--date", required=True, help="a day of the first week, YYYY-MM-DD")
    week.add_argument("--to", help="a day of the last week (inclusive)")
    week.add_argument("--deliver", action="store_true", help="deliver even for several weeks (a backfill)")
    week.add_argument("--resend", action="store_true", help="deliver again where this content was already sent")
    demo = sub.add_parser("demo", help="replay server + the demo day end to end")
    demo.add_argument("--date", default=DEMO_DAY)
    demo.add_argument("--realdata", help="folder of the real recordings (default ../shared/realdata)")
    demo.add_argument("--refresh", action="store_true")


def add_history_commands(sub) -> None:
    serve = sub.add_parser("serve", help="serve the static site ($ARXIV_MONITOR_HOME/site) on 127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback only)")
    feedback = sub.add_parser("feedback", help="mark a paper: 👍 up, 👎 down, 🔖 save, ✓ read "
                                               "(unrate, unsave, clear undo them); marks teach the ranking")
    feedback.add_argument("arxiv_id")
    feedback.add_argument("signal", choices=["up", "down", "save", "read", "unrate", "unsave", "clear"])
    feedback.add_argument("--reader", metavar="NAME", help="whose mark (a lab's [[readers]] name)")
    saved = sub.add_parser("saved", help="the reading list (papers marked 🔖 save)")
    saved.add_argument("--bibtex", action="store_true", help="as BibTeX, for Zotero or Mendeley")
    saved.add_argument("--reader", metavar="NAME", help="whose reading list (a lab's [[readers]] name)")
    sub.add_parser("readers", help="the readers, each with their days, kept papers, likes and saved papers")
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
    preview.add_argument("--reader", metavar="NAME", help="whose keep rule (a lab's [[readers]] name)")
    export = sub.add_parser("export", help="the tables as Parquet, hive-partitioned by partition_date")
    export.add_argument("--to", required=True, metavar="DIR")
    export.add_argument("--wait", type=float, default=30.0, help="seconds to wait while a run is writing")
    similar = sub.add_parser("similar", help="the stored papers most similar to one paper (embedding cosine)")
    similar.add_argument("arxiv_id")
    similar.add_argument("--limit", type=int, default=10)
    similar.add_argument("--format", choices=FORMATS, default="table")
    similar.add_argument("--wait", type=float, default=30.0, help="seconds to wait while a run is writing")


def add_tools_commands(sub) -> None:
    replay = sub.add_parser("replay", help="serve the real arXiv recordings on loopback")
    replay.add_argument("--host", default="127.0.0.1")
    replay.add_argument("--port", type=int, default=8765)
    replay.add_argument("--realdata")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arxiv-monitor", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    add_runs_commands(sub)
    add_history_commands(sub)
    add_tools_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("run", "demo", "week"):
        stop_on_sigterm()
    module, name = COMMANDS[args.command].split(":")
    # Only the chosen command's module is imported: `arxiv-monitor feedback`, `query` or `--help` start in
    # about 1.0 s instead of 1.9 s with every command's imports (Dagster's definitions, the replay server).
    command = getattr(importlib.import_module(f"orchestration.cli.{module}"), name)
    try:
        return command(args)
    except ConfigError as exc:  # raised while loading the definitions: a bad configuration value
        return fail(str(exc))
    except (KeyboardInterrupt, dg.DagsterExecutionInterruptedError):
        print("arxiv-monitor: interrupted; what finished is stored, and the same command continues from there",
              file=sys.stderr)
        return 130


def stop_on_sigterm() -> None:
    """SIGTERM (a service manager, `kill`) stops a run as Ctrl-C does; during a step Dagster maps it so too."""
    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
