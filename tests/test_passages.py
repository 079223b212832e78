"""The paper's sentences each section of an analysis can rest on (llm_analysis/passages.py), on the real
U-Net PDF: taken where papers say that thing, verbatim, with the section they come from."""

from llm_analysis.passages import PER_QUESTION, PER_SECTION, passages_for
from tests.test_evidence import fold, sections_of


def test_each_section_rests_on_sentences_from_where_papers_say_it():
    abstract, sections = sections_of("1505.04597v1_Unet.pdf")
    texts = {s["title"] or "Abstract": fold(s["text"]) for s in sections}
    places = {q: {p.section for p in passages_for(q, abstract, sections)}
              for q in ("summary", "motivation", "contributions", "method", "experiments")}
    assert places.pop("method") <= {"2 Network Architecture", "3 Training"}
    assert places == {"summary": {"Abstract"}, "motivation": {"1 Introduction"}, "contributions": {"Abstract"},
                      "experiments": {"4 Experiments"}}
    for question in ("summary", "motivation", "contributions", "method", "experiments"):
        found = passages_for(question, abstract, sections)
        assert 0 < len(found) <= PER_QUESTION.get(question, PER_SECTION)
        assert all(p.text in texts[p.section] for p in found), question  # verbatim from the section it names
    experiments = [p.text for p in passages_for("experiments", abstract, sections)]
    assert any("of 92%, which is significantly better than the second best algorithm" in t for t in experiments)
    # A contribution statement leads the contributions' passages.
    assert passages_for("contributions", abstract, sections)[0].text.startswith("In this paper, we present a network")


def test_without_full_text_every_section_rests_on_the_abstract():
    abstract, _ = sections_of("1505.04597v1_Unet.pdf")
    motivation = passages_for("motivation", abstract)
    assert {p.section for p in motivation} == {"Abstract"}
    assert motivation[0].text == ("There is large consent that successful training of deep networks requires many "
                                  "thousand annotated training samples.")
    assert "Segmentation of a 512x512 image takes less than a second on a recent GPU." in {
        p.text for p in passages_for("summary", abstract)}
    assert passages_for("method", "") == []
    # the overview reads the whole abstract, in its order, but for the sentence giving a web address
    read = " ".join(p.text for p in passages_for("summary", abstract))
    assert fold(abstract) == read + " The full implementation (based on Caffe) and the trained networks are " \
        "available at http://lmb.informatik.uni-freiburg.de/people/ronneber/u-net."
