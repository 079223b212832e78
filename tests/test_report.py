"""The daily report: layout, hostile text, empty days, failures, the file and the table."""

import datetime as dt
import re

import dagster as dg
import duckdb
import pytest

from publishing.report import md, render_report, report_context, why_kept
from resources.configured import build_resources
from tests.conftest import settings_for

DAY = dt.date(2025, 12, 25)


def monitor(language="zh", **env):
    return build_resources(settings_for(ARXIV_MONITOR_LANGUAGE=language, **env))["reader"].monitored()


def paper(arxiv_id="2512.21118", status="ok", title="STLDM: Spatio-Temporal Latent Diffusion", **extra):
    row = {"arxiv_id": arxiv_id, "version": 1, "announce_type": "new", "is_update": False, "rank": 1,
           "matched_keywords": ["spatio-temporal prediction"], "matched_authors": [],
           "title": title, "authors": ["Shi Quan Foo", "Chi-Ho Wong"],
           "abstract": "Precipitation nowcasting is a critical spatio-temporal prediction task.",
           "primary_category": "cs.LG", "categories": ["cs.LG", "cs.AI"], "comment": None,
           "fulltext_status": "download_failed",
           "links": [{"url": "https://github.com/sqfoo/stldm_official", "kind": "github", "found_in": "abstract"}],
           "status": status, "error": None if status == "ok" else "invalid answer: summary: no words",
           "basis": "abstract", "dropped_sections": [], "tldr": "A diffusion model for nowcasting.",
           "summary": "The paper proposes STLDM.", "motivation": "Nowcasting matters.",
           "contributions": "A latent diffusion model.", "method": "Two stages.", "experiments": "Three datasets.",
           "keywords": ["nowcasting"], "model": "llama-cpp:x.gguf", "prompt_version": "zh-abc", "tokens_in": 100,
           "tokens_out": 50, "latency_seconds": 2.0, "cached": False, "grounding_score": None}
    if status != "ok":
        for field in ("tldr", "summary", "motivation", "contributions", "method", "experiments"):
            row[field] = None
    row.update(extra)
    return row


LISTING = {"rows_new": 6, "rows_cross": 7, "rows_replace": 4, "rows_replace_cross": 2}


def render(rows, language="zh", day=DAY, listing=LISTING, **overrides):
    context = report_context(day, monitor(language, **overrides), listing, rows, dt.datetime(2025, 12, 26, 1, 0,
                                                                                               tzinfo=dt.UTC))
    return render_report(context)


def test_layout_follows_the_seed_report():
    text = render([paper()])
    for heading in [
        "# arXiv论文监控报告 - 2025年12月25日",
        "## 报告概览",
        "- **监控分类**: cs.AI, cs.LG, cs.RO, cs.CV",
        "- **发现论文数**: 1篇",
        "### 基本信息",
        "### 原文摘要",
        "### AI分析（基于摘要（下载失败，未能使用全文）；由 x.gguf 撰写）",
        "#### 1. 论文概要",
        "#### 2. 研究动机",
        "#### 3. 核心贡献与创新点",
        "#### 4. 方法概述",
        "#### 5. 实验说明",
        "## 生成信息",
    ]:
        assert heading in text, heading
    # The seed's own code link ends in a stray '.'; ours does not.
    assert "[https://github.com/sqfoo/stldm\\_official](https://github.com/sqfoo/stldm_official)（见于摘要）" in text
    assert "| 1 | [STLDM: Spatio-Temporal Latent Diffusion](#paper-1) | cs.LG |" in text
    assert "新提交 6 · 交叉列出 7 · 替换 4 · 交叉替换 2（共 19 篇" in text


def test_english_template():
    text = render([paper(basis="fulltext_trimmed", dropped_sections=["references"])], language="en")
    assert text.startswith("# arXiv monitoring report - Thursday 25 December 2025")
    assert ("### AI analysis (from the full text, shortened to fit the model's context; left out: references; "
            "written by x.gguf)") in text
    assert "#### 3. Contributions" in text and "## Provenance" in text


