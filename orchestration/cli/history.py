"""The commands over the stored history: `query`, `similar`, `export`, `serve`, `feedback`, `saved`, `preview`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import signal
import sys
import urllib.parse
from pathlib import Path

import duckdb

import sql
from arxiv_domain.bibtex import arxiv_entries
from arxiv_domain.ids import ARXIV_ID
from orchestration.cli.common import (
    fail,
    open_warehouse,
)
from orchestration.query import QueryRefused, export_parquet, file_access_refusal, read_statement, write_result
from orchestration.serve import SiteServer, installation_token
from publishing.report import why_kept
from ranking.closeness import MissingVectors, preview_keep
from ranking.feedback import FeedbackError, record
from ranking.relevance import ProfileError
from resources.configured import build_resources
from resources.embedder import EmbeddingError
from resources.reader import Member
from resources.settings import ConfigError, load_settings
from resources.warehouse import WarehouseBusy


def cmd_query(args) -> int:

    if args.list:
        for name in sql.saved_names():
            query = sql.saved(name)
            print(f"{name}: {query.description}\n    --param {query.usage()}")
        return 0
    try:
        if args.saved:
            if args.sql:
                return fail("give either SQL or --saved NAME, not both")
            query = sql.saved(args.saved)
            given = {}
            for item in args.param:
                key, sep, value = item.partition("=")
                if not sep:
                    return fail(f"--param {item!r}: expected NAME=VALUE")
                given[key.strip()] = value
            statement, params = query.statement, query.bind(given)
        elif args.sql:
            if args.param:
                return fail("--param goes with --saved NAME")
            statement, params = read_statement(args.sql), {}
        else:
            return fail("give a SQL statement, --saved NAME or --list")
        with open_warehouse().reader(wait_seconds=args.wait, sealed=True) as conn:
            cursor = conn.execute(statement, sql.params_for(statement, params))
            if cursor.description is not None:
                write_result(cursor, args.format, sys.stdout)
        return 0
    except duckdb.PermissionException:
        return fail(file_access_refusal(statement))
    except (WarehouseBusy, FileNotFoundError, ConfigError, QueryRefused, sql.SavedQueryError) as exc:
        return fail(str(exc))
    except duckdb.Error as exc:  # DuckDB's own message (syntax, unknown column...), no traceback
        message = str(exc).strip()
        if "read-only" in message:
            message = f"refused: the query command is read-only ({message.splitlines()[0]})"
        return fail(message)


def cmd_similar(args) -> int:
    """The saved query `similar`, with messages for the two empty cases."""
    arxiv_id = args.arxiv_id.strip()
    if not ARXIV_ID.match(arxiv_id):
        return fail(f"not an arXiv id: {arxiv_id!r} (write 2512.20014 or math/0601001, without version)")
    if args.limit < 1:
        return fail(f"--limit must be at least 1, got {args.limit}")
    query = sql.saved("similar")
    params = query.bind({"arxiv_id": arxiv_id, "limit": str(args.limit)})
    try:
        with open_warehouse().reader(wait_seconds=args.wait, sealed=True) as conn:
            if not conn.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'listing_embeddings'"
                                ).fetchone()[0]:
                return fail("no embeddings stored yet: materialise listing_embeddings (arxiv-monitor run --date D)")
            cursor = conn.execute(query.statement, sql.params_for(query.statement, params))
            rows = cursor.fetchall()
            if not rows:
                return fail(f"{arxiv_id} has no stored embedding, or nothing else is stored: it is not in any "
                             "materialised listing_embeddings day")
            write_result(FetchedRows(cursor.description, rows), args.format, sys.stdout)
        return 0
    except (WarehouseBusy, FileNotFoundError, ConfigError) as exc:
        return fail(str(exc))
    except duckdb.Error as exc:
        return fail(str(exc).strip())


def cmd_serve(args) -> int:
    """The site over HTTP (loopback by default), with the reader's marks (orchestration/serve.py)."""
    settings = load_settings()
    site = settings.home / "site"
    if not (site / "index.html").is_file():
        return fail(f"no site at {site}: materialise report_site first (arxiv-monitor run --date D)")
    base = urllib.parse.urlsplit(settings.get("site", "base_url") or "")
    try:
        readers = [(m.folder, m.name, m.language) for m in build_resources(settings)["reader"].members()]
        httpd = SiteServer((args.host, args.port), site, installation_token(settings.home),
                           open_warehouse(settings, lock_timeout_seconds=15),  # a browser should not wait on a run
                           readers, extra_hosts=(base.netloc,) if base.netloc else ())
    except OSError as exc:
        return fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")

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


def chosen_reader(settings, name: str | None) -> Member:
    """The reader `--reader` names; without it, the only reader (a lab's command names one)."""
    reader = build_resources(settings)["reader"]
    members = reader.members()
    if name is None:
        if len(members) > 1:
            raise KeyError(f"--reader: which reader? ({', '.join(m.name for m in members)})")
        return members[0]
    return reader.member(name)


def cmd_readers(args) -> int:
    """The configured readers with what the history holds for each."""
    settings = load_settings()
    members = build_resources(settings)["reader"].members()
    try:
        counts = {r["reader"]: r for r in open_warehouse(settings).query_rows(
            "reader_counts", readers=[m.name for m in members])}
    except (FileNotFoundError, WarehouseBusy, duckdb.CatalogException):
        counts = {}
    print(f"{'reader':<16} {'language':<8} {'days':>5} {'kept':>6} {'liked':>6} {'saved':>6}  channels")
    for m in members:
        c = counts.get(m.name, {})
        channels = "all" if m.channels is None else ", ".join(m.channels) or "none"
        print(f"{m.name:<16} {m.language:<8} {c.get('days', 0):>5} {c.get('kept', 0):>6} {c.get('liked', 0):>6} "
              f"{c.get('saved', 0):>6}  {channels}")
    return 0


