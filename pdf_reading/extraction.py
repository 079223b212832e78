"""Full text and sections from a PDF with PyMuPDF (the links in it: pdf_links; many PDFs at once: pdf_workers).

Why plain text from `get_text("dict")` rather than pymupdf4llm Markdown: the dict gives the fonts
(size, bold) that find headings and the block boxes that put two-column pages in reading order, at
about ten times Markdown's speed (bench/README.md), and the LLM gets prose without markup tokens.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from pdf_reading.links import find_links, merge_links

STATUSES = ("ok", "no_text", "not_pdf", "encrypted", "too_large", "truncated", "download_failed", "extract_failed")
SECTION_KINDS = ("front", "abstract", "introduction", "related_work", "method", "experiments", "results",
                 "conclusion", "references", "appendix", "other")
MIN_CHARS_PER_PAGE = 250  # less than this on average: an image-only (scanned) PDF

_NUMBERED = re.compile(r"^(?P<num>(?:\d{1,2}(?:\.\d{1,2}){0,3}|[IVX]{1,5}|[A-H](?:\.\d{1,2}){0,2}))\.?\s+"
                       r"(?P<title>[A-Z][^\n]{1,90})$")
_KNOWN = re.compile(
    r"^(abstract|introduction|related work|related works|background|preliminaries|method|methods|methodology|"
    r"approach|our approach|model architecture|experiments?|experimental (?:setup|results|evaluation)|"
    r"evaluation|results|results and discussion|discussion|analysis|conclusions?|conclusion and future work|"
    r"conclusions and future work|limitations|future work|acknowledge?ments?|references|bibliography|"
    r"appendix|appendices|supplementary material|keywords|ccs concepts|index terms|acm reference format:?)$",
    re.IGNORECASE)
# Bold faces whose flags do not say so: "NimbusRomNo9L-Medi" (sometimes cut to "-M"), cmbx, "-Bold".
_BOLD_FONT = re.compile(r"bold|medi|black|heavy|demi|cmbx|-m$|-b$|-bx", re.IGNORECASE)
_KIND_WORDS = [
    ("front", ("reference format", "keywords", "ccs concepts", "index terms")),
    ("references", ("reference", "bibliograph")),
    ("appendix", ("appendix", "appendices", "supplementary")),
    ("abstract", ("abstract",)),
    ("introduction", ("introduction",)),
    ("related_work", ("related work", "background", "prior work", "preliminar", "literature")),
    ("conclusion", ("conclusion", "future work", "concluding", "summary", "limitation")),
    ("experiments", ("experiment", "evaluation", "setup", "benchmark", "implementation")),
    ("results", ("result", "discussion", "analysis", "ablation", "findings")),
    ("method", ("method", "approach", "model", "architecture", "framework", "algorithm", "design", "system",
                "training", "proposed", "formulation")),
]


@dataclass
class Section:
    title: str
    kind: str
    text: str


@dataclass
class Extraction:
    status: str
    pages: int = 0
    chars: int = 0
    text: str = ""
    sections: list[Section] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    error: str | None = None
    title: str | None = None
    headings: list[str] = field(default_factory=list)  # every heading found, subsections included

    def to_json(self, with_text: bool = False) -> dict:
        data = {"status": self.status, "pages": self.pages, "chars": self.chars,
                "sections": [asdict(s) for s in self.sections], "links": self.links, "error": self.error}
        if with_text:
            data["text"] = self.text
        return data



def classify_section(title: str) -> str:
    lowered = re.sub(_NUMBERED.pattern.split("(?P<title>")[0].lstrip("^"), "", title.lower()).strip() or title.lower()
    for kind, words in _KIND_WORDS:
        if any(w in lowered for w in words):
            return kind
    return "other"


_LAST_WORD = re.compile(r"([^\s-]+)-$")


def _dehyphenate(lines: list[str]) -> str:
    """Lines joined with a space; a word broken by a hyphen at a line end ("signi-" "ficantly") joined
    again. A compound keeps its hyphen ("English-" "to-German", "Transformer-" "based"): the part after it
    holds a hyphen of its own, or the two parts read as words of their own rather than as one word
    (no fewer tokens joined than apart, in an English vocabulary)."""
    text = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        before = _LAST_WORD.search(text)
        if before and line[:1].islower():
            following = line.split(" ", 1)[0].strip(".,;:()")
            compound = "-" in following or not _reads_as_one_word(before.group(1), following)
            text = text + line if compound else text[:-1] + line
        else:
            text = f"{text} {line}" if text else line
    return text


def _reads_as_one_word(head: str, tail: str) -> bool:
    count = lambda text: len(_vocabulary().encode(text).ids)  # noqa: E731
    return count(head + tail) < count(f"{head} {tail}")


# Fonts without a Unicode map put ligatures in the Private Use Area, a different code per PDF (U-Net's
# U+E001 is "fi", Attention's U+E000 is). Each such code found inside words is read as the ligature that
# spells the document's words in the fewest tokens of an English vocabulary (wordllama's tokenizer).
_LIGATURES = ("fi", "fl", "ff", "ffi", "ffl")
_PRIVATE_IN_WORD = re.compile(r"[A-Za-z]*[\ue000-\uf8ff][A-Za-z]+|[A-Za-z]+[\ue000-\uf8ff](?![A-Za-z\ue000-\uf8ff])")


@cache
def _vocabulary():
    from importlib.util import find_spec

    from tokenizers import Tokenizer

    # Found without importing wordllama, whose import reconfigures logging.
    package = Path(find_spec("wordllama").submodule_search_locations[0])
    return Tokenizer.from_file(str(package / "tokenizers" / "l2_supercat_tokenizer_config.json"))


def ligature_map(text: str) -> dict[str, str]:
    """{private-use character: the ligature it stands for} for the codes `text` uses inside words; a code
    no spelling decides (a math symbol, a code used for more than one thing) is left out."""
    words: dict[str, list[str]] = {}
    for word in _PRIVATE_IN_WORD.findall(text):
        codes = {c for c in word if "\ue000" <= c <= "\uf8ff"}
        if len(codes) == 1:
            words.setdefault(codes.pop(), []).append(word)
    mapping = {}
    for code, found in words.items():
        tokenizer = _vocabulary()
        cost = {lig: sum(len(tokenizer.encode(w.replace(code, lig)).ids) for w in found) for lig in _LIGATURES}
        best = sorted(cost, key=cost.get)
        # Chosen only when it reads clearly better than the runner-up: a token or more saved per word.
        if cost[best[1]] - cost[best[0]] >= len(found):
            mapping[code] = best[0]
    return mapping


def readable(text: str | None) -> str | None:
    """Text copied out of a PDF made readable: compatibility characters as the letters they stand for
    (NFKC: "ﬁ" -> "fi") and private-use ligatures resolved as in the PDF's own text (a listing's abstract
    transcribed from its PDF carries them too)."""
    if not text:
        return text
    text = unicodedata.normalize("NFKC", text)
    mapping = ligature_map(text)
    return text.translate(str.maketrans(mapping)) if mapping else text


def _restore_ligatures(blocks: list[_Block]) -> None:
    mapping = ligature_map("\n".join(line for b in blocks for line in b.lines))
    if mapping:
        table = str.maketrans(mapping)
        for b in blocks:
            b.lines = [line.translate(table) for line in b.lines]


@dataclass
class _Block:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    lines: list[str]
    size: float
    bold: bool

    @property
    def text(self) -> str:
        return _dehyphenate(self.lines)


def _page_blocks(page, page_no: int) -> list[_Block]:
    """Text blocks of a page in reading order. A block whose emphasis changes from one line to the
    next (a bold "3.1 Encoder and Decoder Stacks" line above its paragraph) is split there, so the
    heading line stands alone."""
    import pymupdf

    blocks = []
    # Without TEXT_PRESERVE_IMAGES: image blocks (and their bytes) are never built; only text is used.
    for b in page.get_text("dict", flags=pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES)["blocks"]:
        if b.get("type") != 0:
            continue
        groups: list[list[tuple[str, Counter, bool, tuple]]] = []
        for line in b["lines"]:
            if abs(line["dir"][1]) > 0.1:  # vertical text: the arXiv side stamp, rotated labels
                continue
            # NFKC: ligatures ("ﬁ" -> "fi") and other compatibility characters become the letters they stand for.
            text = unicodedata.normalize("NFKC", "".join(s["text"] for s in line["spans"]))
            if not text.strip():
                continue
            sizes, bold_chars, chars = Counter(), 0, 0
            for span in line["spans"]:
                n = len(span["text"].strip())
                sizes[round(span["size"], 1)] += n
                chars += n
                if span["flags"] & 16 or _BOLD_FONT.search(span["font"]):
                    bold_chars += n
            bold = bold_chars > chars / 2
            if groups and groups[-1][-1][2] == bold:
                groups[-1].append((text, sizes, bold, line["bbox"]))
            else:
                groups.append([(text, sizes, bold, line["bbox"])])
        for group in groups:
            sizes = sum((g[1] for g in group), Counter())
            if not sizes:
                continue
            x0 = min(g[3][0] for g in group)
            y0 = min(g[3][1] for g in group)
            x1 = max(g[3][2] for g in group)
            y1 = max(g[3][3] for g in group)
            blocks.append(_Block(page_no, x0, y0, x1, y1, [g[0] for g in group], sizes.most_common(1)[0][0],
                                 group[0][2]))
    return _reading_order(blocks, page.rect.width)


def _reading_order(blocks: list[_Block], width: float) -> list[_Block]:
    """Two-column pages: between full-width blocks, the left column top to bottom, then the right."""
    middle = width / 2
    slack = width * 0.03
    ordered, band = [], []
    for block in sorted(blocks, key=lambda b: (b.y0, b.x0)):
        spans_middle = block.x0 < middle - slack and block.x1 > middle + slack
        if spans_middle:
            ordered += sorted(band, key=lambda b: (b.x0 >= middle - slack, b.y0)) + [block]
            band = []
        else:
            band.append(block)
    return ordered + sorted(band, key=lambda b: (b.x0 >= middle - slack, b.y0))


def _repeated_furniture(blocks: list[_Block], pages: int) -> set[str]:
    """Running heads, footers and page numbers: the same short text on many pages."""
    if pages < 3:
        return set()
    seen = Counter(re.sub(r"\d+", "#", b.text)[:80] for b in blocks if len(b.text) < 120)
    return {t for t, n in seen.items() if n >= max(3, pages // 2)}


def _heading(block: _Block, body_size: float, toc_titles: set[str]) -> str | None:
    """The block's heading text if it is a section heading, else None."""
    text = " ".join(l.strip() for l in block.lines).strip()
    if len(text) > 100 or len(block.lines) > 3:
        return None
    plain = re.sub(r"\s+", " ", text)
    if normal_title(plain) in toc_titles:
        return plain
    bare = re.sub(r"^(?:\d{1,2}(?:\.\d{1,2})*|[IVX]{1,5}|[A-H])\.?\s+", "", plain)
    if _KNOWN.match(bare.rstrip(".:")):
        return plain.rstrip(".:")
    numbered = _NUMBERED.match(plain)
    emphasised = block.bold or block.size >= body_size * 1.1
    if numbered and emphasised and not plain.endswith(".") and len(plain.split()) <= 12:
        return plain
    return None


