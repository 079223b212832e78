"""Every word the published outputs use, per report language (zh, en), in one place: the site's
labels, the report's sentences, the digest's phrases, and the names for places, section kinds,
evidence kinds and full-text statuses. One template per output takes them from here; a phrase with a
value in it is a format string ("{n}篇" / "{n}"), so word order and punctuation stay the language's.
Adding a language: a key in each dict here."""

REASONS = {"zh": {"weekend": "周末", "holiday": "假日"}, "en": {"weekend": "weekend", "holiday": "holiday"}}

WHERE = {"zh": {"abstract": "摘要", "comment": "备注", "fulltext": "正文"},
         "en": {"abstract": "abstract", "comment": "comments", "fulltext": "full text"}}
SECTION_KINDS = {"zh": {"references": "参考文献", "appendix": "附录", "related_work": "相关工作"},
                 "en": {"references": "references", "appendix": "appendix", "related_work": "related work"}}
EVIDENCE_KINDS = {"zh": {"contribution": "贡献", "result": "结果", "limitation": "局限"},
                  "en": {"contribution": "contribution", "result": "result", "limitation": "limitation"}}
# Full-text statuses as a reader sees them; English shows the stored status itself.
FULLTEXT_STATUS = {
    "zh": {"ok": "已读取", "download_failed": "下载失败", "not_pdf": "不是PDF", "no_text": "PDF无文字",
           "encrypted": "PDF加密", "too_large": "PDF过大", "truncated": "PDF下载不完整", "extract_failed": "解析失败",
           None: "未读取全文"},
    "en": {None: "not read"},
}

# Where a venue was read, and what the text says of it (arxiv_domain/venue.py).
VENUE_STATUS = {"zh": {"published": "已发表", "accepted": "已录用", "named": "备注所列"},
                "en": {"published": "published", "accepted": "accepted", "named": "named in the comments"}}

