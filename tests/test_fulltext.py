"""PDF download, extraction and links against the real PDFs (served by the replay server)."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pymupdf
import pytest

from pdf_reading.extraction import extract_file, extract_pdf
from pdf_reading.links import find_links, normalise_url
from pdf_reading.workers import extract_many
from resources.pdf_store import PdfStore
from tests.conftest import DEMO_DAY, REALDATA, pipeline_for

PDF_DIR = REALDATA / "pdf"


def source_page_counts() -> dict[str, int]:
    """Page counts as SOURCES.md gives them (counted there with pypdf)."""
    table = (REALDATA / "SOURCES.md").read_text()
    return {m[1]: int(m[2]) for m in re.finditer(r"^\| (\S+\.pdf) \| (\d+) \|", table, re.MULTILINE)}


# What a reader of each PDF sees (checked by opening them): the section kinds that must be found,
# and a heading that must be among the section titles.
READER_SEES = {
    "1111.2011v2.pdf": ({"introduction", "results"}, "I. INTRODUCTION"),  # revtex: references unheaded
    "1201.3077v1.pdf": ({"abstract", "introduction", "conclusion"}, "1 Introduction"),  # no reference list
    "1505.04597v1_Unet.pdf": ({"abstract", "introduction", "method", "experiments", "conclusion", "references"},
                              "2 Network Architecture"),
    "1602.02830v3_Binarized.pdf": ({"abstract", "introduction", "experiments", "conclusion", "references"},
                                   "2. Benchmark Results"),
    "1706.03762v7.pdf": ({"abstract", "introduction", "related_work", "method", "results", "conclusion",
                          "references"}, "3 Model Architecture"),
    "1903.10676_SciBERT_onepage_table.pdf": ({"results"}, "5 Discussion"),  # one page from the middle
    "2020.acl-main.447.pdf": ({"abstract", "introduction", "related_work", "conclusion", "references", "appendix"},
                              "7 Related work"),
    "2203.00130v1.pdf": ({"introduction", "related_work", "conclusion", "references", "appendix"}, "9 CONCLUSION"),
    "2302.07302v1.pdf": ({"abstract", "introduction", "related_work", "conclusion", "references"}, "2 RELATED WORK"),
    "2304.02623v1.pdf": ({"abstract", "introduction", "conclusion", "references"}, "4 CONCLUSION"),
    "2305.03393v1-pg9.pdf": (set(), None),  # one page from the middle: no section starts on it
    "papermage.pdf": ({"abstract", "introduction", "related_work", "conclusion", "references", "appendix"},
                      "2 Related Work"),
}


def test_every_real_pdf_is_listed():
    assert set(READER_SEES) == {p.name for p in PDF_DIR.glob("*.pdf")}


@pytest.mark.parametrize("name", sorted(READER_SEES))
def test_real_pdf_extracts_with_its_sections(name):
    extraction = extract_file(PDF_DIR / name)
    kinds, heading = READER_SEES[name]
    assert extraction.status == "ok", extraction.error
    assert extraction.pages == source_page_counts()[name]
    assert extraction.chars > 2000 and extraction.chars == len(extraction.text)
    found = {s.kind for s in extraction.sections}
    assert kinds <= found, (kinds - found)
    if heading:
        assert heading in [s.title for s in extraction.sections]
    assert all(s.kind in {"front", "abstract", "introduction", "related_work", "method", "experiments", "results",
                          "conclusion", "references", "appendix", "other"} for s in extraction.sections)


def test_ligatures_and_hyphenated_compounds_read_as_written():
    """Real PDFs: "ﬁ"/"ﬂ" ligatures are letters again, a word broken at a line end is whole again, and a
    compound broken after its hyphen keeps it ("English-to-German", not "Englishto-German")."""
    attention = extract_file(REALDATA / "pdf" / "1706.03762v7.pdf")
    assert "English-to-German" in attention.text and "Englishto-German" not in attention.text
    for text in (attention.text, extract_file(REALDATA / "pdf" / "1505.04597v1_Unet.pdf").text):
        assert not re.search(r"[\ufb00-\ufb06]", text)
    unet = extract_file(REALDATA / "pdf" / "1505.04597v1_Unet.pdf").text
    assert re.search(r"\bsignificantly\b|\bfield\b|\bfirst\b", unet)
    words = set(re.findall(r"[a-z]+", attention.text))
    assert "signi" not in words and "cantly" not in words


def test_two_column_page_reads_left_column_before_right():
    text = extract_file(PDF_DIR / "1602.02830v3_Binarized.pdf").text
    # Page 1: the left column ends the introduction's first paragraph, the right column continues it.
    left = text.index("Deep Neural Networks (DNNs) have substantially pushed")
    right = text.index("Today, DNNs are almost exclusively trained")
    abstract = text.index("We introduce a method to train Binarized Neural Networks")
    assert abstract < left < right
    assert "arXiv:1602.02830" not in text  # the vertical arXiv stamp is not body text


@pytest.mark.parametrize("name, status, message", [
    ("Attention_2byte_not_a_pdf.pdf", "not_pdf", "not a PDF"),
    ("arxiv_browse_x_image.pdf", "no_text", "image-only PDF"),
    ("redp5110_sampled_ibm_redbook.pdf", "ok", None),
])
def test_odd_files_get_a_status_and_message(name, status, message):
    extraction = extract_file(PDF_DIR / "odd" / name)
    assert extraction.status == status
    assert (message is None and extraction.error is None) or message in extraction.error


def test_encrypted_and_truncated_pdfs(tmp_path):
    doc = pymupdf.open(PDF_DIR / "2304.02623v1.pdf")
    doc.save(tmp_path / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="o", user_pw="u")
    locked = extract_file(tmp_path / "locked.pdf")
    assert locked.status == "encrypted" and "password" in locked.error
    data = (PDF_DIR / "2304.02623v1.pdf").read_bytes()
    truncated = extract_pdf(data[: len(data) // 3])  # its first third: no page survives MuPDF's repair
    assert (truncated.status, truncated.pages, truncated.chars) == ("extract_failed", 0, 0)
    assert "damaged or cut short" in truncated.error and extract_pdf(data).status == "ok"
    nothing_left = extract_pdf(data[:150_000])  # MuPDF repairs it to 0 pages: damaged, not "image-only"
    assert nothing_left.status == "extract_failed" and "damaged or cut short" in nothing_left.error


def test_store_does_not_cache_a_cut_download_and_fetches_it_again(server, tmp_path):
    store = PdfStore(server.pdf_url, tmp_path / "c", min_interval=0)
    server.inject({"kind": "body", "file": "pdf/1706.03762v7.pdf", "bytes": 400_000, "times": 1})
    cut = store.fetch("1706.03762", 7)
    assert cut.status == "truncated" and "400000 bytes that end before the PDF's %%EOF" in cut.error
    assert not any((tmp_path / "c").rglob("*.pdf"))
    again = store.fetch("1706.03762", 7)
    assert again.status == "ok" and not again.from_cache and again.size == 942115


def test_links_found_in_real_text():
    binarized = {l["url"] for l in extract_file(PDF_DIR / "1602.02830v3_Binarized.pdf").links}
    assert "https://github.com/MatthieuCourbariaux/BinaryNet" in binarized
    s2orc = extract_file(PDF_DIR / "2020.acl-main.447.pdf").links
    assert {"url": "https://github.com/allenai/s2orc", "kind": "github", "found_in": "fulltext"} in s2orc
    assert all(not l["url"].endswith((".", ",", ")")) and "http" not in l["url"][8:] for l in s2orc)


@pytest.mark.parametrize("raw, clean", [
    ("https://github.com/sqfoo/stldm_official.", "https://github.com/sqfoo/stldm_official"),  # the seed's own link
    ("github.com/Lightning-AI/pytorch-lightning.git", "https://github.com/Lightning-AI/pytorch-lightning"),
    ("https://GitHub.com/a/b/", "https://github.com/a/b"),
    ("https://huggingface.co/datasets/x/y),", "https://huggingface.co/datasets/x/y"),
    ("https://en.wikipedia.org/wiki/Foo_(bar)", "https://en.wikipedia.org/wiki/Foo_(bar)"),
])
def test_url_normalisation(raw, clean):
    assert normalise_url(raw) == clean


def test_seed_abstract_link_and_where_found():
    abstract = "Our code is available at https://github.com/sqfoo/stldm_official."
    assert find_links(abstract, "abstract") == [
        {"url": "https://github.com/sqfoo/stldm_official", "kind": "github", "found_in": "abstract"}]
    assert find_links("see github.com/user", "fulltext") == []  # a profile, not a repository


def hanging_or_real_extraction(path, conn):
    """A worker that hangs on one file (what a pathological PDF does to MuPDF) and extracts the rest."""
    import time

    from pdf_reading.workers import extract_in_child

    if path.endswith("2203.00130v1.pdf"):
        time.sleep(60)
    extract_in_child(path, conn)


def crashing_extraction(path, conn):
    import os

    os._exit(3)


def test_worker_time_limit_kills_a_hung_extraction_and_keeps_the_rest():
    paths = [PDF_DIR / "2304.02623v1.pdf", PDF_DIR / "2203.00130v1.pdf", PDF_DIR / "1505.04597v1_Unet.pdf"]
    started = time.monotonic()
    results = extract_many(paths, workers=2, time_limit=3, target=hanging_or_real_extraction)
    assert time.monotonic() - started < 30
    assert [r["status"] for r in results] == ["ok", "extract_failed", "ok"]
    assert "longer than 3 s; worker killed" in results[1]["error"]


def test_a_crashing_worker_is_a_status_not_an_exception():
    results = extract_many([PDF_DIR / "2304.02623v1.pdf"], workers=1, target=crashing_extraction)
    assert results[0]["status"] == "extract_failed" and "exit code 3" in results[0]["error"]


def test_one_and_two_workers_give_the_same_result():
    paths = sorted(PDF_DIR.glob("*.pdf"))[:4]
    one = extract_many(paths, workers=1)
    two = extract_many(paths, workers=2)
    assert [r["text"] for r in one] == [r["text"] for r in two]


def test_store_caches_and_never_downloads_twice(server, tmp_path):
    store = PdfStore(server.pdf_url, tmp_path / "pdf_cache", min_interval=0, backoff_base=0.01)
    first = store.fetch("1706.03762", 7)
    second = store.fetch("1706.03762", 7)
    assert first.status == second.status == "ok" and second.from_cache and not first.from_cache
    assert first.path.read_bytes() == (PDF_DIR / "1706.03762v7.pdf").read_bytes()
    assert len([r for r in server.state.requests if "/pdf/" in r["path"]]) == 1


def test_store_rejects_what_is_not_a_pdf_and_what_is_too_large(server, tmp_path):
    store = PdfStore(server.pdf_url, tmp_path / "c", min_interval=0, max_bytes=200_000)
    server.inject({"kind": "body", "file": "pdf/odd/Attention_2byte_not_a_pdf.pdf", "times": 1})
    not_pdf = store.fetch("1505.04597", 1)
    assert not_pdf.status == "not_pdf" and "not a PDF" in not_pdf.error
    too_large = store.fetch("1706.03762", 7)  # 942 kB
    assert too_large.status == "too_large" and "limit 200000" in too_large.error
    missing = store.fetch("2512.20276", 1)
    assert missing.status == "download_failed" and "HTTP 404" in missing.error
    assert not any((tmp_path / "c").rglob("*.pdf"))


@pytest.mark.parametrize("arxiv_id", ["../../etc/passwd", "astro-ph/../../x", "", "2512.20276/../../a"])
def test_hostile_ids_never_become_paths(server, tmp_path, arxiv_id):
    store = PdfStore(server.pdf_url, tmp_path / "c", min_interval=0)
    result = store.fetch(arxiv_id, 1)
    assert result.status == "download_failed" and "not an arXiv id" in result.error
    assert server.state.requests == [] and not (tmp_path / "c").exists()


def test_old_style_id_stays_inside_the_cache(tmp_path):
    store = PdfStore("http://127.0.0.1:9/pdf", tmp_path / "c")
    path = store.path_for("astro-ph/0601001", 1)
    assert (tmp_path / "c") in path.parents and "/" not in path.name and path.suffix == ".pdf"


def test_partition_materialises_with_real_pdfs(home, server):
    pipeline = pipeline_for(home, server, ARXIV_MONITOR_WATCH_AUTHORS="Ashish Vaswani,Olaf Ronneberger,Yoshua Bengio")
    resources = pipeline.resources
    assets = pipeline.assets_named("raw_listings", "listing_embeddings", "filtered_papers", "paper_fulltext")
    result = dg.materialize(assets, resources=resources, partition_key=DEMO_DAY)
    assert result.success
    meta = {k: v.value for k, v in result.asset_materializations_for_node("paper_fulltext")[0].metadata.items()}
    assert (meta["papers"], meta["status_ok"], meta["status_download_failed"]) == (9, 3, 6)
    with duckdb.connect(str(home / "arxiv.duckdb"), read_only=True) as conn:
        attention = conn.execute("select status, pages, list_transform(sections, lambda s: s.kind) from paper_fulltext "
                                 "where arxiv_id = '1706.03762'").fetchone()
        seed = conn.execute("select links from paper_fulltext where arxiv_id = '2512.21118'").fetchone()[0]
    assert attention[0] == "ok" and attention[1] == 15 and {"introduction", "references"} <= set(attention[2])
    assert seed == [{"url": "https://github.com/sqfoo/stldm_official", "kind": "github", "found_in": "abstract"}]
    pdf_requests = len([r for r in server.state.requests if "/pdf/" in r["path"]])
    assert dg.materialize(assets, resources=resources, partition_key=DEMO_DAY).success
    # Cached PDFs are not fetched again; the six with no PDF offline are asked for once more.
    assert len([r for r in server.state.requests if "/pdf/" in r["path"]]) == pdf_requests + 6


def test_a_rerun_reuses_extractions_of_the_same_pdf_by_the_same_code(home, server, monkeypatch):
    import pdf_reading.papers as fulltext

    pipeline = pipeline_for(home, server, ARXIV_MONITOR_WATCH_AUTHORS="Ashish Vaswani,Olaf Ronneberger,Yoshua Bengio")
    assets = pipeline.assets_named("raw_listings", "listing_embeddings", "filtered_papers", "paper_fulltext")
    assert dg.materialize(assets, resources=pipeline.resources, partition_key=DEMO_DAY).success
    columns = "arxiv_id, version, status, error, pages, chars, text, sections, links, evidence, pdf_sha256, extractor"

    def stored() -> list[tuple]:
        with duckdb.connect(str(home / "arxiv.duckdb"), read_only=True) as conn:
            return conn.execute(f"select {columns} from paper_fulltext order by arxiv_id").fetchall()

    first = stored()
    extracted: list[list] = []
    real = fulltext.extract_many
    monkeypatch.setattr(fulltext, "extract_many", lambda paths, *a: extracted.append(list(paths)) or real(paths, *a))

    def rerun() -> dict:
        result = dg.materialize(pipeline.assets_named("paper_fulltext"), resources=pipeline.resources,
                                partition_key=DEMO_DAY)
        assert result.success
        return {k: v.value for k, v in result.asset_materializations_for_node("paper_fulltext")[0].metadata.items()}

    # Same PDFs, same code: nothing is extracted again, and the rows are the same.
    assert rerun()["extractions_reused"] == 3 and extracted == [[]]
    assert stored() == first and {r[-1] for r in first if r[2] == "ok"} == {fulltext.extractor_identity()}
    # Other extraction code (a new PyMuPDF, an edited extractor): all three are read again.
    monkeypatch.setattr(fulltext, "extractor_identity", lambda: "pymupdf 0.0 edited")
    assert rerun()["extractions_reused"] == 0 and len(extracted[-1]) == 3
    assert [r[:-1] for r in stored()] == [r[:-1] for r in first]
    # Other PDF bytes under the same id and version (a re-downloaded file): that one is read again.
    monkeypatch.undo()
    monkeypatch.setattr(fulltext, "extract_many", lambda paths, *a: extracted.append(list(paths)) or real(paths, *a))
    assert rerun()["extractions_reused"] == 0  # the stored rows were made by "edited"
    with duckdb.connect(str(home / "arxiv.duckdb")) as conn:
        conn.execute("update paper_fulltext set pdf_sha256 = 'other bytes' where arxiv_id = '1706.03762'")
    assert rerun()["extractions_reused"] == 2 and [Path(p).name for p in extracted[-1]] == [
        PdfStore("http://127.0.0.1:9/pdf", home / "pdf_cache").path_for("1706.03762", 7).name]
    assert stored() == first


def test_extract_command_json_shape_and_exit_code():
    binary = Path(sys.executable).parent / "arxiv-monitor"
    ok = subprocess.run([str(binary), "extract", str(PDF_DIR / "1505.04597v1_Unet.pdf"), "--json"],
                        capture_output=True, text=True, timeout=120)
    data = json.loads(ok.stdout)
    assert ok.returncode == 0 and set(data) == {"status", "pages", "chars", "sections", "links", "error"}
    assert data["pages"] == 8 and {"title", "kind", "text"} == set(data["sections"][1])
    bad = subprocess.run([str(binary), "extract", str(PDF_DIR / "odd" / "arxiv_browse_x_image.pdf")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "no_text" in bad.stdout and "Traceback" not in bad.stderr
