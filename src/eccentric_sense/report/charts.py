"""Per-set charts: the tempo chart and the set summary.

Both functions return a matplotlib ``Figure`` (Agg canvas, no pyplot) whose
artists carry ``gid`` s, so tests and other tools can find what was drawn:

tempo chart
    ``phase-eccentric-rep-N`` / ``phase-concentric-rep-N`` (one shaded span per
    phase, on the velocity and on the displacement panel),
    ``target-rep-N`` (the protocol's descent target, drawn from the start of
    the descent), ``rep-label-N`` (descent time and tempo),
    ``flag-RULE-rep-N`` (a flagged moment, in the flags lane, labelled with
    the rule id) and ``flag-trace-RULE-rep-N`` (the same moment on the speed trace).
set summary
    ``descent-rep-N`` (bars, pass/fail colour), ``target-rep-N``,
    ``decel-rep-N``, ``hard-bottom-limit``, ``score-rep-N``,
    ``lift-speed`` (concentric mean speed across the set).

matplotlib is imported only inside these functions (through ``_style``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import columns as C
from . import _style as S
from .moments import descent_targets, flag_moments, rep_rows

__all__ = ["tempo_chart", "set_summary_chart", "rep_label", "target_text", "set_row"]


def rep_label(descent_s: float, tempo: str) -> str:
    """A rep's label on the tempo chart: ``"4.1 s  4-1-1-0"``."""
    descent = f"{descent_s:.1f} s" if math.isfinite(descent_s) else "no descent"
    return f"{descent}  {tempo}"


def target_text(scored: Any) -> str:
    """The protocol's descent target in words, from the catalog (e.g. ``descent >= 3 s``)."""
    try:
        param = scored.catalog.rule("ecc_too_fast").params[scored.protocol]
    except (AttributeError, KeyError):
        return "no descent target"
    value = f"{param.value:g}"
    if param.unit == "ratio":
        return f"descent \u2265 {value}\u00d7 the lift"
    return f"descent \u2265 {value} s"


def set_row(scored: Any, set_number: int) -> pd.Series:
    """The set-table row of ``set_number`` (ConfigError-free: KeyError if absent)."""
    sets = scored.sets
    match = sets[sets[C.SET] == set_number]
    if match.empty:
        raise KeyError(f"no set {set_number} in this analysis")
    return match.iloc[0]


def _rule_value(scored: Any, rule: str, param: str) -> float:
    try:
        return float(scored.catalog.value(rule, param))
    except Exception:
        return float("nan")


