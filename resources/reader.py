"""The reader: what they monitor and how they rank it, one typed section per `[monitor]`, `[filter]`,
`[calendar]`, `[relevance]` and `[weekly]` table; the assets hand each concern to the library as plain values
(`rules()`, `interests()`, `keep_rule()`, a section itself)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import dagster as dg
from pydantic import AfterValidator, field_validator, model_validator

from arxiv_domain.announce import ANNOUNCE_TYPES
from arxiv_domain.bibtex import BibtexError, read_bibtex
from arxiv_domain.ids import ARXIV_ID
from arxiv_domain.taxonomy import unknown_categories
from publishing.report import Monitored
from ranking.closeness import Interests
from ranking.keywords import FilterRules
from ranking.relevance import KeepRule
from resources.fields import IsoDate, Language, one_of, setting


def known_categories(categories: list[str]) -> list[str]:
    bad = unknown_categories(list(categories))
    if bad:
        raise ValueError(f"unknown arXiv categor{'y' if len(bad) == 1 else 'ies'}: {', '.join(bad)}")
    return categories


class MonitorSection(dg.Config):
    """[monitor]"""

    categories: Annotated[list[str], AfterValidator(known_categories)] = setting(
        "monitor", "ARXIV_MONITOR_CATEGORIES", description="arXiv categories whose announcements are read "
        "(e.g. cs.AI).", min_length=1)
    keywords: list[str] = setting("monitor", "ARXIV_MONITOR_KEYWORDS", description=(
        "A paper is kept when its title or abstract contains one (case, hyphen and plural insensitive, on word "
        "boundaries)."))
    language: Language = setting("monitor", "ARXIV_MONITOR_LANGUAGE", "zh",
                                 "Language of the report, site and digests: zh or en.")


class FilterSection(dg.Config):
    """[filter]"""

    exclude: list[str] = setting("filter", "ARXIV_MONITOR_EXCLUDE", [], (
        "Negative keywords: a paper matching one is dropped (unless a watched author wrote it)."))
    watch_authors: list[str] = setting("filter", "ARXIV_MONITOR_WATCH_AUTHORS", [], (
        "Papers by these authors are always kept (\"First Last\", case-insensitive)."))
    announce_types: list[one_of(*ANNOUNCE_TYPES)] = setting("filter", "ARXIV_MONITOR_ANNOUNCE_TYPES",
                                                            list(ANNOUNCE_TYPES),
                                                            "Which announce types to keep: new, cross, replace, "
                                                            "replace-cross.")
    keyword_categories: dict[str, Annotated[list[str], AfterValidator(known_categories)]] = setting(
        "filter", "ARXIV_MONITOR_KEYWORD_CATEGORIES", {},
        "Restrict a keyword to papers in some categories, e.g. {\"traffic prediction\": [\"cs.LG\"]}.")


class CalendarSection(dg.Config):
    """[calendar]"""

    start_date: IsoDate = setting("calendar", "ARXIV_MONITOR_START_DATE", "2025-12-01",
                                  "The first partition (announcement day) the Dagster UI shows.")
    holidays: list[IsoDate] = setting("calendar", "ARXIV_MONITOR_HOLIDAYS", [], (
        "Announcement days on which arXiv does not announce (YYYY-MM-DD), copied from arXiv's published schedule; "
        "none are guessed."))
    index_grace_hours: float = setting("calendar", "ARXIV_MONITOR_INDEX_GRACE_HOURS", 4.0, (
        "The API index can lag the 20:00 ET announcement: a day fetched sooner than this after it is stored but "
        "marked incomplete."), ge=0)

    @property
    def holiday_dates(self) -> frozenset[dt.date]:
        return frozenset(dt.date.fromisoformat(h) for h in self.holidays)


class RelevanceSection(dg.Config):
    """[relevance]"""

    interests: list[str] = setting("relevance", "ARXIV_MONITOR_INTERESTS", [], (
        "What you follow, in plain words: each listing's title and abstract is compared with each (cosine of "
        "embeddings)."))
    examples: list[str] = setting("relevance", "ARXIV_MONITOR_EXAMPLES", [], (
        "arXiv ids of papers like the ones you want (found in the history or the day's listing)."))
    bibtex: str = setting("relevance", "ARXIV_MONITOR_BIBTEX", "", (
        "A BibTeX export (Zotero, Mendeley) whose entries' titles and abstracts become examples."))
    threshold: float = setting("relevance", "ARXIV_MONITOR_RELEVANCE_THRESHOLD", 0.40, (
        "A paper with no keyword is kept when its cosine to an interest reaches this, while the history is too "
        "small to calibrate (picked on the real recordings: bench/README.md, relevance)."), gt=0, lt=1)
    calibrated_threshold: float = setting("relevance", "ARXIV_MONITOR_CALIBRATED_THRESHOLD", 2.2, (
        "A paper with no keyword is kept when its calibrated semantic score (how many spreads above the history's "
        "mean similarity to that interest) reaches this; it moves less with the interests' wording than the raw "
        "cosine (picked on rewordings of the default interests: bench/README.md, reader_loop)."))
    profile: str = setting("relevance", "ARXIV_MONITOR_PROFILE", "default", (
        "Whose feedback (👍 👎 saved, read) this configuration reads and records: one name per reader."))
    learn_after: int = setting("relevance", "ARXIV_MONITOR_LEARN_AFTER", 3, (
        "Labels (likes, dislikes, examples) a profile needs before its learned ranking joins the interests; "
        "below it the interests alone decide."), ge=1)
    learned_threshold: float = setting("relevance", "ARXIV_MONITOR_LEARNED_THRESHOLD", 0.5, (
        "A paper with no keyword is kept when the learned ranking gives it at least this probability of being "
        "one you want."), ge=0, le=1)
    semantic_weight: float = setting("relevance", "ARXIV_MONITOR_SEMANTIC_WEIGHT", 20.0, (
        "Report order: keyword score + weight x the learned score once there is one, else the semantic score."),
        ge=0)
    similar_papers: int = setting("relevance", "ARXIV_MONITOR_SIMILAR_PAPERS", 3, (
        "Earlier papers of the history listed under each report entry (0: none)."), ge=0)
    updates_last: bool = setting("relevance", "ARXIV_MONITOR_UPDATES_LAST", True, (
        "Report order (the day's and the week's): new papers first, then new versions of papers announced "
        "earlier, each by score; false: by score alone."))

    @field_validator("examples")
    @classmethod
    def _arxiv_ids(cls, examples: list[str]) -> list[str]:
        bad = [e for e in examples if not ARXIV_ID.match(e.strip())]
        if bad:
            raise ValueError(f"not arXiv ids: {bad} (write 2512.20014 or math/0601001, without version)")
        return examples

    @field_validator("bibtex")
    @classmethod
    def _readable(cls, bibtex: str) -> str:
        if bibtex:
            try:
                read_bibtex(Path(bibtex).expanduser())
            except BibtexError as exc:
                raise ValueError(str(exc)) from None
        return bibtex


class WeeklySection(dg.Config):
    """[weekly]"""

    weekly_papers: int = setting("weekly", "ARXIV_MONITOR_WEEKLY_PAPERS", 10, (
        "Papers in the weekly digest: the week's best by the daily ranking."), ge=1)


class ReaderResource(dg.ConfigurableResource):
    """One reader's monitoring and ranking, a section per concern; built by `build_resources`."""

    monitor: MonitorSection
    filter: FilterSection = FilterSection()
    calendar: CalendarSection = CalendarSection()
    relevance: RelevanceSection = RelevanceSection()
    weekly: WeeklySection = WeeklySection()

    @model_validator(mode="after")
    def _keeps_something(self) -> ReaderResource:
        r = self.relevance
        if not [k for k in self.monitor.keywords if k.strip()] and not self.filter.watch_authors and not (
                r.interests or r.examples or r.bibtex):
            raise ValueError("no keywords, no watched authors and no interests: nothing would ever be kept "
                             "([monitor].keywords / ARXIV_MONITOR_KEYWORDS, [relevance].interests / "
                             "ARXIV_MONITOR_INTERESTS)")
        return self

    @property
    def language(self) -> str:
        return self.monitor.language

    def monitored(self) -> Monitored:
        """What the report says was monitored."""
        m, f, r = self.monitor, self.filter, self.relevance
        return Monitored(m.language, tuple(m.categories), tuple(m.keywords), tuple(f.exclude), tuple(f.watch_authors),
                         (*r.interests, *r.examples, *([r.bibtex] if r.bibtex else [])), r.threshold,
                         self.calendar.holiday_dates)

    def rules(self) -> FilterRules:
        f = self.filter
        return FilterRules.build(self.monitor.keywords, f.exclude, f.watch_authors, f.announce_types,
                                 f.keyword_categories)

    def interests(self) -> Interests:
        r = self.relevance
        return Interests(tuple(r.interests), tuple(r.examples), r.bibtex, r.profile, r.learn_after)

    def keep_rule(self) -> KeepRule:
        r = self.relevance
        return KeepRule(r.threshold, r.calibrated_threshold, r.learned_threshold, r.semantic_weight,
                        r.updates_last)
