"""One question per request (llm_analysis/questions.py): what is asked, what is checked per answer, how
a repair is asked. A scripted client stands in for the server here; tests/test_llm.py runs the real one."""

import asyncio
from types import SimpleNamespace

from llm_analysis.claims import statements_of
from llm_analysis.papers import build_section_request
from llm_analysis.questions import (
    MAX_TOKENS,
    QUESTIONS,
    REPAIR_SAMPLING,
    SAMPLING,
    analyse_sections,
    clean_answer,
    keywords_from,
    messages_for,
    reports_experiments,
    sampling_options,
    section_prompts,
)
from pdf_reading.extraction import extract_file
from publishing.wording import analysis_headings
from tests.conftest import REALDATA

ABSTRACT = ("There is large consent that successful training of deep networks requires many thousand annotated "
            "training samples. We present a network and training strategy that relies on the strong use of data "
            "augmentation. The architecture consists of a contracting path to capture context and a symmetric "
            "expanding path that enables precise localization. It outperforms the prior best method on the ISBI "
            "challenge for segmentation of neuronal structures in electron microscopic stacks. Using the same "
            "network trained on transmitted light microscopy images (phase contrast and DIC) we won the ISBI cell "
            "tracking challenge 2015 in these categories by a large margin.")
PAPER = {"arxiv_id": "1505.04597", "version": 1, "title": "U-Net: Convolutional Networks for Biomedical Image "
         "Segmentation", "authors": ["Olaf Ronneberger"], "abstract": ABSTRACT, "fulltext_ok": False, "sections": None}
GOOD = {
    # the overview and the one-line summary name something of the abstract: a sentence of theirs naming nothing
    # would rest on the whole abstract, which no reader can check
    "summary": "论文提出一种依靠大量数据增强的对称卷积分割网络，它在2015年的ISBI细胞追踪挑战中获胜。",
    "motivation": "深度网络通常需要成千上万张标注样本，而生物医学任务很难获得这么多标注，因此需要更省数据的训练方式。",
    "contributions": "作者给出一种对称的收缩与扩张结构，并配合强数据增强，使少量标注图像也足以训练出精确的分割网络。",
    "method": "网络先沿收缩路径逐步提取上下文特征，再沿对称的扩张路径恢复分辨率，"
              "最终为每个像素输出类别，实现精确定位。",
    "experiments": "在 ISBI 神经结构分割挑战上，该网络的表现超过了此前最好的方法。",
    "tldr": "一种赢得2015年ISBI细胞追踪挑战的卷积分割网络。",
    "keywords": "图像分割, 卷积网络, 数据增强",
}


class Scripted:
    """A stand-in for the openai client: answers each question from a script, records every request."""

    def __init__(self, answers: dict[str, list[str]]):
        self.answers = {k: list(v) for k, v in answers.items()}
        self.requests = []
        self.chat = SimpleNamespace(completions=SimpleNamespace(create=self.create))

    async def create(self, model, messages, max_tokens, **options):
        question = next(q for q, text in section_prompts("zh").questions.items()
                        if text in messages[1]["content"])
        self.requests.append((question, messages, max_tokens, options))
        queue = self.answers[question]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return SimpleNamespace(usage=SimpleNamespace(prompt_tokens=100, completion_tokens=20), choices=[
            SimpleNamespace(finish_reason="stop", message=SimpleNamespace(content=answer))])


def run(client, paper=PAPER, cap=0):
    request, basis, _ = build_section_request(paper, "zh", 1800)
    outcome = asyncio.run(analyse_sections(client, "m", SAMPLING["qwen2"], request, section_prompts("zh"),
                                           analysis_headings("zh"), "llama-cpp", cap))
    return outcome, request, basis


def test_every_question_is_asked_from_its_own_passages_and_a_good_answer_is_taken_as_is():
    client = Scripted({q: [a] for q, a in GOOD.items()})
    outcome, request, basis = run(client)
    assert outcome.status == "ok" and basis == "abstract", outcome.error
    assert [q for q, *_ in client.requests] == list(QUESTIONS)
    assert len({messages[0]["content"] for _, messages, _, _ in client.requests}) == 1  # the server's prefix cache
    for question, messages, _, _ in client.requests:
        block = messages[1]["content"]
        assert block.startswith(f"<paper>\nTitle: {PAPER['title']}\nAuthors: Olaf Ronneberger\n\nAbstract:\n"
                                "[1] There is large consent")
        assert block.endswith(section_prompts("zh").questions[question])
    # without the full text every question reads the abstract alone: one block, evaluated once by the server
    assert len({m[1]["content"].split("</paper>")[0] for _, m, _, _ in client.requests}) == 1
    assert [limit for _, _, limit, _ in client.requests] == [MAX_TOKENS[q] for q in QUESTIONS]
    assert outcome.analysis["method"] == GOOD["method"]
    assert outcome.analysis["keywords"] == ["图像分割", "卷积网络", "数据增强"]
    # every shown sentence is a statement with the abstract's sentences it rests on
    stated = outcome.analysis["statements"]
    assert {s["section"] for s in stated} == {"summary", "motivation", "contributions", "method", "experiments", "tldr"}
    assert all(s["sources"] and all(p["text"] in ABSTRACT for p in s["sources"]) for s in stated)
    isbi = next(s for s in stated if s["section"] == "experiments")
    assert [p["text"] for p in isbi["sources"]] == [ABSTRACT[ABSTRACT.index("It outperforms"):ABSTRACT.index(" Using")]]
    assert outcome.analysis["dropped_statements"] == []


def test_an_invented_name_is_repaired_once_more_freely_sampled_then_left_out_or_rejected():
    invented = "实验在 CamVid 数据集上用 mIoU 评估，比 DeepLab 高出 12 个百分点。"
    client = Scripted({**{q: [a] for q, a in GOOD.items()}, "experiments": [invented, GOOD["experiments"]]})
    outcome, _, _ = run(client)
    assert outcome.status == "ok" and outcome.analysis["experiments"] == GOOD["experiments"]
    first, repair = [r for r in client.requests if r[0] == "experiments"]
    assert first[3]["temperature"] == SAMPLING["qwen2"]["temperature"] and repair[3]["temperature"] == \
        REPAIR_SAMPLING["temperature"] and repair[3]["seed"] != first[3]["seed"]
    note = repair[1][-1]["content"]
    assert repair[1][-2] == {"role": "assistant", "content": invented}
    assert all(name in note for name in ("CamVid", "DeepLab", "12", "mIoU"))

    # Still invented after the repair: 实验说明 says in words that the text could not support it; the invented
    # names are shown nowhere, and the other sections, which passed, are.
    stubborn = Scripted({**{q: [a] for q, a in GOOD.items()}, "experiments": [invented]})
    outcome, _, _ = run(stubborn)
    assert outcome.status == "ok" and outcome.analysis["experiments"] == section_prompts("zh").unverifiable
    shown = " ".join(str(v) for k, v in outcome.analysis.items() if k != "dropped_statements")
    assert not any(name in shown for name in ("CamVid", "DeepLab"))
    assert [q for q, *_ in stubborn.requests].count("experiments") == 2
    half_english = invented.replace("评估", "的 accuracy 评估")  # invented, and an English word too
    outcome, _, _ = run(Scripted({**{q: [a] for q, a in GOOD.items()}, "experiments": [half_english]}))
    assert outcome.status == "ok" and outcome.analysis["experiments"] == section_prompts("zh").unverifiable

    # Any other section that still invents after its repair loses the sentences naming what its passages lack;
    # left with nothing, it says so in words, and the sections that passed stand.
    made_up_method = "方法基于 ResNet-152 主干和 Swin Transformer 解码器，在 12 个阶段中逐步融合特征。"
    stubborn = Scripted({**{q: [a] for q, a in GOOD.items()}, "method": [made_up_method]})
    outcome, _, _ = run(stubborn)
    assert outcome.status == "ok" and outcome.analysis["method"] == section_prompts("zh").unsupported_section
    assert [q for q, *_ in stubborn.requests].count("method") == 2
    (dropped,) = outcome.analysis["dropped_statements"]
    assert dropped["section"] == "method" and "Swin Transformer" in dropped["reason"]
    assert "Swin" not in " ".join(s["text"] for s in outcome.analysis["statements"])
    half = "网络沿收缩路径提取上下文特征，再沿对称的扩张路径恢复分辨率，实现精确定位。其主干是 ResNet-152。"
    outcome, _, _ = run(Scripted({**{q: [a] for q, a in GOOD.items()}, "method": [half]}))
    assert outcome.analysis["method"] == half.split("。")[0] + "。"  # the supported sentence stays


def test_an_answer_restating_its_question_is_an_echo():
    """A real answer of the 0.5B model to the method question (analysis_quality, 2026-12-02)."""
    restated = "本文的方法包括接收输入（如动作轨迹），经过多个关键模块或步骤，产生一系列的输出。"
    stubborn = Scripted({**{q: [a] for q, a in GOOD.items()}, "method": [restated]})
    outcome, _, _ = run(stubborn)
    assert outcome.status == "rejected" and outcome.error.startswith("rejected by prompt_echo: 方法概述:")