def cmd_feedback(args) -> int:
    """Mark a paper: up, down, save, read (unrate, unsave, clear undo them)."""
    settings = load_settings()
    try:
        profile = chosen_reader(settings, args.reader).name
        state = record(open_warehouse(settings), profile, args.arxiv_id, args.signal, "cli")
    except (FeedbackError, FileNotFoundError) as exc:
        return fail(str(exc))
    except KeyError as exc:
        return fail(exc.args[0])
    marks = [{"up": "👍", "down": "👎"}.get(state.get("rating") or "", ""), "🔖" if state.get("saved") else "",
             "✓" if state.get("read") else ""]
    print(f"{state['arxiv_id']}: {' '.join(m for m in marks if m) or 'no mark'}  {state.get('title') or ''}".rstrip())
    return 0


def cmd_saved(args) -> int:
    """The reading list, or its BibTeX."""
    settings = load_settings()
    try:
        profile = chosen_reader(settings, args.reader).name
        rows = open_warehouse(settings).query_rows("saved_papers", profile=profile)
    except FileNotFoundError as exc:
        return fail(str(exc))
    except KeyError as exc:
        return fail(exc.args[0])
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


def keep_rule_words(basis: dict, relevance) -> str:
    """What the closeness rule of a preview was, in words."""
    if not basis.get("profile_items"):
        rule = "keywords and watched authors only (no interests, examples or BibTeX)"
    elif basis.get("calibrated"):
        rule = (f"calibrated score ≥ {relevance.calibrated_threshold} (against {basis['history_sample']} earlier "
                "listings and the day's)")
    else:
        rule = f"cosine ≥ {relevance.threshold} (too few listings to calibrate)"
    if basis.get("learned"):
        rule += (f", or learned score ≥ {relevance.learned_threshold} "
                 f"({basis['liked']} liked, {basis['disliked']} disliked)")
    return rule


def cmd_preview(args) -> int:
    """What the keep rule keeps of a stored day and what it just misses, under the configured interests or
    other wordings given with --interest; nothing is written."""
    settings = load_settings()
    interests = [t.strip() for t in args.interest or [] if t.strip()]
    if args.interest and not interests:
        return fail("--interest: an empty wording (write the interest in plain words)")
    if args.near < 0:
        return fail(f"--near must be 0 or more, got {args.near}")
    try:
        member = chosen_reader(settings, args.reader)
    except KeyError as exc:
        return fail(exc.args[0])
    resources = build_resources(settings)
    warehouse, reader = resources["warehouse"], resources["reader"]
    relevance = reader.relevance
    wanted = dataclasses.replace(member.interests, interests=tuple(interests)) if interests else member.interests
    try:
        if args.date:
            try:
                day = dt.date.fromisoformat(args.date)
            except ValueError:
                return fail(f"--date: not a day: {args.date!r} (write YYYY-MM-DD)")
        else:
            day = warehouse.query_rows("latest_listing_day")[0]["day"]
            if day is None:
                return fail("no listing stored yet: run a day first (arxiv-monitor run --date D)")
        embedder = resources["embedder"]
        preview = preview_keep(day, wanted, member.rules, reader.keep_rule(),
                               warehouse.query_rows, embedder.embed, embedder.identity, near=args.near)
    except (ProfileError, EmbeddingError, MissingVectors, WarehouseBusy, FileNotFoundError) as exc:
        return fail(str(exc))
    if not preview.listings:
        return fail(f"no listing stored for {day}: run it first (arxiv-monitor run --date {day})")
    print(f"{day}: {preview.listings} listings; closeness kept by {keep_rule_words(preview.basis, relevance)}")
    for label in wanted.interests:
        print(f"  interest: {label}")
    print(f"\nkept ({len(preview.kept)}):")
    for r in preview.kept:
        why = why_kept(r, member.language)
        z = "" if r["calibrated_score"] is None else f" [calibrated {r['calibrated_score']:.2f}]"
        print(f"  {r['rank']:>3}  {r['arxiv_id']}v{r['version']}  {' '.join(r['title'].split())}\n"
              f"       {why}{z}")
    if preview.near:
        print(f"\njust below ({len(preview.near)}):")
        for r in preview.near:
            z = "" if r["calibrated_score"] is None else f", calibrated {r['calibrated_score']:.2f}"
            print(f"       {r['arxiv_id']}v{r['version']}  {' '.join(r['title'].split())}\n"
                  f"       cosine {r['semantic_score']:.2f}{z} to: {r['closest_interest']}")
        print(f"\nWant one of these? arxiv-monitor feedback ID up (from {relevance.learn_after} marks on, "
              "the ranking learns from them)")
    return 0


def cmd_export(args) -> int:

    target = Path(args.to).resolve()
    try:
        with open_warehouse().reader(wait_seconds=args.wait) as conn:
            counts = export_parquet(conn, target)
    except (WarehouseBusy, FileNotFoundError, ConfigError) as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"cannot write the export to {target}: {exc.strerror or exc}")
    for table, rows in counts.items():
        print(f"{table:<16}{rows:>9} rows → {target / table}/partition_date=*/")
    return 0


class FetchedRows:
    """Rows already fetched, shaped like the cursor `write_result` reads."""
    def __init__(self, description, rows):
        self.description, self._rows = description, rows

    def fetchall(self):
        return self._rows

    def fetchmany(self, size):
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows
