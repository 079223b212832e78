"""Abbreviations a paper defines, "Stage-Aware Reinforcement (STARE)", found with the Schwartz–Hearst
rule (Pacific Symposium on Biocomputing 2003): each letter of the short form, last to first, occurs in the
words before the parenthesis, and its first letter starts one of them."""
from __future__ import annotations

import re

# "(STARE)", "(VLA)", "(STA-TPO)", "(MoE)": two to ten characters, a capital first, at least two capitals.
_SHORT = re.compile(r"\(([A-Z][A-Za-z0-9-]{1,9})s?\)")
_CLAUSE_END = re.compile(r"[.;:!?()\[\]]|,\s")


def _long_form(short: str, before: str) -> str | None:
    letters = [c.lower() for c in short if c.isalnum()]
    at = len(before) - 1
    for n, letter in enumerate(reversed(letters)):
        first = n == len(letters) - 1
        while at >= 0 and (before[at].lower() != letter or (first and at > 0 and before[at - 1].isalnum())):
            at -= 1
        if at < 0:
            return None
        at -= 1
    return before[at + 1:].strip()


def _by_initials(short: str, words: list[str]) -> str | None:
    """The last words whose initials spell the short form ("Proximal Policy Optimization (PPO)", where the
    letter rule alone would stop at "Policy Optimization"); parts of hyphenated words count as words."""
    letters = "".join(c for c in short if c.isupper() or c.isdigit()).lower()
    for count in range(1, len(words) + 1):
        tail = words[-count:]
        parts = [p for w in tail for p in re.split(r"-", w) if p]
        initials = "".join(p[0].lower() for p in parts if p[0].isalnum())
        if initials == letters:
            return " ".join(tail)
        if len(initials) > len(letters):
            return None
    return None


def defined_acronyms(text: str) -> dict[str, str]:
    """{short form: long form} in order of first definition. The long form is the last words before the
    parenthesis whose initials spell the short form, else the Schwartz–Hearst letter match within
    len(short) + 5 words; it must be longer than the short form and not contain it."""
    found: dict[str, str] = {}
    for match in _SHORT.finditer(text or ""):
        short = match.group(1)
        if sum(c.isupper() for c in short) < 2 or short in found:
            continue
        before = _CLAUSE_END.split(text[: match.start()])[-1].rstrip()
        words = before.split()[-(len(short) + 5):]
        long = _by_initials(short, words) or _long_form(short, " ".join(words))
        if long and len(long) > len(short) + 2 and short.lower() not in long.lower().split():
            found[short] = long
    return found
