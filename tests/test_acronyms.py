"""Abbreviations defined in real recorded abstracts, and the bias that keeps their long forms unwritten."""
import llama_cpp

from arxiv_domain.acronyms import defined_acronyms
from llm_analysis.bias import long_name_bias
from llm_analysis.questions import named_long_forms, section_prompts
from replay.corpus import load_corpus, realdata_dir
from resources.llm_server import bundled_gguf


def _corpus() -> dict:
    return {e.arxiv_id: e for e in load_corpus(realdata_dir())}


def test_long_forms_from_real_abstracts():
    stare = _corpus()["2512.05107"]
    found = defined_acronyms(f"{stare.title}. {stare.abstract}")
    assert found["STARE"] == "Stage-Aware Reinforcement"
    # The letter rule alone would stop at "Policy Optimization"; the initials take the whole name.
    assert found["PPO"] == "Proximal Policy Optimization"
    assert found["TPO"] == "Trajectory-wise Preference Optimization"
    assert found["VLA"] == "Vision-Language-Action"
    assert list(found).index("VLA") < list(found).index("STARE")  # order of first definition


def test_no_acronym_where_none_is_defined():
    unet = _corpus()["1505.04597"]
    assert defined_acronyms(f"{unet.title}. {unet.abstract}") == {}
    assert defined_acronyms("We test (a) small and (b) large models (see Fig. 2) in (2024).") == {}
    # A parenthesis whose letters the words before it do not spell is not a definition.
    assert defined_acronyms("results improve markedly (XYZ)") == {}


def test_names_get_acronyms_common_terms_are_translated():
    ccol = _corpus()["2511.14396"]
    names = named_long_forms({"title": ccol.title, "abstract": ccol.abstract})
    assert "CCoL" in names
    assert "BC" not in names  # "behavioral cloning": a common term, written in Chinese


def test_long_forms_are_biased_piece_by_piece_on_a_real_vocabulary():
    """On the bundled GGUF's vocabulary: the capitalised pieces of STARE's long forms are biased, the
    abbreviations themselves and the pieces of names the abstract uses otherwise are not."""
    stare = _corpus()["2512.05107"]
    paper = {"title": stare.title, "abstract": stare.abstract}
    bias = long_name_bias(paper, bundled_gguf(), section_prompts("zh").sampling["long_name_bias"])
    vocab = llama_cpp.Llama(model_path=str(bundled_gguf()), vocab_only=True, verbose=False)
    biased = {vocab.detokenize([int(t)]).decode("utf-8") for t in bias}
    assert set(bias.values()) == {-5.0}
    for long in ("Stage-Aware Reinforcement", "Proximal Policy Optimization", "Trajectory-wise Preference"):
        first = vocab.tokenize(f" {long}".encode(), add_bos=False)[0]  # the piece the model would start with
        assert str(first) in bias, long
    assert not biased & {"ST", "STARE", " STARE", "PPO", " PPO", "TPO", " TPO", "VLA", " VLA"}
    assert all(p.strip(" -")[:1].isupper() for p in biased)
    # The paper's name "ActionFlow" shares "Action" with "Vision-Language-Action": that piece stays free.
    flow = _corpus()["2512.20276"]
    flow_bias = long_name_bias({"title": flow.title, "abstract": flow.abstract}, bundled_gguf(), -5.0)
    action = {vocab.detokenize([int(t)]).decode("utf-8") for t in flow_bias}
    assert "Action" not in action and " Action" not in action
    unet = _corpus()["1505.04597"]
    assert long_name_bias({"title": unet.title, "abstract": unet.abstract}, bundled_gguf(), -5.0) == {}


def test_reading_a_vocabulary_prints_nothing(capfd):
    from llm_analysis.bias import gguf_vocabulary

    vocab = gguf_vocabulary.__wrapped__(bundled_gguf())  # uncached: the load itself is under test
    assert vocab.n_vocab() > 40_000
    out, err = capfd.readouterr()
    assert out == "" and err == "", err  # llama.cpp's own context warning included