def test_a_section_repeating_an_earlier_one_is_asked_again_naming_it():
    client = Scripted({**{q: [a] for q, a in GOOD.items()}, "method": [GOOD["summary"], GOOD["method"]]})
    outcome, _, _ = run(client)
    assert outcome.status == "ok"
    repair = [r for r in client.requests if r[0] == "method"][1]
    assert "与「论文概要」一节重复" in repair[1][-1]["content"]

    # Repeated again after the repair: 方法概述 says in words that it was left out, and why; the repeat is not
    # shown and the other sections stand. A second section that repeats makes the whole analysis rejected.
    stubborn = Scripted({**{q: [a] for q, a in GOOD.items()}, "method": [GOOD["summary"]]})
    outcome, _, _ = run(stubborn)
    assert outcome.status == "ok", outcome.error
    assert outcome.analysis["method"] == "此节从略：模型对本节的回答与「论文概要」一节重复，未予显示。"
    assert outcome.analysis["experiments"] == GOOD["experiments"]
    assert [q for q, *_ in stubborn.requests].count("method") == 2
    twice = Scripted({**{q: [a] for q, a in GOOD.items()}, "contributions": [GOOD["summary"]],
                      "method": [GOOD["motivation"]]})
    outcome, _, _ = run(twice)
    assert outcome.status == "rejected" and outcome.error.startswith("rejected by repeated_sections: 方法概述:")


def test_a_section_written_as_the_authors_is_asked_again_in_the_third_person_then_left_out():
    """"我们提出…" is the paper's voice (a translated abstract), not the report's: a real answer of the 1.5B model
    to 研究动机 on the demo day (1706.03762, 2026-12-03)."""
    voiced = "现有方法通常使用复杂的递归或卷积神经网络。我们提出了一种新的简单网络架构，仅基于注意力机制。"
    client = Scripted({**{q: [a] for q, a in GOOD.items()}, "motivation": [voiced, GOOD["motivation"]]})
    outcome, _, _ = run(client)
    assert outcome.status == "ok" and outcome.analysis["motivation"] == GOOD["motivation"]
    repair = [r for r in client.requests if r[0] == "motivation"][1]
    # Asked afresh (shown its own answer, the model copies it back), the third person after the question.
    assert [m["role"] for m in repair[1]] == ["system", "user"]
    assert repair[1][1]["content"].endswith(section_prompts("zh").repair["third_person"])

    # Still "我们" after the repair: left out in words, the rest stands; with a repeat left out too, or in the
    # overview, the paper is rejected (one section left out per paper, and never the overview).
    stubborn = Scripted({**{q: [a] for q, a in GOOD.items()}, "motivation": [voiced]})
    outcome, _, _ = run(stubborn)
    assert outcome.status == "ok", outcome.error
    assert outcome.analysis["motivation"] == section_prompts("zh").first_person_section
    assert "我们提出" not in " ".join(str(v) for v in outcome.analysis.values())
    both = Scripted({**{q: [a] for q, a in GOOD.items()}, "motivation": [voiced], "method": [GOOD["summary"]]})
    assert run(both)[0].status == "rejected"
    overview = Scripted({**{q: [a] for q, a in GOOD.items()}, "summary": [voiced]})
    outcome, _, _ = run(overview)
    assert outcome.status == "rejected" and outcome.error.startswith("rejected by first_person: 论文概要:")


def test_the_first_person_pattern_of_each_language():
    assert section_prompts("zh").first_person.search("我们的方法") and not section_prompts("zh").first_person.search(
        "作者提出的方法")
    english = section_prompts("en").first_person
    assert all(english.search(t) for t in ("We propose a model.", "our method", "it helps us"))
    assert not any(english.search(t) for t in ("The authors propose a model.", "US traffic data", "weather, power"))


def test_the_sentences_leaving_a_section_out_pass_the_gates_they_stand_in_for():
    from llm_analysis.gates import ECHO_MARKS, invented

    for language in ("zh", "en"):
        prompts = section_prompts(language)
        withheld = prompts.withheld.format(problem=prompts.repair["repeats"].format(other=GOOD["summary"][:4]))
        for sentence in (withheld, prompts.unverifiable, prompts.unsupported, prompts.first_person_section):
            assert invented(sentence, "") == [] and not ECHO_MARKS.search(sentence), (language, sentence)


