"""What to monitor: categories, keywords, watched authors, the interest profile, the report's language
and arXiv's announcement calendar."""

from __future__ import annotations

import datetime as dt

import dagster as dg
from pydantic import Field

from arxiv_domain.announce import ANNOUNCE_TYPES


class MonitorResource(dg.ConfigurableResource):
    """Categories, keywords, watched authors, interest profile, report language and calendar holidays;
    built by `build_resources`."""

    categories: list[str] = Field(description="arXiv categories whose announcements are read (e.g. cs.AI).")
    keywords: list[str] = Field(description=(
        "A paper is kept when its title or abstract contains one (case, hyphen and plural insensitive, on word "
        "boundaries)."))
    language: str = Field("zh", description="Language of the report, site and digests: zh or en.")
    exclude: list[str] = Field([], description=(
        "Negative keywords: a paper matching one is dropped (unless a watched author wrote it)."))
    watch_authors: list[str] = Field([], description=(
        "Papers by these authors are always kept (\"First Last\", case-insensitive)."))
    announce_types: list[str] = Field(list(ANNOUNCE_TYPES), description=(
        "Which announce types to keep: new, cross, replace, replace-cross."))
    keyword_categories: dict[str, list[str]] = Field({}, description=(
        "Restrict a keyword to papers in some categories, e.g. {\"traffic prediction\": [\"cs.LG\"]}."))
    holidays: list[str] = Field([], description=(
        "Announcement days on which arXiv does not announce (YYYY-MM-DD), copied from arXiv's published schedule; "
        "none are guessed."))
    index_grace_hours: float = Field(4.0, description=(
        "The API index can lag the 20:00 ET announcement: a day fetched sooner than this after it is stored but "
        "marked incomplete."))
    interests: list[str] = Field([], description=(
        "What you follow, in plain words: each listing's title and abstract is compared with each (cosine of "
        "embeddings)."))
    examples: list[str] = Field([], description=(
        "arXiv ids of papers like the ones you want (found in the history or the day's listing)."))
    bibtex: str = Field("", description=(
        "A BibTeX export (Zotero, Mendeley) whose entries' titles and abstracts become examples."))
    threshold: float = Field(0.40, description=(
        "A paper with no keyword is kept when its cosine to an interest reaches this, while the history is too "
        "small to calibrate (picked on the real recordings: bench/README.md, relevance)."))
    calibrated_threshold: float = Field(2.2, description=(
        "A paper with no keyword is kept when its calibrated semantic score (how many spreads above the history's "
        "mean similarity to that interest) reaches this; it moves less with the interests' wording than the raw "
        "cosine (picked on rewordings of the default interests: bench/README.md, reader_loop)."))
    profile: str = Field("default", description=(
        "Whose feedback (👍 👎 saved, read) this configuration reads and records: one name per reader."))
    learn_after: int = Field(3, description=(
        "Labels (likes, dislikes, examples) a profile needs before its learned ranking joins the interests; "
        "below it the interests alone decide."))
    learned_threshold: float = Field(0.5, description=(
        "A paper with no keyword is kept when the learned ranking gives it at least this probability of being "
        "one you want."))
    semantic_weight: float = Field(20.0, description=(
        "Report order: keyword score + weight x the learned score once there is one, else the semantic score."))
    weekly_papers: int = Field(10, description=(
        "Papers in the weekly digest: the week's best by the daily ranking."))
    similar_papers: int = Field(3, description=(
        "Earlier papers of the history listed under each report entry (0: none)."))

    @property
    def holiday_dates(self) -> frozenset[dt.date]:
        return frozenset(dt.date.fromisoformat(h) for h in self.holidays)
