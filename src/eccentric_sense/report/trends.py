"""Training-log trends: descent time, control score and load per exercise over weeks.

>>> path = write_history_report("training-log.sqlite3", "trends")   # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from .. import __version__
from .. import columns as C
from ..errors import ConfigError
from . import _html as H
from . import _style as S

__all__ = [
    "HISTORY_FILE",
    "SET_HISTORY_COLUMNS",
    "WEEKLY_COLUMNS",
    "set_history",
    "weekly_trends",
    "trend_chart",
    "write_history_report",
]

HISTORY_FILE = "history.html"

#: Columns of :func:`set_history` (one row per logged set).
SET_HISTORY_COLUMNS = (
    "started_at", "week", "exercise", "protocol", "load_kg", "reps",
    "mean_descent_s", "mean_control_score", "time_under_load_s",
)
#: Columns of :func:`weekly_trends` (one row per exercise and week).
WEEKLY_COLUMNS = (
    "exercise", "week", "sets", "reps", "mean_descent_s", "mean_control_score",
    "max_load_kg", "time_under_load_s",
)


def _mean_of(rows: Sequence[dict[str, Any]] | None, column: str) -> float:
    values = [r.get(column) for r in rows or []]
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(float(v))]
    return float(np.mean(numbers)) if numbers else float("nan")


def _week_start(moment: datetime) -> datetime:
    """Monday 00:00 UTC of the ISO week of ``moment``."""
    moment = moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    day = moment - timedelta(days=moment.weekday())
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def set_history(sets: Sequence[Any]) -> pd.DataFrame:
    """One row per logged set (:class:`eccentric_sense.log.LoggedSet`, loaded with rep tables).

    ``mean_descent_s`` and ``mean_control_score`` are averages over the set's
    stored rep table; ``week`` is the Monday (UTC) of the set's week.
    """
    rows = []
    for item in sets:
        rows.append({
            "started_at": item.started_at,
            "week": _week_start(item.started_at),
            "exercise": item.exercise,
            "protocol": item.protocol,
            "load_kg": float(item.load_kg) if item.load_kg is not None else float("nan"),
            "reps": int(item.reps),
            "mean_descent_s": _mean_of(item.rep_table, C.ECC_DURATION_S),
            "mean_control_score": _mean_of(item.rep_table, C.CONTROL_SCORE),
            "time_under_load_s": float(item.time_under_load_s) if item.time_under_load_s is not None else float("nan"),
        })
    return pd.DataFrame(rows, columns=list(SET_HISTORY_COLUMNS))


def weekly_trends(history: pd.DataFrame) -> pd.DataFrame:
    """Per exercise and week: sets, reps, mean descent, mean control score, top load, time under load.

    Means are over the week's sets (each set weighs the same).
    """
    if history.empty:
        return pd.DataFrame(columns=list(WEEKLY_COLUMNS))
    grouped = history.groupby(["exercise", "week"], sort=True)
    frame = grouped.agg(
        sets=("reps", "size"),
        reps=("reps", "sum"),
        mean_descent_s=("mean_descent_s", "mean"),
        mean_control_score=("mean_control_score", "mean"),
        max_load_kg=("load_kg", "max"),
        time_under_load_s=("time_under_load_s", "sum"),
    ).reset_index()
    return frame[list(WEEKLY_COLUMNS)]


def trend_chart(history: pd.DataFrame, exercise: str, *, catalog: Any = None) -> Any:
    """Descent time, control score and load of one exercise over the weeks.

    Every logged set is a small dot; the weekly mean (top load for the load
    panel) is the line.  Artists: ``set-descent``, ``weekly-descent``,
    ``set-score``, ``weekly-score``, ``set-load``, ``weekly-load``,
    ``descent-target`` (when all sets share one protocol with a time target).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.dates as mdates

    sets = history[history["exercise"] == exercise].sort_values("started_at")
    weekly = weekly_trends(sets)
    when = [t.replace(tzinfo=None) for t in sets["started_at"]]
    weeks = [w.replace(tzinfo=None) + timedelta(days=3.5) for w in weekly["week"]]  # mid-week
    with S.styled():
        figure = S.new_figure(10.5)
        ax_d, ax_s, ax_l = figure.subplots(3, 1, sharex=True)
        panels = (
            (ax_d, "mean_descent_s", "mean_descent_s", "descent, s", "Descent time", "descent", S.BLUE),
            (ax_s, "mean_control_score", "mean_control_score", "score, 0-100", "Control score", "score", S.BLUISH_GREEN),
            (ax_l, "load_kg", "max_load_kg", "load, kg", "Load (weekly top load)", "load", S.ORANGE),
        )
        for ax, set_column, week_column, ylabel, title, gid, colour in panels:
            ax.plot(when, sets[set_column].to_numpy(float), linestyle="none", marker="o", markersize=8,
                    color=colour, alpha=0.45, gid=f"set-{gid}", label="one set")
            ax.plot(weeks, weekly[week_column].to_numpy(float), marker="s", markersize=11, lw=3,
                    color=colour, gid=f"weekly-{gid}", label="weekly mean" if gid != "load" else "weekly top")
            ax.set_ylabel(ylabel)
            ax.set_title(title, loc="left", fontsize=20)
            values = np.concatenate([sets[set_column].to_numpy(float), weekly[week_column].to_numpy(float)])
            if np.isfinite(values).any():
                ax.set_ylim(0, float(np.nanmax(values)) * 1.25 + (1e-9 if np.nanmax(values) > 0 else 1.0))
            else:
                ax.text(0.5, 0.5, "not logged", transform=ax.transAxes, ha="center", va="center",
                        fontsize=16, color=S.GREY)
        ax_s.set_ylim(0, 110)
        protocols = sets["protocol"].unique()
        if catalog is not None and len(protocols) == 1:
            try:
                param = catalog.rule("ecc_too_fast").params[protocols[0]]
            except KeyError:
                param = None
            if param is not None and param.unit == "s":
                ax_d.axhline(param.value, color=S.TARGET_COLOUR, lw=3, ls="--", gid="descent-target",
                             label=f"{protocols[0]} target {param.value:g} s")
                low, high = ax_d.get_ylim()
                ax_d.set_ylim(0, max(high, param.value * 1.25))
        ax_d.legend(loc="lower left", fontsize=16, ncols=3)
        locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
        ax_l.xaxis.set_major_locator(locator)
        ax_l.xaxis.set_major_formatter(mdates.DateFormatter("%d %b\n%Y"))
        ax_l.set_xlabel("date (UTC)")
        if when:
            first, last = min(when + weeks), max(when + weeks)
            ax_l.set_xlim(first - timedelta(days=3), last + timedelta(days=3))
        figure.suptitle(f"{exercise}: {len(sets)} sets over {len(weekly)} week(s)", x=0.02, ha="left")
    return figure


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "exercise"


