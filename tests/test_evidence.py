"""Evidence quoted from the paper itself (pdf_reading/evidence.py) on the real PDFs: verbatim, with the
section named, from the abstract alone when there is no full text."""

import re

import pytest

from pdf_reading.evidence import KINDS, extract_evidence, sentences
from pdf_reading.extraction import extract_file
from tests.conftest import REALDATA

PDF_DIR = REALDATA / "pdf"


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def sections_of(name: str) -> tuple[str, list[dict]]:
    extraction = extract_file(PDF_DIR / name)
    assert extraction.status == "ok"
    sections = [{"title": s.title, "kind": s.kind, "text": s.text} for s in extraction.sections]
    abstract = next((s["text"] for s in sections if s["kind"] == "abstract"), "")
    return abstract, sections


def test_attention_is_all_you_need_quotes_its_contribution_and_its_bleu_results():
    abstract, sections = sections_of("1706.03762v7.pdf")
    evidence = extract_evidence(abstract, sections)
    by_kind = {k: [e for e in evidence if e.kind == k] for k in KINDS}
    assert by_kind["contribution"][0].section == "Abstract"
    assert by_kind["contribution"][0].text.startswith("We propose a new simple network architecture, the Transformer")
    results = " ".join(e.text for e in by_kind["result"])
    assert "28.4 BLEU" in results and "41.8" in results
    assert by_kind["limitation"] and "future work" in by_kind["limitation"][0].text


@pytest.mark.parametrize("name", ["1706.03762v7.pdf", "1505.04597v1_Unet.pdf", "1602.02830v3_Binarized.pdf",
                                  "2020.acl-main.447.pdf", "2203.00130v1.pdf", "2302.07302v1.pdf"])
def test_every_quote_is_verbatim_from_the_section_it_names(name):
    abstract, sections = sections_of(name)
    evidence = extract_evidence(abstract, sections)
    assert evidence, name
    texts = {"Abstract": fold(abstract), **{s["title"]: fold(s["text"]) for s in sections if s["title"]}}
    for quote in evidence:
        assert quote.section in texts, (quote.section, list(texts))
        assert quote.text in texts[quote.section], quote
        assert quote.text[-1] in ".!?" and quote.text[0].isupper()  # whole sentences, never cut
    assert len({q.text for q in evidence}) == len(evidence)  # nothing quoted twice
    assert all(sum(q.kind == k for q in evidence) <= 2 for k in KINDS)


def test_without_full_text_the_evidence_comes_from_the_abstract_alone():
    abstract = ("Precipitation nowcasting is a critical task. We propose STLDM, a diffusion-based architecture "
                "that learns the latent representation from end to end. Experimental results on multiple radar "
                "datasets demonstrate that STLDM achieves superior performance compared to the state of the art, "
                "while also improving inference efficiency by 35%.")
    evidence = extract_evidence(abstract, [])
    assert [(e.kind, e.section) for e in evidence] == [("contribution", "Abstract"), ("result", "Abstract")]
    assert evidence[1].text.endswith("by 35%.")


def test_a_table_row_run_into_a_sentence_is_not_a_result():
    table = "Name PhC-U373 DIC-HeLa IMCB-SG 0.2669 0.2935 KTH-SE 0.7953 0.4607 u-net achieves 0.9203 0.7756 best."
    assert extract_evidence("", [{"title": "4 Experiments", "kind": "experiments", "text": table}]) == []


def test_sentences_do_not_split_at_abbreviations():
    text = "Smith et al. show it, e.g. in Fig. 3. Then we propose X. A. Turing agreed."
    assert sentences(text) == ["Smith et al. show it, e.g. in Fig. 3.", "Then we propose X. A. Turing agreed."]