def test_text_without_any_experiment_gets_the_sentence_that_says_so_and_no_question():
    paper = {**PAPER, "abstract": "We discuss how a contracting path and an expanding path can be combined in one "
             "network for the segmentation of biomedical images."}
    # an abstract of one sentence: an overview naming nothing of it rests on that sentence
    client = Scripted({**{q: [a] for q, a in GOOD.items()},
                       "summary": ["论文讨论如何在一个网络中结合收缩路径与扩张路径，用于生物医学图像的分割。"],
                       "tldr": ["一种结合收缩与扩张路径的医学图像分割网络。"]})
    outcome, _, _ = run(client, paper)
    assert "experiments" not in [q for q, *_ in client.requests]
    assert outcome.status == "ok" and outcome.analysis["experiments"] == section_prompts("zh").unsupported
    assert reports_experiments(ABSTRACT) and not reports_experiments(paper["abstract"])


def test_an_answer_in_another_language_is_repaired_then_shown_and_marked():
    english = "The network is trained end to end from very few images with heavy data augmentation."
    client = Scripted({**{q: [a] for q, a in GOOD.items()}, "motivation": [english]})
    outcome, _, _ = run(client)
    repair = [r for r in client.requests if r[0] == "motivation"][1]
    assert "没有用简体中文回答" in repair[1][-1]["content"]
    assert outcome.status == "ok" and outcome.analysis["motivation"] == english
    assert outcome.quality.language_share < 1.0


def test_the_real_pdf_gives_each_question_the_sentences_of_the_sections_that_answer_it():
    extraction = extract_file(REALDATA / "pdf" / "1505.04597v1_Unet.pdf")
    sections = extraction.to_json()["sections"]
    paper = {**PAPER, "fulltext_ok": True, "sections": sections}
    request, basis, skipped = build_section_request(paper, "zh", 1800)
    assert basis == "fulltext_trimmed" and "references" in skipped
    method, experiments = request.passages_of("method"), request.passages_of("experiments")
    assert "contracting path" in " ".join(p.text for p in method) and all(p.section != "Abstract" for p in method)
    assert "warping error" in " ".join(p.text for p in experiments).lower()
    text = " ".join([ABSTRACT, *(s["text"] for s in sections)])
    assert all(" ".join(p.text.split()) in " ".join(text.split()) for ps in request.passages.values() for p in ps)
    # the abstract first (the same for every question: the server's prefix cache), then the question's own
    # sentences, numbered on, each with its heading without its number ("(4 Experiments)" reads as "in 4 experiments")
    abstract = len(request.passages_of("summary"))
    block = request.block("experiments")
    assert block.split("\n\nFrom the paper:")[0] == request.block("summary").removesuffix("\n</paper>")
    assert f"[{abstract + 1}] (Experiments) " in block and "(4 Experiments)" not in block
    assert request.cited_by_default("method") == method and request.read_for("method")[abstract:] == method


def test_answers_are_cleaned_to_prose_and_keywords_split():
    assert clean_answer("**方法概述：** 网络先提取特征，\n再恢复分辨率。", "method") == \
        "网络先提取特征， 再恢复分辨率。"
    # A name the model wrapped like a tag (seen on 2512.20276's 研究动机) loses the brackets; the prompt's
    # own <paper> tag stays for the echo gate, and a comparison is left alone.
    assert clean_answer("&lt;x&gt;为此提出<ActionFlow>，其核心是<Cross-Request>流水线。", "motivation") == \
        "&lt;x&gt;为此提出ActionFlow，其核心是Cross-Request流水线。"
    assert clean_answer("它复述了</paper>标签", "method") == "它复述了</paper>标签"
    assert clean_answer("当 a<b 且 c>d 时成立", "method") == "当 a<b 且 c>d 时成立"
    assert keywords_from("关键词：图像分割、U-Net，数据增强; 1. 卷积网络") == \
        ["图像分割", "U-Net", "数据增强", "卷积网络"]


def test_request_shapes_for_llama_cpp_and_vllm():
    """llama.cpp reads sampling fields at the top level; vLLM takes repetition_penalty and the chat template's
    arguments through extra_body (docs: vLLM's OpenAI-compatible server, "Extra parameters")."""
    llama = sampling_options("llama-cpp", SAMPLING["qwen2"])
    assert llama["extra_body"] == {"repeat_penalty": 1.1} and llama["seed"] == 42
    vllm = sampling_options("vllm", SAMPLING["vllm"])
    assert vllm["extra_body"]["repetition_penalty"] == 1.05
    assert vllm["extra_body"]["chat_template_kwargs"] == {"enable_thinking": False}
    assert "repeat_penalty" not in vllm and "repeat_penalty" not in vllm["extra_body"]
    messages = messages_for(section_prompts("en"), run(Scripted({q: [a] for q, a in GOOD.items()}))[1], "method")
    assert [m["role"] for m in messages] == ["system", "user"]


