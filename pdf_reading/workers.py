"""PDF extraction in worker processes: a time limit per PDF, and one crash never stops the others."""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
from multiprocessing.connection import wait
from pathlib import Path

from pdf_reading.extraction import Extraction, extract_file
from pdf_reading.figures import main_figure_of_file


def extract_in_child(path: str, conn) -> None:
    started = time.perf_counter()
    try:
        result = extract_file(path).to_json(with_text=True)
        result["title"] = None
    except BaseException as exc:  # noqa: BLE001 - whatever happens, the parent gets a status
        result = Extraction("extract_failed", error=f"{type(exc).__name__}: {exc}").to_json(with_text=True)
    if result.get("status") == "ok":
        try:
            figure = main_figure_of_file(path)
            result["figure"] = None if figure is None else {"png": figure.png, "caption": figure.caption,
                                                            "page": figure.page, "found_by": figure.found_by}
        except Exception as exc:  # noqa: BLE001 - a figure that cannot be read leaves the text as it is
            result["figure"] = None
            result["figure_error"] = f"{type(exc).__name__}: {exc}"[:300]
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn.send(result)
    conn.close()


def extract_many(paths: list[Path], workers: int = 2, time_limit: float = 120.0, target=extract_in_child) -> list[dict]:
    """Extract each PDF in its own worker process, `workers` at a time; a PDF that takes longer
    than `time_limit` seconds has its worker killed and gets `extract_failed`, so one
    pathological file cannot hang the run. Results are in the order of `paths`."""
    # fork: the worker inherits the loaded PyMuPDF. spawn/forkserver re-import the main module in
    # every worker (Dagster's, pytest's: ~0.8 s each, measured), which costs more than most PDFs.
    context = mp.get_context("fork")
    results: list[dict | None] = [None] * len(paths)
    pending = list(enumerate(paths))
    running: dict = {}  # connection -> (index, process, started)
    while pending or running:
        while pending and len(running) < workers:
            index, path = pending.pop(0)
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=target, args=(str(path), sender), daemon=True)
            process.start()
            sender.close()
            running[receiver] = (index, process, time.monotonic())
        for conn in wait(list(running), timeout=0.2):
            index, process, _ = running.pop(conn)
            try:
                results[index] = conn.recv()
            except EOFError:  # the worker died without answering (crash, out of memory)
                process.join()
                results[index] = {"status": "extract_failed",
                                  "error": f"extraction worker died (exit code {process.exitcode})"}
            conn.close()
            process.join()
        now = time.monotonic()
        for conn, (index, process, started) in list(running.items()):
            if now - started > time_limit:
                process.kill()
                process.join()
                conn.close()
                del running[conn]
                results[index] = {"status": "extract_failed",
                                  "error": f"extraction took longer than {time_limit:g} s; worker killed"}
    return results  # type: ignore[return-value]