LABELS = {
    "zh": {"lang": "zh-CN", "home": "首页", "report": "arXiv论文监控报告", "categories": "监控分类",
           "keywords": "关键词",
           "interests": "兴趣描述", "threshold": "语义阈值", "found": "发现论文数", "without_analysis": "没有可用分析",
           "no_announcement": "arXiv 在这一天没有发布公告", "contents": "目录", "title": "标题", "primary": "主分类",
           "matched": "匹配", "why_here": "入选原因", "code": "源码", "yes": "有",
           "none_matched": "今天没有论文匹配（检查的公告论文数）",
           "update": "更新", "abstract": "原文摘要", "evidence": "原文要点",
           "evidence_note": "以下为论文原文句子（未经翻译和改写），括号内为出处章节。", "analysis": "AI分析",
           "language_note": "注意：模型未使用中文作答，以下分析保留模型的原文。",
           "tldr": "一句话总结",
           "stated_note": "分析的每句话都标有编号：悬停、轻触或用 Tab 键选中一句，即可看到它所依据的论文原文句子。",
           "stated_note_md": "分析中每句话后的脚注，是它所依据的论文原文句子（未经翻译和改写），括号内为出处章节。",
           "sources_heading": "所依据的原文", "sentence_sep": "",
           "fields": [("1. 论文概要", "summary"), ("2. 研究动机", "motivation"),
                      ("3. 核心贡献与创新点", "contributions"), ("4. 方法概述", "method"),
                      ("5. 实验说明", "experiments")],
           "similar": "相似的往期论文", "failed_heading": "分析失败的论文",
           "failed_note": "以下论文匹配了筛选条件，但没有得到可用的 AI 分析；这里只列出原始信息、原文要点和原因。",
           "rejected_reason": "拒绝原因（质量检查）", "failed_reason": "失败原因", "provenance": "arXiv 公告",
           "outcomes": "分析结果", "model": "模型", "generated": "生成于",
           "search": "搜索全部历史（标题、作者、关键词、一句话总结）",
           "search_hint": "例如 VLA 或 forecasting", "results": "条结果", "days": "每日报告", "day": "公告日",
           "papers": "论文", "analysed": "已分析", "failed": "失败", "link_code": "源码地址", "link_model": "模型/数据",
           "link_page": "项目主页", "venue": "发表", "figure": "主图", "weekly": "每周", "trends": "趋势",
           "revision": "修订",
           "figure_note": "论文第 {page} 页，由 PDF 渲染",
           "up": "👍 相关", "down": "👎 不相关", "save": "🔖 收藏", "read": "✓ 已读",
           "saved_title": "阅读清单",
           "saved_empty": "还没有收藏的论文（点 🔖 收藏，或 arxiv-monitor feedback ID save）。",
           "saved_on": "收藏于", "bibtex": "BibTeX 导出：arxiv-monitor saved --bibtex",
           "confirm": "确认", "confirm_question": "记录对这篇论文的标注：", "recorded": "已记录",
           "lab": "实验室", "lab_day": "实验室当日论文", "readers": "读者", "kept_by": "入选读者",
           "lab_note": "任一读者保留的论文（每篇只下载、阅读、分析一次），以及保留它的读者；点读者名打开其当日报告。",
           "reading_lists": "各读者的阅读清单",
           **REASONS["zh"]},
    "en": {"lang": "en", "home": "Home", "report": "arXiv monitor report", "categories": "Categories",
           "keywords": "Keywords", "interests": "Interests", "threshold": "semantic threshold", "found": "Papers found",
           "without_analysis": "without a usable analysis", "no_announcement": "arXiv made no announcement that day",
           "contents": "Contents", "title": "Title", "primary": "Primary", "matched": "Matched", "why_here": "Why here",
           "code": "Code",
           "yes": "yes", "none_matched": "No paper matched today (announced papers checked)", "update": "update",
           "abstract": "Abstract", "evidence": "From the paper",
           "evidence_note": "The paper's own sentences, verbatim, with their section.", "analysis": "AI analysis",
           "language_note": "Note: the model did not answer in the report's language.", "tldr": "TL;DR",
           "stated_note": "Each sentence of the analysis is numbered: hover, tap or Tab to it to see the paper's "
                          "sentences it rests on.",
           "stated_note_md": "The footnote after each sentence of the analysis gives the paper's sentences it rests "
                             "on, verbatim, with their section.",
           "sources_heading": "From the paper", "sentence_sep": " ",
           "fields": [("1. Overview", "summary"), ("2. Motivation", "motivation"),
                      ("3. Contributions", "contributions"), ("4. Method", "method"),
                      ("5. Experiments", "experiments")],
           "similar": "Similar earlier papers", "failed_heading": "Papers without a usable analysis",
           "failed_note": "These papers matched, but no usable AI analysis was produced; only their listing, the "
                          "paper's own key sentences and the reason are shown.",
           "rejected_reason": "Rejected (quality gate)", "failed_reason": "Failed", "provenance": "arXiv announcement",
           "outcomes": "Analyses", "model": "Model", "generated": "generated",
           "search": "Search the whole history (titles, authors, keywords, TL;DR)",
           "search_hint": "e.g. VLA or forecasting",
           "results": "results", "days": "Daily reports", "day": "Announcement day", "papers": "Papers",
           "analysed": "Analysed", "failed": "Failed", "link_code": "Code", "link_model": "Model/data",
           "link_page": "Project page", "venue": "Venue", "figure": "Main figure",
           "weekly": "Weekly", "trends": "Trends", "revision": "Revision",
           "figure_note": "page {page} of the paper, rendered from its PDF",
           "up": "👍 relevant", "down": "👎 not relevant", "save": "🔖 save",
           "read": "✓ read",
           "saved_title": "Reading list",
           "saved_empty": "Nothing saved yet (🔖 save, or arxiv-monitor feedback ID save).",
           "saved_on": "saved", "bibtex": "BibTeX export: arxiv-monitor saved --bibtex",
           "confirm": "Confirm", "confirm_question": "Record this mark for the paper:", "recorded": "Recorded",
           "lab": "Lab", "lab_day": "The lab's papers of the day", "readers": "Readers", "kept_by": "Kept by",
           "lab_note": "Every paper any reader kept (each downloaded, read and analysed once), and who kept it; a "
                       "reader's name opens their report of the day.",
           "reading_lists": "Each reader's reading list",
           **REASONS["en"]},
}