def test_hostile_text_cannot_break_the_layout():
    hostile = "# x <script>alert(1)</script> ``` unbalanced ` [link](javascript:x) | pipe"
    text = render(
        [paper(title=hostile, summary="## injected heading\n- list <b>bold</b>", authors=["<img src=x onerror=y>"])]
    )
    assert "<script>" not in text and "<img" not in text and "<b>" not in text
    assert not re.search(r"^#+ x ", text, re.MULTILINE) and "\n## injected" not in text
    assert "```" not in text.replace("\\`\\`\\`", "")
    # Every heading of the document is one the template wrote.
    headings = re.findall(r"^(#{1,6}) ", text, re.MULTILINE)
    assert len(headings) == len(re.findall(r"^#{1,6} ", render([paper()]), re.MULTILINE))
    index_row = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    assert index_row.count(" | ") == 4 and "\\| pipe" in index_row  # five cells; the title's '|' escaped


def test_md_escaping():
    assert md("1. starts a list") == "1\\. starts a list"
    assert md("- starts a list") == "\\- starts a list"
    assert md("a\n\n# b") == "a \\# b"
    assert md(["x_y", "z"]) == "x\\_y, z"


def test_failed_analysis_is_listed_apart_and_never_rendered_as_an_analysis():
    text = render(
        [
            paper(arxiv_id="2512.00001", title="Good paper"),
            paper(arxiv_id="2512.00002", status="failed", title="Bad paper"),
        ]
    )
    main, failed_part = text.split("## 分析失败的论文")
    assert "Good paper" in main and "Bad paper" not in main.split("|---|")[-1].split("## 1.")[1]
    assert "Bad paper" in failed_part and "失败原因**: invalid answer: summary: no words" in failed_part
    assert "AI分析" not in failed_part and "论文概要" not in failed_part
    assert "- **发现论文数**: 2篇（其中 1 篇没有可用的 AI 分析，见文末）" in text


def test_weekend_renders_a_short_no_announcement_report():
    text = render([], day=dt.date(2025, 12, 27), listing=None)
    assert "arXiv 在这一天没有发布公告（周末）" in text and "## 生成信息" in text and "### 基本信息" not in text
    english = render([], language="en", day=dt.date(2025, 12, 27), listing=None)
    assert "arXiv did not announce on this day (weekend)" in english


def test_announcement_day_with_no_match():
    assert "今天没有论文匹配所配置的关键词（共检查 19 篇公告论文）" in render([])


def test_the_match_line_shows_closeness_only_where_it_kept_the_paper():
    """A watched author's paper with a similarity below the keep rule shows no score and no "closest" interest;
    a paper the interests kept shows both: a number below the keep rule would mislead."""
    watched = paper(arxiv_id="1602.02830", matched_keywords=[], matched_authors=["Yoshua Bengio"], kept_by=["author"],
                    semantic_score=0.29, closest_interest="Spatio-temporal forecasting")
    close = paper(arxiv_id="2512.20014", matched_keywords=["vla"], kept_by=["keyword", "semantic"],
                  semantic_score=0.56, closest_interest="Vision-language-action models")
    text = render([watched, close])
    assert "内容接近你的兴趣「Vision-language-action models」（语义相似度 0.56）" in text
    assert "0.29" not in text and "Spatio-temporal forecasting」" not in text
    # Why each paper is there, in words: the watched author, the keyword its text mentions.
    assert "**入选原因**: 作者中有你关注的 Yoshua Bengio\n" in text
    assert "**入选原因**: 标题或摘要含关键词「vla」；内容接近你的兴趣「Vision-language-action models」" in text


def test_why_a_paper_is_there_reads_as_words_in_english():
    row = paper(arxiv_id="2512.20014", matched_keywords=["vla", "Vision Language Action"],
                matched_authors=["Chelsea Finn"], kept_by=["keyword", "author", "semantic", "learned"],
                semantic_score=0.56, closest_interest="robot policies", learned_score=0.71, closest_liked="ActionFlow")
    assert why_kept(row, "en") == ("its title or abstract mentions “vla”, “Vision Language Action”; by Chelsea Finn, "
                                   "whom you follow; close to your interest “robot policies” (semantic similarity "
                                   "0.56); like “ActionFlow”, a paper you liked (similarity learned from your marks "
                                   "0.71)")