def normal_title(title: str) -> str:
    return re.sub(r"[^a-z]", "", re.sub(r"^[\dIVX.\s]+", "", title.lower()))


def _top_level(title: str) -> bool:
    """'3 Method' and 'Appendix' start sections; '3.1 Setup' stays inside its parent."""
    number = re.match(r"^(\d{1,2}(?:\.\d{1,2})*|[A-H](?:\.\d{1,2})*)\.?\s", title)
    return not number or "." not in number.group(1).rstrip(".")


def split_sections(blocks: list[_Block], body_size: float, toc_titles: set[str]) -> tuple[list[Section], list[str]]:
    """The blocks as sections under their own headings (what follows the references is appendix), and every
    heading seen."""
    sections: list[Section] = [Section("", "front", "")]
    seen_references = False
    headings: list[str] = []
    for block in blocks:
        heading = _heading(block, body_size, toc_titles)
        inline = re.match(r"^(Abstract)\s*[.:—–-]\s*(\S.*)$", block.text)
        lettered = heading and re.match(r"^[A-H]\.?\s", heading)
        if lettered and not seen_references and normal_title(heading) not in toc_titles:
            heading = None  # "A Bijective ..." is a title; letter numbering is for appendices
        if heading:
            headings.append(heading)
        if heading and _top_level(heading):
            seen_references = seen_references or classify_section(heading) == "references"
            sections.append(Section(heading, classify_section(heading), ""))
            continue
        if inline and sections[-1].kind == "front":
            sections.append(Section("Abstract", "abstract", inline.group(2)))
            continue
        part = block.text if not heading else f"\n{heading}\n"
        sections[-1].text = f"{sections[-1].text}\n{part}".strip() if sections[-1].text else part.strip()
    after_references = False
    for section in sections:
        if section.kind == "references":
            after_references = True
        elif after_references and section.kind not in ("appendix",):
            section.kind = "appendix"  # what follows the references is supplementary material
    sections = [s for s in sections if s.text or s.kind != "front"]
    return sections, headings


