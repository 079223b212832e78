"""Code, data and project links found in any text (abstract, comments, a PDF's text and annotations)."""

from __future__ import annotations

import re

_URL = re.compile(r"""(?:https?://|www\.|(?<![\w.@/])(?=(?:github\.com|gitlab\.com|huggingface\.co)/))[^\s<>"'`{}|\\^\[\]]+""",
                  re.IGNORECASE)
_TRAILING = ".,;:!?)]}>'\"”’»"


def _strip_trailing(url: str) -> str:
    """Drop trailing punctuation; a ')' stays only if it closes a '(' of the URL (Wikipedia-style)."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def normalise_url(url: str) -> str | None:
    url = url.strip()
    glued = re.search(r"(?<=.)https?://", url[8:])  # two URLs with nothing between them
    if glued:
        url = url[: 8 + glued.start()]
    url = re.sub(r"\.[A-Z][a-z]+$", "", url)  # "grobid.Yu": the next sentence glued on by a line join
    url = re.sub(r"/\.?\d{1,2}$", "", _strip_trailing(url))  # ".../.2": a footnote mark
    url = _strip_trailing(url)
    if not re.match(r"https?://", url, re.IGNORECASE):
        url = "https://" + url
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    host = host.lower()
    if not re.fullmatch(r"[a-z0-9.-]+\.[a-z]{2,}(?::\d+)?", host):
        return None
    path = path.rstrip("/")
    if host in ("github.com", "www.github.com", "gitlab.com"):
        host = host.removeprefix("www.")
        path = path.removesuffix(".git")  # removesuffix: rstrip(".git") would eat "pytorch-lightning"'s "g"
    return f"{scheme.lower()}://{host}{slash if path else ''}{path}"


def link_kind(url: str) -> str | None:
    host = url.split("://", 1)[1].split("/", 1)[0]
    parts = url.split("://", 1)[1].split("/")
    if host == "github.com":
        return "github" if len(parts) >= 3 and parts[2] else None  # a repository, not github.com/user
    if host == "gitlab.com":
        return "gitlab" if len(parts) >= 3 and parts[2] else None
    if host in ("huggingface.co", "hf.co"):
        return "huggingface" if len(parts) >= 2 and parts[1] else None
    if host.endswith("github.io") or host.endswith("gitlab.io") or host == "sites.google.com":
        return "project_page"
    if re.search(r"(project|page|website|demo)", url, re.IGNORECASE) and "arxiv.org" not in host:
        return "project_page"
    if "anonymous.4open.science" in host or "zenodo.org" in host or "bitbucket.org" in host:
        return "code"
    return None


_NOT_PROJECT_HOSTS = ("arxiv.org", "doi.org", "dx.doi.org", "creativecommons.org", "orcid.org")


def find_links(text: str | None, found_in: str) -> list[dict]:
    """Code, data and project links in `text`, normalised, each with where it was found. In an
    abstract or comments field any other web address is the authors' pointer: a project page."""
    links, seen = [], set()
    # Undo a line break inside a URL ("github.com/foo/\nbar"): PDFs wrap long links.
    joined = re.sub(r"(?<=[/\-_])\n(?!https?:|www\.)(?=\w)", "", text or "")
    for match in _URL.finditer(joined):
        url = normalise_url(match.group(0))
        kind = url and link_kind(url)
        if url and not kind and found_in in ("abstract", "comment"):
            host = url.split("://", 1)[1].split("/", 1)[0].removeprefix("www.")
            kind = None if host in _NOT_PROJECT_HOSTS else "project_page"
        if kind and url not in seen:
            seen.add(url)
            links.append({"url": url, "kind": kind, "found_in": found_in})
    return links


def merge_links(*groups: list[dict]) -> list[dict]:
    """One entry per URL, keeping the first place it was found (abstract, comment, then full text)."""
    merged: dict[str, dict] = {}
    for group in groups:
        for link in group:
            merged.setdefault(link["url"], link)
    return list(merged.values())