def test_updates_are_marked():
    text = render([paper(arxiv_id="2511.14396", version=5, is_update=True, announce_type="replace-cross")])
    assert (
        "（更新：v5）" in text
        and "旧论文的新版本" in text
        and "[2511.14396v5](https://arxiv.org/abs/2511.14396v5)" in text
    )


def test_report_asset_writes_file_and_table(pipeline, home):
    """The asset on a weekend day through Dagster: the file, the table, the UI metadata."""
    day = "2025-12-27"
    for name in ("raw_listings", "listing_embeddings", "filtered_papers"):
        assert dg.materialize([pipeline.asset(name)], resources=pipeline.resources, partition_key=day).success
    result = dg.materialize([pipeline.asset("daily_report")], resources=pipeline.resources, partition_key=day)
    assert result.success
    path = home / "reports" / f"{day}.md"
    assert "arXiv 在这一天没有发布公告（周末）" in path.read_text()
    meta = result.asset_materializations_for_node("daily_report")[0].metadata
    assert meta["report"].value == path.read_text()
    assert all(c.passed for c in result.get_asset_check_evaluations())
    with duckdb.connect(str(home / "arxiv.duckdb"), read_only=True) as conn:
        assert conn.execute("select papers, failed, path from daily_report").fetchall() == [(0, 0, str(path))]
    assert not list(path.parent.glob(".*.tmp"))  # written atomically: no temp file left behind


EVIDENCE = [{"kind": "contribution", "section": "Abstract",
             "text": "In this paper, we present a simple yet effective model architecture termed STLDM."},
            {"kind": "result", "section": "5 Experiments", "text": "STLDM improves CSI by 12% on SEVIR."}]
JUNK = {"junk": ["repeated_sections"], "problems": ["summary and method repeat each other (100% shared n-grams)"],
        "max_repetition": 1.0, "max_echo": 0.0, "short_fields": [], "copied_fields": [], "language_share": 0.0,
        "language_ok": False, "number_grounding": None, "term_grounding": None}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_evidence_is_quoted_under_every_entry_with_its_section(language):
    text = render([paper(evidence=EVIDENCE),
                   paper(arxiv_id="2512.00002", status="failed", title="Bad paper", evidence=EVIDENCE[:1])],
                  language=language)
    main, failed_part = text.split("## 分析失败的论文" if language == "zh" else "## Papers whose analysis failed")
    label = {"zh": ("原文要点", "**贡献**（Abstract）：“", "**结果**（5 Experiments）：“"),
             "en": ("From the paper", "**contribution** (Abstract): “", "**result** (5 Experiments): “")}[language]
    assert f"### {label[0]}" in main
    assert label[1] + "In this paper, we present a simple yet effective model architecture termed STLDM.”" in main
    assert label[2] + "STLDM improves CSI by 12% on SEVIR.”" in main
    assert label[0] in failed_part and label[1] in failed_part  # the failed entry quotes its paper too


def test_a_rejected_analysis_is_never_shown_and_its_gate_is_named():
    rejected = paper(status="rejected", error="rejected by repeated_sections: summary and method repeat each other",
                     quality=JUNK)
    text = render([rejected, paper(arxiv_id="2512.00003", title="Failed one", status="failed")])
    assert "#### 1. 论文概要" not in text and "AI分析（" not in text
    assert "**拒绝原因（质量检查）**: rejected by repeated\\_sections" in text
    assert "今天匹配的 2 篇论文都没有得到可用的 AI 分析" in text and "今天没有论文匹配" not in text
    assert "- **发现论文数**: 2篇（其中 2 篇没有可用的 AI 分析，见文末）" in text
    assert "- **分析结果**: 成功 0 · 被拒绝 1（repeated_sections 1） · 失败 1（invalid answer 1）" in text