# The Markdown report (publishing/templates/report.md.j2) and the phrases the report's context is built from.
REPORT = {
    "zh": {
        "day": "{d.year}年{d.month}月{d.day}日", "list_separator": "；",
        "title": "arXiv论文监控报告 - {day}",
        "generated_by": "本报告由 arxiv-monitor 自动生成：arXiv 公告日 {day}（美国东部时间），{generated} 生成。",
        "overview": "报告概览", "day_label": "监控日期", "day_value": "{day}（arXiv 公告日，美国东部时间）",
        "categories": "监控分类", "keywords": "关键词", "interests": "兴趣描述",
        "threshold": "（语义阈值 {threshold}）",
        "found": "发现论文数", "found_value": "{n}篇", "found_failed": "（其中 {n} 篇没有可用的 AI 分析，见文末）",
        "no_announcement": "arXiv 在这一天没有发布公告（{reason}），因此没有新论文。",
        "col_title": "标题", "col_primary": "主分类", "col_matched": "匹配关键词", "col_code": "源码", "yes": "有",
        "update_short": " （更新 v{version}）", "update_long": "（更新：v{version}）",
        "all_failed": "今天匹配的 {n} 篇论文都没有得到可用的 AI 分析；"
                      "它们的原始信息、原文要点和原因见文末“分析失败的论文”。",
        "none_matched": "今天没有论文匹配所配置的关键词（共检查 {n} 篇公告论文）。",
        "details": "基本信息", "authors": "作者", "announce_type": "公告类型", "new_version": "（旧论文的新版本）",
        "venue": "发表", "venue_value": "{venue}（{status}）",
        "revision": "修订", "revision_head": "v{a} → v{b}：", "revision_abstract": "摘要改动 {share:.0%}",
        "revision_title": "标题已改", "revision_pages": "页数 {a} → {b}", "revision_venue": "新增：{venue}",
        "revision_new": "新增句子：{sentences}", "revision_minor": "小修订，沿用 v{a} 的分析（未重新调用模型）",
        "revision_minor_new": "小修订",
        "revision_unknown": "v{b}：历史中没有更早的版本，无从比较",
        "revision_major": "大修订（{reasons}），已重新分析", "revision_sep": "；",
        "revision_reasons": {"title": "标题", "abstract": "摘要", "pages": "页数"},
        "announced": "发布日期", "announced_value": "{day}（arXiv 公告日）", "paper_categories": "分类",
        "matched": "匹配", "why_here": "入选原因", "links": "论文链接", "arxiv_link": "arXiv链接",
        "found_in": "（见于{where}）",
        "abstract": "原文摘要", "evidence": "原文要点",
        "evidence_note": "以下为论文原文句子（未经翻译和改写），括号内为出处章节。",
        "evidence_item": "（{section}）：“{text}”",
        "analysis": "AI分析（{basis}；由 {model} 撰写）",
        "language_note": "**注意**：模型未使用中文作答，以下分析保留模型的原文。",
        "grounding": "数字核对：分析中的数字有 {share}% 能在原文中找到。",
        "citations": "章节核对：模型所称依据的章节有 {share}% 确实存在于论文中。",
        "similar": "相似的往期论文", "similar_item": "（{id}，{first}，相似度 {similarity}）",
        "failed_heading": "分析失败的论文",
        "failed_note": "以下论文匹配了关键词，但没有得到可用的 AI 分析（模型出错，或回答未通过质量检查被拒绝）；"
                       "这里只列出原始信息、原文要点和原因，不显示任何分析内容。",
        "rejected": "拒绝原因（质量检查）", "failed_reason": "失败原因", "fulltext": "全文",
        "evidence_intro": "**原文要点**（论文原文句子，括号内为出处章节）：",
        "no_analysis": "没有分析记录",
        "provenance": "生成信息", "announcement": "arXiv 公告",
        "counts": "新提交 {new} · 交叉列出 {cross} · 替换 {replace} · 交叉替换 {replace_cross}"
                  "（共 {total} 篇，提交窗口 {window}）",
        "no_counts": "无（{reason}）", "listing_note": "arXiv 列表说明", "filters": "筛选",
        "filter_keywords": "关键词 {keywords}", "filter_profile": "；兴趣描述 {n} 项，语义阈值 {threshold}",
        "filter_exclude": "；排除 {exclude}", "filter_authors": "；关注作者 {authors}",
        "outcomes": "分析结果", "outcome_counts": "成功 {ok} · 被拒绝 {rejected}", "outcome_failed": " · 失败 {failed}",
        "reasons": "（{reasons}）", "model": "模型", "prompt_version": "提示词版本", "usage": "用量",
        "usage_value": "输入 {tokens_in} tokens，输出 {tokens_out} tokens，{cached} 篇来自缓存，LLM 用时 {seconds} 秒",
        "basis_fulltext": "基于论文正文", "basis_trimmed": "基于论文正文（为适应模型上下文有删节{dropped}）",
        "basis_dropped": "，略去{sections}", "basis_separator": "、",
        "basis_abstract": "基于摘要（{status}，未能使用全文）",
        "why_keywords": "标题或摘要含关键词{keywords}", "why_keyword": "「{keyword}」", "why_keyword_sep": "",
        "why_authors": "作者中有你关注的 {authors}", "why_author_sep": "、",
        "why_semantic": "内容接近你的兴趣「{closest}」（语义相似度 {score:.2f}）",
        "why_learned": "像你赞过的《{liked}》（按你的标注学到的相似度 {score:.2f}）", "why_sep": "；",
        "why_short_semantic": "语义 {score:.2f}", "why_short_learned": "像你赞过的",
    },
    "en": {
        "day": "{d:%A %d %B %Y}", "list_separator": "; ",
        "title": "arXiv monitoring report - {day}",
        "generated_by": "Generated by arxiv-monitor for the arXiv announcement of {day} (US Eastern time), at "
                        "{generated}.",
        "overview": "Overview", "day_label": "Announcement day", "day_value": "{day} (US Eastern time)",
        "categories": "Categories", "keywords": "Keywords", "interests": "Interests",
        "threshold": " (semantic threshold {threshold})",
        "found": "Papers found", "found_value": "{n}", "found_failed": " ({n} of them without a usable AI analysis, "
                                                                     "listed at the end)",
        "no_announcement": "arXiv did not announce on this day ({reason}), so there are no new papers.",
        "col_title": "Title", "col_primary": "Primary", "col_matched": "Matched", "col_code": "Code", "yes": "yes",
        "update_short": " (update v{version})", "update_long": " (update: v{version})",
        "all_failed": "None of today's {n} matching papers got a usable AI analysis; their listing, their own key "
                      "sentences and the reason are at the end (\"Papers whose analysis failed\").",
        "none_matched": "No paper matched the configured keywords today ({n} announced papers checked).",
        "details": "Details", "authors": "Authors", "announce_type": "Announce type",
        "venue": "Venue", "venue_value": "{venue} ({status})",
        "revision": "Revision", "revision_head": "v{a} → v{b}: ",
        "revision_abstract": "{share:.0%} of the abstract changed",
        "revision_title": "title changed", "revision_pages": "pages {a} → {b}", "revision_venue": "new: {venue}",
        "revision_new": "new sentences: {sentences}",
        "revision_minor": "a minor revision: the analysis of v{a} still applies (the model was not asked again)",
        "revision_minor_new": "a minor revision",
        "revision_unknown": "v{b}: no earlier version in the history to compare it with",
        "revision_major": "a major revision ({reasons}): analysed again",
        "revision_sep": "; ", "revision_reasons": {"title": "title", "abstract": "abstract", "pages": "pages"},
        "new_version": " (a new version of an earlier paper)", "announced": "Announced", "announced_value": "{day}",
        "paper_categories": "Categories", "matched": "Matched", "why_here": "Why here", "links": "Links",
        "arxiv_link": "arXiv",
        "found_in": " (found in the {where})", "abstract": "Abstract", "evidence": "From the paper",
        "evidence_note": "Sentences quoted verbatim from the paper, with the section they come from.",
        "evidence_item": " ({section}): “{text}”",
        "analysis": "AI analysis ({basis}; written by {model})",
        "language_note": "**Note**: the model did not answer in English; its text is kept as written.",
        "grounding": "Number check: {share}% of the numbers in this analysis appear in the source text.",
        "citations": "Section check: {share}% of the sections the model says it drew on exist in the paper.",
        "similar": "Similar earlier papers", "similar_item": " ({id}, {first}, similarity {similarity})",
        "failed_heading": "Papers whose analysis failed",
        "failed_note": "These papers matched, but no usable AI analysis was produced (the model failed, or its answer "
                       "was rejected by a quality gate); only their listing, the paper's own key sentences and the "
                       "reason are shown.",
        "rejected": "Rejected by a quality gate", "failed_reason": "Reason", "fulltext": "Full text",
        "evidence_intro": "**From the paper** (quoted verbatim, with the section):",
        "no_analysis": "no analysis was stored",
        "provenance": "Provenance", "announcement": "arXiv announcement",
        "counts": "new {new} · cross {cross} · replace {replace} · replace-cross {replace_cross} ({total} in all; "
                  "submissions {window})",
        "no_counts": "none ({reason})", "listing_note": "arXiv listing note", "filters": "Filters",
        "filter_keywords": "keywords {keywords}",
        "filter_profile": "; {n} profile items, semantic threshold {threshold}",
        "filter_exclude": "; excluded {exclude}", "filter_authors": "; watched authors {authors}",
        "outcomes": "Analyses", "outcome_counts": "ok {ok} · rejected {rejected}",
        "outcome_failed": " · failed {failed}",
        "reasons": " ({reasons})", "model": "Model", "prompt_version": "prompt version", "usage": "Usage",
        "usage_value": "{tokens_in} tokens in, {tokens_out} tokens out, {cached} from the cache, LLM time {seconds} s",
        "basis_fulltext": "from the full text", "basis_trimmed": "from the full text, shortened to fit the model's "
                                                                 "context{dropped}",
        "basis_dropped": "; left out: {sections}", "basis_separator": ", ",
        "basis_abstract": "from the abstract only (full text: {status})",
        "why_keywords": "its title or abstract mentions {keywords}", "why_keyword": "“{keyword}”",
        "why_keyword_sep": ", ", "why_authors": "by {authors}, whom you follow", "why_author_sep": ", ",
        "why_semantic": "close to your interest “{closest}” (semantic similarity {score:.2f})",
        "why_learned": "like “{liked}”, a paper you liked (similarity learned from your marks {score:.2f})",
        "why_sep": "; ", "why_short_semantic": "semantic {score:.2f}", "why_short_learned": "like a paper you liked",
    },
}

