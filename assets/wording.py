"""Every word the published outputs use, per report language (zh, en), in one place: the site's
labels, the digest's phrases, and the report's names for places, section kinds, evidence kinds and
full-text statuses. The two Markdown report templates keep their own sentences, but take their analysis
headings from `LABELS` (as the site does), so the report and the site cannot name them differently.
Adding a language: a key in each dict here, and a report_<language>.md.j2."""

REASONS = {"zh": {"weekend": "周末", "holiday": "假日"}, "en": {"weekend": "weekend", "holiday": "holiday"}}

WHERE = {"zh": {"abstract": "摘要", "comment": "备注", "fulltext": "正文"},
         "en": {"abstract": "abstract", "comment": "comments", "fulltext": "full text"}}
KIND_ZH = {"references": "参考文献", "appendix": "附录", "related_work": "相关工作"}
EVIDENCE_KINDS = {"zh": {"contribution": "贡献", "result": "结果", "limitation": "局限"},
                  "en": {"contribution": "contribution", "result": "result", "limitation": "limitation"}}
STATUS_ZH = {
    "ok": "已读取",
    "download_failed": "下载失败",
    "not_pdf": "不是PDF",
    "no_text": "PDF无文字",
    "encrypted": "PDF加密",
    "too_large": "PDF过大",
    "truncated": "PDF下载不完整",
    "extract_failed": "解析失败",
    None: "未读取全文",
}

LABELS = {
    "zh": {"lang": "zh-CN", "home": "首页", "report": "arXiv论文监控报告", "categories": "监控分类",
           "keywords": "关键词",
           "interests": "兴趣描述", "threshold": "语义阈值", "found": "发现论文数", "without_analysis": "没有可用分析",
           "no_announcement": "arXiv 在这一天没有发布公告", "contents": "目录", "title": "标题", "primary": "主分类",
           "matched": "匹配", "code": "源码", "yes": "有",
           "none_matched": "今天没有论文匹配（检查的公告论文数）",
           "update": "更新", "abstract": "原文摘要", "evidence": "原文要点",
           "evidence_note": "以下为论文原文句子（未经翻译和改写），括号内为出处章节。", "analysis": "AI分析",
           "language_note": "注意：模型未使用中文作答，以下分析保留模型的原文。",
           "tldr": "一句话总结",
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
           "link_page": "项目主页", **REASONS["zh"]},
    "en": {"lang": "en", "home": "Home", "report": "arXiv monitor report", "categories": "Categories",
           "keywords": "Keywords", "interests": "Interests", "threshold": "semantic threshold", "found": "Papers found",
           "without_analysis": "without a usable analysis", "no_announcement": "arXiv made no announcement that day",
           "contents": "Contents", "title": "Title", "primary": "Primary", "matched": "Matched", "code": "Code",
           "yes": "yes", "none_matched": "No paper matched today (announced papers checked)", "update": "update",
           "abstract": "Abstract", "evidence": "From the paper",
           "evidence_note": "The paper's own sentences, verbatim, with their section.", "analysis": "AI analysis",
           "language_note": "Note: the model did not answer in the report's language.", "tldr": "TL;DR",
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
           "link_page": "Project page", **REASONS["en"]},
}

DIGEST = {
    "zh": {"subject": "arXiv 监控 {day}：{kept} 篇论文，{analysed} 篇已分析", "updated": "【更新】",
           "no_paper": "今天没有论文匹配。", "no_announcement": "arXiv 这一天没有公告。", "matched": "匹配",
           "left_out": "另有 {n} 篇未列出，见完整报告。", "site": "完整报告", "failed": "（无可用分析）"},
    "en": {"subject": "arXiv monitor {day}: {kept} papers, {analysed} analysed", "updated": "[Updated] ",
           "no_paper": "No paper matched today.", "no_announcement": "arXiv made no announcement that day.",
           "matched": "matched", "left_out": "{n} more papers are not listed here; see the full report.",
           "site": "Full report", "failed": "(no usable analysis)"},
}


def analysis_headings(language: str) -> dict[str, str]:
    """Field -> the heading a reader sees ("研究动机"), for messages that name a section."""
    labels = LABELS.get(language, LABELS["en"])
    names = {field: heading.split(". ", 1)[-1] for heading, field in labels["fields"]}
    return {**names, "tldr": labels["tldr"], "keywords": labels["keywords"]}
