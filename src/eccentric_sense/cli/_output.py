"""Human-readable output of an analysis (tables with rich)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .. import columns as C


def _fmt(value: Any, digits: int = 2, unit: str = "") -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "-"
    if not math.isfinite(number):
        return "-"
    return f"{number:.{digits}f}{unit}"


def write_rep_csv(result: Any, path: Path) -> None:
    table = result.reps.copy()
    table[C.FLAGS] = table[C.FLAGS].map(lambda flags: ";".join(flags))
    table.to_csv(path, index=False)


def write_trace_csv(result: Any, path: Path) -> None:
    # Six decimals: microseconds, micrometres, micrometres per second.
    result.analysis.trace().to_csv(path, index=False, float_format="%.6f")


def rate_text(result: Any) -> str:
    """The analysis rate, and the sensor's when it differs (decimated, or host-stamped)."""
    from ..analysis import distinct_sensor_rate_hz

    analysis = float(result.kinematics.sample_rate_hz)
    sensor = distinct_sensor_rate_hz(result.diagnostics, analysis)
    text = f"{analysis:.0f} Hz analysis rate"
    return text if sensor is None else f"{sensor:.0f} Hz sensor, {text}"


def print_human(result: Any, *, protocol: str | None = None, console: Any = None) -> None:
    """Print one table per set and the set summary (and advice, when scored)."""
    from rich.console import Console
    from rich.table import Table

    import sys

    # Piped output gets a fixed, comfortable width instead of rich's 80 columns.
    console = console or Console(highlight=False, width=None if sys.stdout.isatty() else 110)
    meta = result.recording.metadata
    source = result.recording.source or "recording"
    exercise = result.exercise or meta.get("exercise") or "unknown exercise"
    console.print(
        f"[bold]{source}[/bold]: {exercise}, {result.recording.duration_s:.1f} s, {rate_text(result)}"
        + (f", protocol {protocol}" if protocol else "")
    )
    for note in result.diagnostics.get("notes", []):
        console.print(f"Note: {note}.", markup=False)
    if result.reps.empty:
        console.print("No reps found (a rep needs at least "
                      f"{result.settings.min_rep_travel_m or 0.15:.2f} m of vertical travel).")
        return
    target = getattr(result, "ecc_target_s", None)
    advice_by_rep = getattr(result, "rep_advice_text", None)
    for _, set_row in result.sets.iterrows():
        number = int(set_row[C.SET])
        table = Table(title=f"Set {number}: {int(set_row[C.SET_REPS])} reps, "
                            f"{set_row[C.SET_FIRST_PHASE]} first", title_justify="left")
        for name, justify in (("rep", "right"), ("tempo", "center"), ("descent s", "right"), ("target s", "right"),
                              ("down m/s", "right"), ("up m/s", "right"), ("ROM m", "right"),
                              ("stop m/s²", "right"), ("score", "right"), ("flags", "left")):
            table.add_column(name, justify=justify)
        reps = result.reps[result.reps[C.SET] == number]
        for _, rep in reps.iterrows():
            descent = _fmt(rep[C.ECC_DURATION_S], 1)
            goal = "-"
            if target is not None:
                value = target(number) if callable(target) else target
                goal = f">= {_fmt(value, 1)}" if math.isfinite(float(value)) else "-"
            flags = rep[C.FLAGS]
            flag_text = ", ".join(flags) if flags else "ok"
            if advice_by_rep is not None:
                flag_text = advice_by_rep(number, int(rep[C.REP])) or flag_text
            table.add_row(
                str(int(rep[C.REP])), str(rep[C.TEMPO]), descent, goal,
                _fmt(rep[C.ECC_MEAN_VELOCITY], 3), _fmt(rep[C.CON_MEAN_VELOCITY], 2),
                _fmt(rep[C.ROM], 2), _fmt(rep[C.BOTTOM_PEAK_DECEL], 1),
                _fmt(rep[C.CONTROL_SCORE], 0), flag_text,
            )
        console.print(table)
        summary = (
            f"  time under load {_fmt(set_row[C.SET_TIME_UNDER_LOAD_S], 1)} s, "
            f"mean descent {_fmt(set_row[C.SET_MEAN_ECC_DURATION_S], 1)} s, "
            f"velocity loss {_fmt(set_row[C.SET_VELOCITY_LOSS_PCT], 0)} %"
        )
        if set_row[C.SET_FLAGS]:
            summary += f", set flags: {', '.join(set_row[C.SET_FLAGS])}"
        console.print(summary)
    advice = getattr(result, "advice", None)
    if advice:
        console.print("[bold]What to change[/bold]")
        for line in group_advice(advice):
            console.print(f"  - {line}", markup=False)


def group_advice(advice: list[Any]) -> list[str]:
    """One line per (set, rule): rep-level findings of the same rule are merged."""
    lines: list[str] = []
    grouped: dict[tuple[Any, str], list[Any]] = {}
    order: list[tuple[Any, str]] = []
    for item in advice:
        if getattr(item, "rep", None) is None:
            lines.append(str(item))
            continue
        key = (item.set, item.rule)
        if key not in grouped:
            grouped[key] = []
            order.append(key)
        grouped[key].append(item)
    for key in order:
        items = grouped[key]
        first = items[0]
        reps = ", ".join(str(i.rep) for i in items)
        label = "rep" if len(items) == 1 else "reps"
        detail = f" ({first.detail})" if len(items) == 1 and first.detail else ""
        lines.append(f"[{first.severity}] set {first.set} {label} {reps}: {first.rule}{detail}: {first.text}")
    return lines