def text_links(text: str, uri_links: list[str]) -> list[dict]:
    """The links of the PDF's annotations, then those written in its text."""
    annotated = find_links(" \n ".join(uri_links), "fulltext")
    # A footnote mark glued to a URL in the text ("papermage1") is not a new link.
    in_text = [l for l in find_links(text, "fulltext")
               if not any(l["url"] != a["url"] and l["url"].startswith(a["url"]) and l["url"][len(a["url"]):].isdigit()
                          for a in annotated)]
    return merge_links(annotated, in_text)


def extract_pdf(data: bytes) -> Extraction:
    """Everything the pipeline stores for one PDF; never raises for a bad PDF."""
    import pymupdf

    if b"%PDF-" not in data[:1024]:
        return Extraction("not_pdf", error=f"not a PDF: starts with {data[:16]!r} ({len(data)} bytes)")
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # pymupdf raises its own FileDataError and friends
        return Extraction("extract_failed", error=f"cannot open PDF: {exc}")
    try:
        if doc.needs_pass:
            return Extraction("encrypted", pages=doc.page_count, error="the PDF is password-protected")
        pages = doc.page_count
        if pages == 0:  # MuPDF "repaired" a damaged file down to nothing: not an image-only PDF
            return Extraction("extract_failed", error="no readable page: the PDF is damaged or cut short")
        blocks = [b for no, page in enumerate(doc) for b in _page_blocks(page, no)]
        _restore_ligatures(blocks)
        uri_links = [l.get("uri") for page in doc for l in page.get_links() if l.get("uri")]
        toc_titles = {normal_title(t) for _, t, _ in doc.get_toc()} - {""}
        furniture = _repeated_furniture(blocks, pages)
        blocks = [b for b in blocks if re.sub(r"\d+", "#", b.text)[:80] not in furniture
                  and not re.fullmatch(r"\d{1,3}", b.text)]
        chars = sum(len(b.text) for b in blocks)
        if chars < MIN_CHARS_PER_PAGE * max(1, pages):
            return Extraction("no_text", pages=pages, chars=chars,
                              error=f"{chars} characters of text on {pages} page(s): an image-only PDF needs OCR")
        sizes = Counter()
        for b in blocks:
            sizes[b.size] += len(b.text)
        body_size = sizes.most_common(1)[0][0]
        title = _document_title(blocks, body_size)

        sections, headings = split_sections(blocks, body_size, toc_titles)
        text = "\n\n".join(f"{s.title}\n{s.text}" if s.title else s.text for s in sections)
        links = text_links(text, uri_links)
        return Extraction("ok", pages=pages, chars=len(text), text=text, sections=sections, links=links, title=title,
                          headings=headings)
    except Exception as exc:  # a PDF that opens but breaks the extractor
        return Extraction("extract_failed", error=f"{type(exc).__name__}: {exc}")
    finally:
        doc.close()


def _document_title(blocks: list[_Block], body_size: float) -> str | None:
    first_page = [b for b in blocks if b.page == 0 and len(b.text) < 250]
    if not first_page:
        return None
    biggest = max(first_page, key=lambda b: b.size)
    return biggest.text if biggest.size > body_size * 1.2 else None


def extract_file(path: str | Path) -> Extraction:
    return extract_pdf(Path(path).read_bytes())


def from_json(data: dict) -> Extraction:
    return Extraction(
        status=data["status"],
        pages=data.get("pages", 0),
        chars=data.get("chars", 0),
        text=data.get("text", ""),
        sections=[Section(**s) for s in data.get("sections", [])],
        links=data.get("links", []),
        error=data.get("error"),
    )