def test_the_latin_word_bias_covers_lowercase_word_pieces_only():
    """The zh prompt's bias targets ordinary English word pieces of the real model's vocabulary (the
    bundled SmolLM2 GGUF's), never a piece with a capital, a digit or a non-Latin letter."""
    import llama_cpp

    from llm_analysis.bias import lowercase_word_tokens
    from llm_analysis.questions import section_prompts
    from resources.llm_server import bundled_gguf

    ids = lowercase_word_tokens(bundled_gguf())
    vocab = llama_cpp.Llama(model_path=str(bundled_gguf()), vocab_only=True, verbose=False)
    pieces = [vocab.detokenize([i]).decode("utf-8") for i in ids]
    assert len(ids) > 1000 and all(p.strip().isascii() and p.strip().isalpha() and p.strip().islower() for p in pieces)
    the = vocab.tokenize(b" the", add_bos=False)
    assert len(the) == 1 and the[0] in ids
    capital = vocab.tokenize(b" The", add_bos=False)
    assert len(capital) == 1 and capital[0] not in ids
    assert section_prompts("zh").sampling["latin_word_bias"] < 0 and section_prompts("en").sampling == {}


def test_a_one_line_summary_that_does_not_stand_gives_way_to_the_overviews_first_statement():
    """A TL;DR naming what its sentences lack (after its repair) is not shown; the analysis keeps one."""
    stubborn = Scripted({**{q: [a] for q, a in GOOD.items()}, "tldr": ["一种在 CamVid 上训练的分割网络。"]})
    outcome, _, _ = run(stubborn)
    assert outcome.status == "ok", outcome.error
    assert outcome.analysis["tldr"] == GOOD["summary"]
    (tldr,) = [s for s in outcome.analysis["statements"] if s["section"] == "tldr"]
    summary = next(s for s in outcome.analysis["statements"] if s["section"] == "summary")
    assert tldr["text"] == summary["text"] and tldr["sources"] == summary["sources"]
    assert any("CamVid" in d["reason"] for d in outcome.analysis["dropped_statements"])
    # nothing of the overview stands either: the contributions' first statement does
    neither = Scripted({**{q: [a] for q, a in GOOD.items()}, "tldr": ["一种在 CamVid 上训练的分割网络。"],
                        "summary": ["论文提出一种在 CamVid 上训练的分割网络。"]})
    outcome, _, _ = run(neither)
    assert outcome.status == "ok", outcome.error
    assert outcome.analysis["tldr"] == GOOD["contributions"]
    assert outcome.analysis["summary"] == section_prompts("zh").unsupported_section


def test_an_overview_sentence_naming_nothing_of_a_long_abstract_is_not_shown():
    """U-Net's whole abstract (seven sentences, 1505.04597): the overview reads all of it, so a sentence of the
    overview naming nothing of it would cite all seven; it is dropped, while one naming ISBI cites its sentence."""
    abstract = ("There is large consent that successful training of deep networks requires many thousand annotated "
                "training samples. In this paper, we present a network and training strategy that relies on the "
                "strong use of data augmentation to use the available annotated samples more efficiently. The "
                "architecture consists of a contracting path to capture context and a symmetric expanding path that "
                "enables precise localization. We show that such a network can be trained end-to-end from very few "
                "images and outperforms the prior best method (a sliding-window convolutional network) on the ISBI "
                "challenge for segmentation of neuronal structures in electron microscopic stacks. Using the same "
                "network trained on transmitted light microscopy images (phase contrast and DIC) we won the ISBI cell "
                "tracking challenge 2015 in these categories by a large margin. Moreover, the network is fast. "
                "Segmentation of a 512x512 image takes less than a second on a recent GPU.")
    request, _, _ = build_section_request({**PAPER, "abstract": abstract}, "zh", 1800)
    assert len(request.cited_by_default("summary")) == 7 and len(request.cited_by_default("tldr")) == 7
    # the distorted first sentence of the recorded 2026-12-07 01:56 run's overview, and a sentence naming ISBI
    overview = "这篇论文的主要问题是如何提高深度网络的训练效率。它在2015年ISBI细胞追踪挑战中大幅领先获胜。"
    shown, dropped = statements_of("summary", overview, request.read_for("summary"), "zh", request.header, (),
                                   request.cited_by_default("summary"))
    assert [d["reason"] for d in dropped] == ["names nothing its sources state"]
    assert [p.text[:9] for s in shown for p in s.sources] == ["Using the"]
    # a short abstract is itself a citation a reader can check
    short, _, _ = build_section_request(PAPER, "zh", 1800)
    assert short.cited_by_default("summary") == short.passages_of("summary")
