"""The history report's plots, as PNG and SVG, byte-identical from run to run.

matplotlib is used without pyplot (no global state, no display) and with everything that
would differ between runs pinned: the SVG id salt, no creation date or software stamp in
the metadata, fixed sizes and resolution.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.store import atomic_write

if TYPE_CHECKING:  # matplotlib is imported only when a plot is drawn
    from matplotlib.typing import RcKeyType

DPI = 110
SIZE = (8.0, 4.2)
STYLE: dict[RcKeyType, Any] = {
    "svg.hashsalt": "awesome-kg",
    "svg.fonttype": "path",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
OVERFLOW_MONTHS = 36


def save(figure, folder: Path, name: str) -> list[Path]:
    """`name`.png and `name`.svg, written whole."""
    import io

    written = []
    for fmt, metadata in (("png", {"Software": None}), ("svg", {"Date": None, "Creator": None})):
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)
        written.append(atomic_write(folder / f"{name}.{fmt}", buffer.getvalue()))
    return written


def new_figure():
    from matplotlib.figure import Figure

    figure = Figure(figsize=SIZE, layout="constrained")
    return figure, figure.subplots()


def papers_per_heading(folder: Path, name: str, dates: list[date], series: dict[str, list[int]]) -> list[Path]:
    """Stacked papers per top-level heading, one step per version."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        figure, axes = new_figure()
        labels = list(series)
        axes.stackplot(dates, [series[k] for k in labels], labels=labels, step="post", alpha=0.85)
        axes.set_ylabel("papers on the list")
        axes.set_title("Papers per top-level heading, version by version")
        axes.legend(loc="upper left", fontsize=8, frameon=False)
        figure.autofmt_xdate()
        return save(figure, folder, name)


def added_per_month(folder: Path, name: str, months: list[str], added: list[int]) -> list[Path]:
    import matplotlib

    with matplotlib.rc_context(STYLE):
        figure, axes = new_figure()
        axes.bar(months, added, color="#4C72B0")
        axes.set_ylabel("papers added")
        axes.set_title("Papers added per month (first listing of each paper)")
        axes.tick_params(axis="x", labelrotation=60)
        return save(figure, folder, name)


def listing_lag(folder: Path, name: str, lags_in_months: list[float]) -> list[Path]:
    """Histogram of months from arXiv to listing; the last bar holds everything past 3 years."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        figure, axes = new_figure()
        clipped = [min(max(m, 0.0), OVERFLOW_MONTHS + 0.5) for m in lags_in_months]
        axes.hist(clipped, bins=list(range(0, OVERFLOW_MONTHS + 2)), color="#55A868", edgecolor="white")
        axes.set_xlabel(f"months from the arXiv date to the first listing (last bar: {OVERFLOW_MONTHS} or more)")
        axes.set_ylabel("papers")
        axes.set_title("How long papers waited to be listed")
        return save(figure, folder, name)
