"""The readers: what they monitor and how they rank it, one typed section per `[monitor]`, `[filter]`,
`[calendar]`, `[relevance]` and `[weekly]` table, and a lab's `[[readers]]`; the assets hand each concern to the
library as plain values (`members()`, `keep_rule()`, a section itself).

A file without `[[readers]]` is one reader, named by `[relevance].profile`. With `[[readers]]`, each table is a
member of a lab with their own keywords, interests, watched authors, language and channels; what the lab shares
(the categories, the announce types, the thresholds) stays in the sections."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import dagster as dg
import pydantic
from pydantic import AfterValidator, BeforeValidator, ConfigDict, StringConstraints, model_validator

from arxiv_domain.announce import ANNOUNCE_TYPES
from arxiv_domain.bibtex import BibtexError, read_bibtex
from arxiv_domain.ids import ARXIV_ID
from arxiv_domain.taxonomy import unknown_categories
from publishing.report import Monitored
from ranking.closeness import Interests
from ranking.keywords import FilterRules
from ranking.relevance import KeepRule
from resources.fields import LANGUAGES, IsoDate, Language, one_of, setting


def arxiv_ids(examples: list[str]) -> list[str]:
    bad = [e for e in examples if not ARXIV_ID.match(e.strip())]
    if bad:
        raise ValueError(f"not arXiv ids: {bad} (write 2512.20014 or math/0601001, without version)")
    return examples


def readable_bibtex(bibtex: str) -> str:
    if bibtex:
        try:
            read_bibtex(Path(bibtex).expanduser())
        except BibtexError as exc:
            raise ValueError(str(exc)) from None
    return bibtex


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
    keywords: list[str] = setting("monitor", "ARXIV_MONITOR_KEYWORDS", [], description=(
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
    examples: Annotated[list[str], AfterValidator(arxiv_ids)] = setting(
        "relevance", "ARXIV_MONITOR_EXAMPLES", [],
        "arXiv ids of papers like the ones you want (found in the history or the day's listing).")
    bibtex: Annotated[str, AfterValidator(readable_bibtex)] = setting("relevance", "ARXIV_MONITOR_BIBTEX", "", (
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


class WeeklySection(dg.Config):
    """[weekly]"""

    weekly_papers: int = setting("weekly", "ARXIV_MONITOR_WEEKLY_PAPERS", 10, (
        "Papers in the weekly digest: the week's best by the daily ranking."), ge=1)


Slug = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")]
# What a single reader's file says in the sections, which a lab's readers say in their own tables.
OWN_KEYS = {"keywords": "monitor", "exclude": "filter", "watch_authors": "filter", "interests": "relevance",
            "examples": "relevance", "bibtex": "relevance"}


def keeps_something(keywords: list[str], watch_authors: list[str], interests: list[str], examples: list[str],
                    bibtex: str) -> bool:
    return bool([k for k in keywords if k.strip()] or watch_authors or interests or examples or bibtex)


def known_language(language: str) -> str:
    if language and language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    return language


class ReaderConfig(dg.Config):
    """One `[[readers]]` table: a member of a lab."""

    model_config = ConfigDict(extra="forbid")
    name: Slug  # letters, digits and '-': their pages' folder and their marks' owner
    display_name: str = ""
    keywords: list[str] = []
    interests: list[str] = []
    exclude: list[str] = []
    watch_authors: list[str] = []
    examples: Annotated[list[str], AfterValidator(arxiv_ids)] = []
    bibtex: Annotated[str, AfterValidator(readable_bibtex)] = ""
    language: Annotated[str, AfterValidator(known_language)] = ""  # "": [monitor].language
    channels: list[str] = []  # names of [[delivery.channels]]; none: their digest goes nowhere

    @model_validator(mode="after")
    def _keeps_something(self) -> ReaderConfig:
        if not keeps_something(self.keywords, self.watch_authors, self.interests, self.examples, self.bibtex):
            raise ValueError("no keywords, watch_authors, interests, examples or bibtex: nothing would ever be kept")
        return self


def table_problem(error: dict) -> str:
    where = str(error["loc"][0]) if error["loc"] else ""
    if error["type"] == "string_pattern_mismatch":
        return f"{where}: letters, digits and '-' only"
    if error["type"] == "extra_forbidden":
        return f"unknown key {where!r}; a reader's keys: {', '.join(ReaderConfig.model_fields)}"
    return (f"{where}: " if where and where != "language" else "") + error["msg"].removeprefix("Value error, ")


def checked_readers(tables: list) -> list:
    """The `[[readers]]` tables, each checked (an error names the reader); the names must differ."""
    if not isinstance(tables, list) or not all(isinstance(t, dict | ReaderConfig) for t in tables):
        raise ValueError("[[readers]]: expected a list of reader tables")
    checked = []
    for position, table in enumerate(tables, start=1):
        if isinstance(table, ReaderConfig):
            checked.append(table)
            continue
        where = f"[[readers]] #{position}" + (f" ({table['name']!r})" if isinstance(table.get("name"), str) else "")
        try:
            checked.append(ReaderConfig.model_validate(table))
        except pydantic.ValidationError as exc:
            raise ValueError(f"{where}: {table_problem(exc.errors()[0])}") from None
    names = [t.name for t in checked]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"[[readers]]: reader names must differ; given twice: {', '.join(twice)}")
    return checked


@dataclass(frozen=True)
class Member:
    """One reader as the assets use them: their own rules, profile, language, channels and folder."""

    name: str
    display_name: str
    language: str
    channels: tuple[str, ...] | None  # None: every configured channel (a single reader's)
    folder: str  # where their report and pages go under reports/ and site/: "" for a single reader
    rules: FilterRules
    interests: Interests
    monitored: Monitored


class ReaderResource(dg.ConfigurableResource):
    """The readers' monitoring and ranking, a section per concern; built by `build_resources`."""

    monitor: MonitorSection
    filter: FilterSection = FilterSection()
    calendar: CalendarSection = CalendarSection()
    relevance: RelevanceSection = RelevanceSection()
    weekly: WeeklySection = WeeklySection()
    readers: Annotated[list[ReaderConfig], BeforeValidator(checked_readers)] = setting(
        "readers", "ARXIV_MONITOR_READERS", [], (
            "A lab's readers, one [[readers]] table each (name, display_name, keywords, interests, exclude, "
            "watch_authors, examples, bibtex, language, channels); the listing, full texts and analyses are shared. "
            "None: the file is one reader, named by [relevance].profile."))

    @model_validator(mode="after")
    def _keeps_something(self) -> ReaderResource:
        r = self.relevance
        if self.readers:
            own = {"keywords": self.monitor.keywords, "exclude": self.filter.exclude,
                   "watch_authors": self.filter.watch_authors, "interests": r.interests, "examples": r.examples,
                   "bibtex": r.bibtex}
            given = [f"[{OWN_KEYS[k]}].{k}" for k, v in own.items() if v]
            if given:
                raise ValueError(f"{', '.join(given)}: a single reader's keys; with [[readers]], each reader's "
                                 "table says them")
        elif not keeps_something(self.monitor.keywords, self.filter.watch_authors, r.interests, r.examples, r.bibtex):
            raise ValueError("no keywords, no watched authors and no interests: nothing would ever be kept "
                             "([monitor].keywords / ARXIV_MONITOR_KEYWORDS, [relevance].interests / "
                             "ARXIV_MONITOR_INTERESTS)")
        return self

    def members(self) -> list[Member]:
        """Every reader, in the configuration's order; without `[[readers]]`, the file's one reader (named by
        [relevance].profile, every channel theirs, their pages at the top of the site)."""
        if self.readers:
            return [self._member(t, tuple(t.channels), f"readers/{t.name}") for t in self.readers]
        m, f, r = self.monitor, self.filter, self.relevance
        single = ReaderConfig.model_construct(name=r.profile, display_name="", keywords=m.keywords,
                                              interests=r.interests, exclude=f.exclude, watch_authors=f.watch_authors,
                                              examples=r.examples, bibtex=r.bibtex, language="", channels=[])
        return [self._member(single, None, "")]

    def member(self, name: str) -> Member:
        found = {m.name: m for m in self.members()}
        if name not in found:
            raise KeyError(f"no reader named {name!r}; readers: {', '.join(found)}")
        return found[name]

    def _member(self, t: ReaderConfig, channels: tuple[str, ...] | None, folder: str) -> Member:
        m, f, r = self.monitor, self.filter, self.relevance
        language = t.language or m.language
        return Member(t.name, t.display_name or t.name, language, channels, folder,
                      FilterRules.build(t.keywords, t.exclude, t.watch_authors, f.announce_types,
                                        f.keyword_categories),
                      Interests(tuple(t.interests), tuple(t.examples), t.bibtex, t.name, r.learn_after),
                      Monitored(language, tuple(m.categories), tuple(t.keywords), tuple(t.exclude),
                                tuple(t.watch_authors), (*t.interests, *t.examples, *([t.bibtex] if t.bibtex else [])),
                                r.threshold, self.calendar.holiday_dates))

    def monitored(self) -> Monitored:
        """What the first reader's report says was monitored."""
        return self.members()[0].monitored

    def keep_rule(self) -> KeepRule:
        r = self.relevance
        return KeepRule(r.threshold, r.calibrated_threshold, r.learned_threshold, r.semantic_weight,
                        r.updates_last)
