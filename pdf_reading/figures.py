"""Each paper's main figure, from its PDF: the first figure of the first pages, rendered to a small PNG.

Found by its caption: a text block that starts "Figure 1" / "Fig. 1" on the first 8 pages. The figure is
the graphics next to it: raster images (`get_image_info`) and clustered vector drawings
(`cluster_drawings`, for plots drawn as paths), above the caption (papers put figure captions below),
else below it, stacked from the one nearest the caption while they touch. With no caption, the largest
image of the first pages (a quarter of a page or more) is taken, without a caption. Nothing is returned
when neither is found: no page region is ever shown as a figure by guesswork.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CAPTION_PAGES = 8  # "Figure 1" is looked for on these first pages (a two-column paper may put it on page 5)
FIRST_PAGES = 3  # the largest image, when no caption is found, on these
_CAPTION = re.compile(r"^\s*(?:Figure|Fig\.?)\s*1\s*(?:[.:|—–-]|\s)", re.IGNORECASE)
MIN_GRAPHIC_SHARE = 0.004  # of the page's area: smaller drawings are rules, logos, bullets
MIN_FIGURE_SHARE = 0.02  # the region found must be at least this much of the page
GAP = 14.0  # points between two graphics that still belong to one figure
WIDTH_PX = 640  # rendered width (a thumbnail in a digest, a figure on the day page)


@dataclass(frozen=True)
class MainFigure:
    png: bytes
    caption: str | None
    page: int  # 1-based
    found_by: str  # caption | largest_image
    bbox: tuple[float, float, float, float]


def _graphics(page) -> list:
    import pymupdf

    area = page.rect.width * page.rect.height
    rects = [pymupdf.Rect(info["bbox"]) for info in page.get_image_info()]
    try:
        rects += list(page.cluster_drawings())
    except (ValueError, RuntimeError):  # a page whose drawings cannot be clustered
        pass
    rects = [r & page.rect for r in rects]
    return [r for r in rects if not r.is_empty and r.width * r.height >= MIN_GRAPHIC_SHARE * area]


def _overlap_x(a, b) -> float:
    return max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))


def _stack(graphics: list, caption, above: bool):
    """The graphics next to the caption on one side, grown from the nearest while they touch."""
    import pymupdf

    side = [g for g in graphics if _overlap_x(g, caption) > 0 and (
        g.y1 <= caption.y0 + 4 if above else g.y0 >= caption.y1 - 4)]
    if not side:
        return None
    nearest = max(side, key=lambda g: g.y1) if above else min(side, key=lambda g: g.y0)
    if (caption.y0 - nearest.y1 if above else nearest.y0 - caption.y1) > 3 * GAP:
        return None  # the nearest graphic is far from the caption: not its figure
    region = pymupdf.Rect(nearest)
    grown = True
    while grown:
        grown = False
        for g in side:
            if g in region:
                continue
            touches = g.y1 >= region.y0 - GAP and g.y0 <= region.y1 + GAP and _overlap_x(g, region) > 0
            if touches:
                region |= g
                grown = True
    return region


def _render(page, region) -> bytes:
    zoom = min(3.0, WIDTH_PX / max(region.width, 1.0))
    import pymupdf

    return page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=region, alpha=False).tobytes("png")


def main_figure(doc) -> MainFigure | None:
    """The main figure of an open PyMuPDF document, or None."""
    pages = [doc[i] for i in range(min(CAPTION_PAGES, doc.page_count))]
    for page in pages:
        area = page.rect.width * page.rect.height
        for block in page.get_text("blocks"):
            text = block[4] if len(block) > 4 else ""
            if not _CAPTION.match(text or ""):
                continue
            import pymupdf

            caption = pymupdf.Rect(block[:4])
            graphics = _graphics(page)
            region = _stack(graphics, caption, above=True) or _stack(graphics, caption, above=False)
            if region is None or region.width * region.height < MIN_FIGURE_SHARE * area:
                continue
            region = (region + (-4, -4, 4, 4)) & page.rect
            return MainFigure(_render(page, region), " ".join(text.split())[:400], page.number + 1, "caption",
                              tuple(round(v, 1) for v in region))
    best = None
    for page in pages[:FIRST_PAGES]:
        area = page.rect.width * page.rect.height
        for info in page.get_image_info():
            import pymupdf

            rect = pymupdf.Rect(info["bbox"]) & page.rect
            share = rect.width * rect.height / area
            if share >= 0.25 and (best is None or share > best[0]):
                best = (share, page, rect)
    if best:
        _, page, rect = best
        return MainFigure(_render(page, rect), None, page.number + 1, "largest_image",
                          tuple(round(v, 1) for v in rect))
    return None


def main_figure_of_file(path: str) -> MainFigure | None:
    import pymupdf

    with pymupdf.open(path) as doc:
        return main_figure(doc)