DIGEST = {
    "zh": {"subject": "arXiv 监控 {day}：{kept} 篇论文，{analysed} 篇已分析", "updated": "【更新】",
           "no_paper": "今天没有论文匹配。", "no_announcement": "arXiv 这一天没有公告。", "matched": "匹配",
           "left_out": "另有 {n} 篇未列出，见完整报告。", "site": "完整报告", "failed": "（无可用分析）",
           "mark": "标注"},
    "en": {"subject": "arXiv monitor {day}: {kept} papers, {analysed} analysed", "updated": "[Updated] ",
           "no_paper": "No paper matched today.", "no_announcement": "arXiv made no announcement that day.",
           "matched": "matched", "left_out": "{n} more papers are not listed here; see the full report.",
           "site": "Full report", "failed": "(no usable analysis)", "mark": "Mark"},
}


# The weekly digest: its page, the trends page, the weeks' list and its message (publishing/weekly.py).
WEEKLY = {
    "zh": {"title": "arXiv 每周摘要：{week} 至 {end}", "weeks": "每周摘要", "trends": "趋势",
           "subject": "arXiv 每周摘要（{week} 当周）：{kept} 篇论文，精选 {shown} 篇",
           "top": "本周最相关的论文", "counts": "本周统计", "keyword": "关键词", "interest": "兴趣",
           "category": "主分类（全部公告）", "papers": "论文数", "rising": "上升的主题",
           "rising_note": "本周公告中出现某词的论文占比，与前四周的平均占比相比（增长倍数）。",
           "no_rising": "没有明显上升的主题（或没有更早的几周可供比较）。", "term": "词", "growth": "增长倍数",
           "days": "本周的每日报告", "announced": "公告日", "none": "本周没有论文入选。",
           "listings": "本周首次公告的论文数", "kept": "入选论文数", "chart_week": "近几周各关键词入选论文数",
           "chart_keyword": "每周入选论文数（按关键词）", "chart_interest": "每周入选论文数（按兴趣）",
           "chart_category": "每周公告论文数（按主分类）", "week": "周", "shown": "精选"},
    "en": {"title": "arXiv weekly digest: {week} to {end}", "weeks": "Weekly digests", "trends": "Trends",
           "subject": "arXiv weekly digest (week of {week}): {kept} papers, the best {shown}",
           "top": "The week's most relevant papers", "counts": "The week in numbers", "keyword": "Keyword",
           "interest": "Interest", "category": "Primary category (all listings)", "papers": "Papers",
           "rising": "Rising topics",
           "rising_note": "Share of the week's listings using a term, against its mean share over the four weeks "
                          "before (growth).",
           "no_rising": "No topic rose clearly (or no earlier weeks to compare with).", "term": "Term",
           "growth": "Growth", "days": "This week's daily reports", "announced": "Announced",
           "none": "No paper was kept this week.", "listings": "First-version listings this week",
           "kept": "Papers kept", "chart_week": "Papers kept per keyword, recent weeks",
           "chart_keyword": "Papers kept per week, by keyword", "chart_interest": "Papers kept per week, by interest",
           "chart_category": "Listings per week, by primary category", "week": "Week", "shown": "In the digest"},
}


def analysis_headings(language: str) -> dict[str, str]:
    """Field -> the heading a reader sees ("研究动机"), for messages that name a section."""
    labels = LABELS.get(language, LABELS["en"])
    names = {field: heading.split(". ", 1)[-1] for heading, field in labels["fields"]}
    return {**names, "tldr": labels["tldr"], "keywords": labels["keywords"]}
