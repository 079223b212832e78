"""The commands around the pipeline: `config`, `model`, `replay`, `llm-server`, `extract`."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from llm_analysis.models import DEFAULT_CPU_MODEL, REGISTRY, ModelError, cache_dir, is_present, pull, spec
from orchestration.cli.common import (
    fail,
)
from pdf_reading.links import merge_links
from pdf_reading.workers import extract_many
from replay.corpus import RealdataMissing
from replay.server import ReplayServer
from resources.config_docs import file_choices, reference_markdown, render_toml
from resources.configured import build_resources
from resources.llm_server import LLMServerError
from resources.schema import SETTINGS
from resources.settings import config_path, load_settings


def cmd_config(args) -> int:
    """The effective settings and where each came from; or the schema written out."""
    if args.reference:
        print(reference_markdown(), end="")
        return 0
    if args.toml:
        print(render_toml(file_choices(config_path())), end="")
        return 0
    settings = load_settings()
    print(f"configuration file: {settings.source}\ndata directory:     {settings.home}")
    for setting in SETTINGS:
        value = settings.get(setting.section, setting.key)
        shown = value.isoformat() if hasattr(value, "isoformat") else value
        if isinstance(value, list):  # tables ([[readers]], [[delivery.channels]]): the keys they set
            shown = [v.model_dump(exclude_defaults=True) if hasattr(v, "model_dump") else v for v in value]
        origin = {"default": "default", "file": settings.source.name,
                  "environment": f"environment {setting.var}"}[settings.sources[(setting.section, setting.key)]]
        print(f"{setting.name:<36} = {shown!r:<48} ({origin})")
    return 0


def cmd_model(args) -> int:

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
        return fail(str(exc))
    print(f"{name}: {path}")
    return 0


def pull_model(name: str):
    """The model's file, pulled first when missing, with a progress bar over its parts."""
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

    try:
        server = ReplayServer(realdata=args.realdata, host=args.host, port=args.port)
    except RealdataMissing as exc:
        return fail(str(exc))
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


def cmd_llm_server(args) -> int:
    """Keep one LLM server up (e.g. through a long backfill): runs reuse a healthy one."""
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
        return fail(str(exc))
    except KeyboardInterrupt:
        pass
    return 0


def cmd_extract(args) -> int:

    path = Path(args.pdf)
    if not path.is_file():
        return fail(f"no such file: {path}")
    time_limit = args.time_limit or load_settings().get("fulltext", "extract_time_limit_seconds")
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