def test_an_analysis_in_the_wrong_language_is_shown_with_a_note():
    english = paper(quality={**JUNK, "junk": [], "problems": []}, citation_share=0.5)
    text = render([english])
    assert "模型未使用中文作答" in text and "#### 1. 论文概要" in text
    assert "*章节核对：模型所称依据的章节有 50% 确实存在于论文中。*" in text
    assert "模型未使用中文作答" not in render([paper(quality={**JUNK, "junk": [], "language_ok": True})])


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_report_and_the_site_name_the_analysis_sections_alike(language):
    """One wording (publishing/wording.py) for both: the site once said "1. Summary" where the report said
    "1. Overview"."""
    from publishing.site import day_page
    from publishing.wording import LABELS

    rows = [paper()]
    context = report_context(DAY, monitor(language), LISTING, rows, dt.datetime(2025, 12, 26, 1, 0, tzinfo=dt.UTC))
    page = day_page(context)
    text = render(rows, language)
    headings = [label for label, _ in LABELS[language]["fields"]]
    assert [h for h in headings if f"#### {h}\n" in text] == headings
    assert [h for h in headings if f"<h4>{h}</h4>" in page] == headings
    assert ("1. Overview" if language == "en" else "1. 论文概要") == headings[0]


# The U-Net abstract's sentences, as a statement's sources are stored (section, verbatim text).
SPEED = {"section": "Abstract", "text": "Segmentation of a 512x512 image takes less than a second on a recent GPU."}
ISBI = {"section": "4 Experiments", "text": "It outperforms the prior best method on the ISBI challenge."}
STATED = [{"section": "summary", "text": "分割一张512x512的图像不到一秒。", "sources": [SPEED]},
          {"section": "experiments", "text": "在ISBI挑战赛上超过了此前最好的方法。", "sources": [ISBI]},
          {"section": "experiments", "text": "两项结果都来自摘要和实验。", "sources": [SPEED, ISBI]},
          {"section": "tldr", "text": "一种快速的分割网络。", "sources": [SPEED]}]


def stated_paper(**extra):
    return paper(summary=STATED[0]["text"], experiments=STATED[1]["text"] + STATED[2]["text"],
                 tldr=STATED[3]["text"], statements=STATED, **extra)


def test_each_statement_of_the_report_carries_its_sources_as_a_footnote():
    text = render([stated_paper()])
    analysis = text.split("#### 1. 论文概要")[0].rsplit("**一句话总结**", 1)[1]
    assert analysis.startswith(": 一种快速的分割网络。[^paper-1-s1]")  # shown first: numbered first
    assert "分割一张512x512的图像不到一秒。[^paper-1-s2]\n" in text
    assert "在ISBI挑战赛上超过了此前最好的方法。[^paper-1-s3]两项结果都来自摘要和实验。[^paper-1-s4]\n" in text
    notes = dict(re.findall(r"^\[\^(paper-1-s\d)\]: (.*)$", text, flags=re.MULTILINE))
    assert notes["paper-1-s2"] == f"“{md(SPEED['text'])}” (Abstract)"
    assert notes["paper-1-s4"] == f"“{md(SPEED['text'])}” (Abstract) · “{md(ISBI['text'])}” (4 Experiments)"
    assert len(notes) == 4 and text.index("[^paper-1-s4]:") > text.index("#### 5. 实验说明")
    # a section left out in words, or an analysis stored before statements were, is shown as stored, no footnote
    plain = render([paper()])
    assert "[^" not in plain and "The paper proposes STLDM." in plain


def test_the_site_shows_each_statements_sources_on_hover_tap_or_keyboard_focus():
    from publishing.site import day_page

    context = report_context(DAY, monitor("en"), LISTING, [stated_paper()], dt.datetime(2025, 12, 26, 1, 0,
                                                                                          tzinfo=dt.UTC))
    page = day_page(context)
    claims = re.findall(r'<span class="claim" tabindex="0" aria-describedby="([\w-]+)">(.*?)<sup aria-hidden="true">'
                        r'(\d+)</sup><span class="sources" role="tooltip" id="\1">(.*?)</span></span>', page)
    assert [n for _, _, n, _ in claims] == ["1", "2", "3", "4"]
    assert [text for _, text, _, _ in claims] == [STATED[3]["text"], *(s["text"] for s in STATED[:3])]
    assert "“It outperforms the prior best method on the ISBI challenge.” <i>(4 Experiments)</i>" in claims[2][3]
    assert ".claim:focus .sources" in page and "hover, tap or Tab" in page
    assert len({i for i, *_ in claims}) == 4  # ids unique on the page
