"""Colours, sizes and the figure factory shared by every chart.

Charts are meant to be read on a phone: ~1080 px wide PNGs, large fonts,
units on every axis, colours from the Okabe-Ito palette (safe for the common
colour-vision deficiencies).  matplotlib is imported inside :func:`new_figure`
only, so importing the report package does not import matplotlib.
"""

from __future__ import annotations

from typing import Any

#: Okabe-Ito palette (Okabe & Ito 2008, "Color Universal Design").
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#888888"

#: What each colour means, everywhere in the report.
ECCENTRIC_COLOUR = BLUE
CONCENTRIC_COLOUR = ORANGE
FLAG_COLOUR = VERMILLION
PASS_COLOUR = BLUISH_GREEN
FAIL_COLOUR = VERMILLION
NEUTRAL_COLOUR = GREY
TRACE_COLOUR = BLACK
TARGET_COLOUR = REDDISH_PURPLE
PHASE_ALPHA = 0.22

#: Output size: 1080 px wide at this resolution.
DPI = 100
WIDTH_IN = 10.8

#: Font sizes in points (at 100 dpi one point is ~1.4 px): tick labels ~25 px tall,
#: still legible when a phone shows the 1080 px image across its screen.
FONT = {
    "font.size": 18,
    "axes.titlesize": 22,
    "axes.labelsize": 20,
    "xtick.labelsize": 18,
    "ytick.labelsize": 18,
    "legend.fontsize": 17,
    "figure.titlesize": 24,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 2.5,
}


def new_figure(height_in: float, *, width_in: float = WIDTH_IN) -> Any:
    """A matplotlib ``Figure`` on an Agg canvas (no pyplot, no global state).

    The report's rcParams (:data:`FONT`) are applied while the figure and its
    axes are created, through :func:`matplotlib.rc_context`; callers create
    their axes inside :func:`styled`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def styled() -> Any:
    """Context manager applying the report's rcParams (fonts, grid, spines)."""
    import matplotlib

    return matplotlib.rc_context(FONT)
