"""What a person watching an `arxiv-monitor` run reads while it works: a Dagster logger that writes a line
as each asset is materialised and each message an asset logs (the analysis stage's per-paper lines), as
they happen. The UI shows the same messages in the run's logs and the same figures in the metadata."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import dagster as dg

PARTITION_TAG = "dagster/partition"


def stage_line(asset: str, m: dict) -> str:
    """What one materialisation did, in one line, from its metadata."""
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


class RunLines(logging.Handler):
    """Dagster's log records of a run as lines: `HH:MM:SS <partition> <asset>: <what happened>`. Dagster logs
    its own events at DEBUG (a materialisation among them) but a failure at ERROR, and what an asset says
    at INFO and above."""

    def __init__(self, write: Callable[[str], None], clock: Callable[[], dt.datetime] = dt.datetime.now):
        super().__init__(logging.DEBUG)
        self.write, self.clock = write, clock

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event: dg.DagsterEvent | None = meta.get("dagster_event")
        partition = (meta.get("job_tags") or {}).get(PARTITION_TAG, "")
        if event is not None and event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            asset = materialization.asset_key.to_user_string()
            said = stage_line(asset, {k: v.value for k, v in materialization.metadata.items()})
        elif record.levelno >= (logging.INFO if event is None else logging.WARNING):  # a step's failure, retry
            asset = meta.get("step_key") or "run"
            said = (meta.get("orig_message") or record.getMessage()).strip().splitlines()[0]
        else:
            return
        self.write(" ".join(filter(None, [f"{self.clock():%H:%M:%S}", partition, f"{asset}: {said}"])))


def run_lines_logger(write: Callable[[str], None]) -> dg.LoggerDefinition:
    """A Dagster logger definition that hands each line of a run to `write` as it happens."""

    @dg.logger(description="One line per materialised asset and per message an asset logs, as they happen.")
    def run_lines(_init_context) -> logging.Logger:
        logger = logging.Logger("arxiv-monitor.run-lines", logging.DEBUG)
        logger.addHandler(RunLines(write))
        return logger

    return run_lines