def _finite(x: Any) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def tempo_chart(scored: Any, set_number: int, *, margin_s: float = 1.5) -> Any:
    """Bar speed and height against time for one set, phases shaded, reps labelled.

    Parameters
    ----------
    scored
        A :class:`~eccentric_sense.scoring.ScoredAnalysis` (needs ``kinematics``).
    set_number
        1-based set number.
    margin_s
        Time shown before the first and after the last rep, s.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.transforms import blended_transform_factory

    kin = scored.kinematics
    row = set_row(scored, set_number)
    reps = rep_rows(scored, set_number)
    targets = pd.Series(descent_targets(scored), index=scored.reps.index).loc[reps.index].to_numpy()
    moments = flag_moments(scored)
    moments = moments[moments[C.SET] == set_number]
    rules = list(dict.fromkeys(moments["rule"]))  # lane order: first appearance

    t0, t1 = float(row[C.SET_START_S]) - margin_s, float(row[C.SET_END_S]) + margin_s
    time_s = np.asarray(kin.time_s, dtype=float)
    window = (time_s >= t0) & (time_s <= t1)
    t = time_s[window]
    velocity = np.asarray(kin.velocity_m_s, dtype=float)[window]
    height = np.asarray(kin.displacement_m, dtype=float)[window]
    # Height relative to the tops of the descents (0 = where each descent starts).
    tops = np.interp(reps[C.ECC_START_S].dropna().to_numpy(), time_s, np.asarray(kin.displacement_m, float))
    if tops.size and np.isfinite(tops).any():
        height = height - float(np.nanmedian(tops))
    elif np.isfinite(height).any():
        height = height - float(np.nanmax(height))

    lane_in = 0.45 + 0.42 * len(rules) if rules else 0.0
    with S.styled():
        figure = S.new_figure(3.9 + 2.6 + lane_in + 1.0)
        ratios = [3.9] + ([lane_in] if rules else []) + [2.6]
        axes = figure.subplots(len(ratios), 1, sharex=True, gridspec_kw={"height_ratios": ratios})
        ax_v, ax_z = axes[0], axes[-1]
        ax_lane = axes[1] if rules else None
        ax_v.set_gid("velocity")
        ax_z.set_gid("displacement")

        for ax in (ax_v, ax_z):
            for n, (_, rep) in enumerate(reps.iterrows()):
                number = int(rep[C.REP])
                for kind, start, end, colour, name in (
                    ("eccentric", rep[C.ECC_START_S], rep[C.ECC_END_S], S.ECCENTRIC_COLOUR, "lowering (eccentric)"),
                    ("concentric", rep[C.CON_START_S], rep[C.CON_END_S], S.CONCENTRIC_COLOUR, "lifting (concentric)"),
                ):
                    if _finite(start) and _finite(end):
                        ax.axvspan(float(start), float(end), color=colour, alpha=S.PHASE_ALPHA, lw=0,
                                   gid=f"phase-{kind}-rep-{number}",
                                   label=name if (n == 0 and ax is ax_v) else "_nolegend_")
            ax.axhline(0.0, color=S.GREY, lw=1.2, zorder=1)

        ax_v.plot(t, velocity, color=S.TRACE_COLOUR, lw=2.2, gid="velocity-trace", label="_nolegend_")
        ax_z.plot(t, height, color=S.TRACE_COLOUR, lw=2.2, gid="displacement-trace")

        # Room above the trace for the rep labels and below it for the targets.
        finite_v = velocity[np.isfinite(velocity)]
        v_lo, v_hi = (float(finite_v.min()), float(finite_v.max())) if finite_v.size else (-0.5, 0.5)
        span = max(v_hi - v_lo, 0.2)
        ax_v.set_ylim(v_lo - 0.42 * span, v_hi + 0.38 * span)
        ax_v.set_xlim(t0, t1)

        # Rep labels: one line when there is room, else two lines, smaller, staggered.
        x_px = 0.85 * figure.get_figwidth() * S.DPI
        mids = 0.5 * (reps[C.ECC_START_S].to_numpy(float) + reps[C.ECC_END_S].to_numpy(float))
        fallback = 0.5 * (reps[C.CON_START_S].to_numpy(float) + reps[C.CON_END_S].to_numpy(float))
        centres = np.where(np.isfinite(mids), mids, fallback)
        gaps = np.diff(np.sort(centres[np.isfinite(centres)]))
        px_per_rep = float(gaps.min() if gaps.size else t1 - t0) / (t1 - t0) * x_px
        texts = [rep_label(float(d) if _finite(d) else float("nan"), str(tempo))
                 for d, tempo in zip(reps[C.ECC_DURATION_S], reps[C.TEMPO])]
        layout = _label_layout(texts, px_per_rep)
        if layout.stagger:
            ax_v.set_ylim(v_lo - 0.42 * span, v_hi + 0.75 * span)
        # Targets longer than the gap to the next descent would merge: alternate their heights.
        starts = reps[C.ECC_START_S].to_numpy(float)
        overlapping = bool(np.any(starts[:-1] + targets[:-1] > starts[1:]))
        top = blended_transform_factory(ax_v.transData, ax_v.transAxes)
        bottom = blended_transform_factory(ax_z.transData, ax_z.transAxes)
        for k, ((_, rep), target, centre, text) in enumerate(zip(reps.iterrows(), targets, centres, texts)):
            number = int(rep[C.REP])
            short = "ecc_too_fast" in list(rep[C.FLAGS] or [])
            y = 0.975 - (0.17 if layout.stagger and k % 2 else 0.0)
            if _finite(centre):
                ax_v.text(centre, y, text.replace("  ", layout.separator),
                          transform=top, ha="center", va="top", fontsize=layout.fontsize, fontweight="bold",
                          color=S.FAIL_COLOUR if short else S.BLACK, gid=f"rep-label-{number}")
                ax_z.text(centre, 0.04, f"rep {number}" if px_per_rep > 80 else str(number), transform=bottom,
                          ha="center", va="bottom", fontsize=16, color=S.BLUE, gid=f"rep-number-{number}",
                          bbox=_TEXT_BOX)
            if _finite(rep[C.ECC_START_S]) and _finite(target):
                start = float(rep[C.ECC_START_S])
                level = 0.12 if overlapping and k % 2 else 0.05
                ax_v.plot([start, start + float(target)], [level, level], transform=top,
                          color=S.TARGET_COLOUR, lw=4, marker="|", markersize=18, markeredgewidth=3,
                          solid_capstyle="butt", gid=f"target-rep-{number}",
                          label=f"target ({target_text(scored)})" if k == 0 else "_nolegend_")

        if ax_lane is not None:
            lane_of = {rule: k for k, rule in enumerate(rules)}
            for _, moment in moments.iterrows():
                rule, number, when = str(moment["rule"]), int(moment[C.REP]), float(moment["time_s"])
                ax_lane.plot([when], [lane_of[rule]], linestyle="none", marker="v", markersize=15,
                             color=S.FLAG_COLOUR, gid=f"flag-{rule}-rep-{number}", label="_nolegend_")
                speed_here = float(np.interp(when, t, np.nan_to_num(velocity))) if t.size else 0.0
                ax_v.plot([when], [speed_here], linestyle="none", marker="o", markersize=11,
                          markerfacecolor="none", markeredgecolor=S.FLAG_COLOUR, markeredgewidth=2.5,
                          gid=f"flag-trace-{rule}-rep-{number}")
            ax_lane.set_yticks(range(len(rules)), rules, fontsize=16, color=S.FLAG_COLOUR)
            ax_lane.set_ylim(len(rules) - 0.4, -0.6)
            ax_lane.grid(axis="y", visible=False)
            ax_lane.tick_params(axis="y", length=0)
            ax_lane.set_gid("flags")

        protocol = getattr(scored, "protocol", "")
        exercise = getattr(scored, "exercise", None) or "lift"
        ax_v.set_title(f"Set {set_number}: {exercise}, {protocol} ({target_text(scored)})", loc="left")
        ax_v.set_ylabel("bar speed, m/s\n(up +)")
        ax_z.set_ylabel("height, m\n(0 = top)")
        ax_z.set_xlabel("time in the recording, s")
        figure.legend(loc="outside lower center", ncols=3, frameon=False, fontsize=16,
                      handlelength=1.4, columnspacing=1.2)
    return figure


#: White box behind text that may sit on a line or a trace.
_TEXT_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8}


@dataclass(frozen=True)
class _LabelLayout:
    fontsize: float
    separator: str  # between descent time and tempo: "  " (one line) or "\n"
    stagger: bool  # alternate labels on two heights


def _text_px(chars: int, fontsize: float) -> float:
    """Rough width of bold DejaVu Sans text, px (about 0.62 em per character)."""
    return chars * 0.62 * fontsize * S.DPI / 72.0


def _label_layout(texts: list[str], px_per_rep: float) -> _LabelLayout:
    """The largest rep-label layout that fits ``px_per_rep`` between label centres."""
    longest = max((len(t) for t in texts), default=0)
    longest_line = max((len(part) for t in texts for part in t.split("  ")), default=0)
    room = 0.92 * px_per_rep
    if _text_px(longest, 17) <= room:
        return _LabelLayout(17, "  ", False)
    for size in (17, 15, 13):
        if _text_px(longest_line, size) <= room:
            return _LabelLayout(size, "\n", False)
    return _LabelLayout(15 if _text_px(longest_line, 15) <= 2 * room else 12, "\n", True)


def _colour_bars(bars: Any, reps: pd.DataFrame, rule: str, checked: np.ndarray, gid: str) -> None:
    """Pass/fail colours (and a hatch on failures, so colour is not the only cue)."""
    flagged = [rule in list(f or []) for f in reps[C.FLAGS]]
    for bar, number, ok, bad in zip(bars, reps[C.REP], checked, flagged):
        bar.set_gid(f"{gid}-rep-{int(number)}")
        bar.set_facecolor(S.NEUTRAL_COLOUR if not ok else (S.FAIL_COLOUR if bad else S.PASS_COLOUR))
        if ok and bad:
            bar.set_hatch("//")
            bar.set_edgecolor(S.BLACK)


def _bar_values(ax: Any, bars: Any, values: np.ndarray, fmt: str) -> None:
    for bar, value in zip(bars, values):
        if np.isfinite(value):
            ax.annotate(format(value, fmt), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        xytext=(0, 4), textcoords="offset points", ha="center", va="bottom", fontsize=16,
                        bbox=_TEXT_BOX)


def set_summary_chart(scored: Any, set_number: int) -> Any:
    """Per-rep descent time against the target, bottom deceleration, control score, lift speed.

    Parameters
    ----------
    scored
        A :class:`~eccentric_sense.scoring.ScoredAnalysis`.
    set_number
        1-based set number.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.ticker import MaxNLocator

    row = set_row(scored, set_number)
    reps = rep_rows(scored, set_number)
    numbers = reps[C.REP].to_numpy(dtype=int)
    targets = pd.Series(descent_targets(scored), index=scored.reps.index).loc[reps.index].to_numpy()
    descent = reps[C.ECC_DURATION_S].to_numpy(dtype=float)
    decel = reps[C.BOTTOM_PEAK_DECEL].to_numpy(dtype=float)
    control = reps[C.CONTROL_SCORE].to_numpy(dtype=float)
    lift = reps[C.CON_MEAN_VELOCITY].to_numpy(dtype=float)
    decel_limit = _rule_value(scored, "hard_bottom", "max_decel_m_s2")
    loss = float(row[C.SET_VELOCITY_LOSS_PCT]) if _finite(row[C.SET_VELOCITY_LOSS_PCT]) else float("nan")

    with S.styled():
        figure = S.new_figure(12.0)
        ax_d, ax_b, ax_s, ax_l = figure.subplots(4, 1, sharex=True)
        width = 0.7

        # Descent time against the target (pass/fail colour, target per rep).
        bars = ax_d.bar(numbers, np.nan_to_num(descent), width)
        _colour_bars(bars, reps, "ecc_too_fast", np.isfinite(targets) & np.isfinite(descent), "descent")
        _bar_values(ax_d, bars, descent, ".1f")
        y_top = max(np.nanmax(np.concatenate([descent, targets, [1.0]])) * 1.3, 1.0)
        for number, target in zip(numbers, targets):
            if np.isfinite(target):
                ax_d.fill_between([number - 0.5, number + 0.5], [target, target], [y_top, y_top],
                                  color=S.PASS_COLOUR, alpha=0.10, lw=0, gid=f"target-band-rep-{number}")
                ax_d.plot([number - 0.45, number + 0.45], [target, target], color=S.TARGET_COLOUR, lw=4,
                          gid=f"target-rep-{number}")
        ax_d.set_ylim(0, y_top)
        ax_d.set_ylabel("descent, s")
        ax_d.set_title(f"Descent time: {target_text(scored)} (green = met, hatched = short)", loc="left", fontsize=20)

        # Bottom deceleration against the hard-bottom limit.
        bars = ax_b.bar(numbers, np.nan_to_num(decel), width)
        _colour_bars(bars, reps, "hard_bottom", np.isfinite(decel) & np.isfinite(decel_limit), "decel")
        _bar_values(ax_b, bars, decel, ".1f")
        if np.isfinite(decel_limit):
            ax_b.axhline(decel_limit, color=S.TARGET_COLOUR, lw=3, ls="--", gid="hard-bottom-limit",
                         label=f"limit {decel_limit:g} m/s\u00b2")
            ax_b.legend(loc="upper left", fontsize=16)
        ax_b.set_ylim(0, max(np.nanmax(np.concatenate([decel, [decel_limit, 1.0]])) * 1.35, 1.0))
        ax_b.set_ylabel("stop, m/s\u00b2")
        ax_b.set_title("Bottom deceleration (how hard the weight was stopped)", loc="left", fontsize=20)

        # Control score.
        bars = ax_s.bar(numbers, np.nan_to_num(control), width, color=S.SKY_BLUE, edgecolor=S.BLUE, lw=1.5)
        for bar, number in zip(bars, numbers):
            bar.set_gid(f"score-rep-{number}")
        _bar_values(ax_s, bars, control, ".0f")
        ax_s.set_ylim(0, 118)
        ax_s.set_yticks([0, 50, 100])
        ax_s.set_ylabel("score, 0-100")
        ax_s.set_title("Control score", loc="left", fontsize=20)

        # Lift speed across the set (velocity loss).
        ax_l.plot(numbers, lift, color=S.CONCENTRIC_COLOUR, marker="o", markersize=11, lw=3, gid="lift-speed")
        finite = lift[np.isfinite(lift)]
        if finite.size:
            ax_l.set_ylim(0, float(finite.max()) * 1.3)
        loss_text = f"velocity loss {loss:.0f} %" if np.isfinite(loss) else "velocity loss n/a"
        ax_l.set_title(f"Lifting speed across the set: {loss_text}", loc="left", fontsize=20)
        ax_l.set_ylabel("lift, m/s")
        ax_l.set_xlabel("rep")
        ax_l.set_xticks(numbers)
        ax_l.set_xlim(0.4, max(numbers.max() if numbers.size else 1, 1) + 0.6)
        for ax in (ax_d, ax_b, ax_s):
            ax.grid(axis="x", visible=False)
        for ax in (ax_d, ax_b, ax_l):
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
        exercise = getattr(scored, "exercise", None) or "lift"
        figure.suptitle(f"Set {set_number} summary: {len(reps)} reps, {exercise}, {scored.protocol}",
                        x=0.02, ha="left")
    return figure