def write_history_report(
    db_path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    pdf: bool = False,
    catalog: Any = None,
) -> Path:
    """Write ``history.html`` and one ``trend-EXERCISE.png`` per exercise into ``out_dir``.

    Raises
    ------
    ConfigError
        No training log at ``db_path``, or it holds no sets.
    TrainingLogError
        The database cannot be read.
    """
    from ..log import TrainingLog
    from ..scoring import load_catalog

    db = Path(db_path)
    if not db.exists():
        raise ConfigError(f"{db}: no training log yet (store sets with: eccentric-sense analyze FILE --log)")
    with TrainingLog(db) as log:
        sets = log.sets(with_rep_tables=True)
    if not sets:
        raise ConfigError(f"{db}: the training log is empty; nothing to chart")
    catalog = catalog or load_catalog()
    history = set_history(sets)
    weekly = weekly_trends(history)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pages = None
    if pdf:
        from matplotlib.backends.backend_pdf import PdfPages

        pages = PdfPages(out / "history.pdf")
    parts = [
        "<h1>eccentric-sense training history</h1>",
        f'<p class="muted">{len(history)} sets from <code>{H.esc(db)}</code>; made by eccentric-sense '
        f"{H.esc(__version__)} on {H.esc(datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC'))}. "
        "Weeks start on Monday (UTC).</p>",
    ]
    try:
        for exercise in sorted(history["exercise"].unique()):
            figure = trend_chart(history, exercise, catalog=catalog)
            png = out / f"trend-{_slug(exercise)}.png"
            figure.savefig(png)
            if pages is not None:
                pages.savefig(figure)
            rows = weekly[weekly["exercise"] == exercise]
            parts.append(f"<h2>{H.esc(exercise)}</h2>")
            parts.append(H.table(
                ("week of", "sets", "reps", "mean descent s", "mean score", "top load kg", "time under load s"),
                [[w.strftime("%Y-%m-%d"), str(int(s)), str(int(r)), H.fmt(d, 1), H.fmt(c, 0), H.fmt(l, 1), H.fmt(t, 0)]
                 for w, s, r, d, c, l, t in zip(rows["week"], rows["sets"], rows["reps"], rows["mean_descent_s"],
                                                rows["mean_control_score"], rows["max_load_kg"],
                                                rows["time_under_load_s"])],
            ))
            parts.append(f'<img src="{H.esc(png.name)}" alt="{H.esc(exercise)} trends" width="1080" loading="lazy">')
    finally:
        if pages is not None:
            pages.close()
    path = out / HISTORY_FILE
    path.write_text(H.page("eccentric-sense training history", "\n".join(parts)), encoding="utf-8")
    return path
