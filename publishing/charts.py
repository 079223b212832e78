"""Charts for the site as static SVG (matplotlib, no server, readable from file://). Text stays text
(`svg.fonttype: none`): the browser draws it with the page's fonts, Chinese included."""

from __future__ import annotations

import datetime as dt
import io


def weekly_lines(series: dict[str, dict[dt.date, int]], weeks: list[dt.date], title: str | None = None,
                 width: float = 7.0, height: float = 2.6) -> str:
    """One line per name over `weeks` (missing weeks count 0); an SVG document as text. `title`: inside
    the chart (None when the page heads it)."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(width, height))
    axes = figure.subplots()
    for name, counts in series.items():
        axes.plot(weeks, [counts.get(w, 0) for w in weeks], marker="o", markersize=3, linewidth=1.4,
                  label=name[:48] + ("…" if len(name) > 48 else ""))
    if title:
        axes.set_title(title, fontsize=10, loc="left")
    axes.set_xlim(weeks[0] - dt.timedelta(days=4), weeks[-1] + dt.timedelta(days=4))
    axes.xaxis.set_major_formatter(DateFormatter("%Y-%m-%d"))
    axes.set_ylabel("papers", fontsize=8)
    axes.tick_params(labelsize=7)
    axes.grid(alpha=0.3)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    if len(series) > 1:
        axes.legend(fontsize=7, frameon=False, loc="upper left")
    figure.autofmt_xdate()
    out = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "arxiv-monitor"}), warnings.catch_warnings():
        # Text stays text in the SVG: the browser's fonts draw it, so matplotlib's lack of CJK glyphs (met
        # when the layout measures the labels, and again when saving) is moot.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        figure.tight_layout()
        figure.savefig(out, format="svg", metadata={"Date": None})
    svg = out.getvalue()
    return svg[svg.index("<svg"):]  # inline in a page: no XML declaration or doctype
