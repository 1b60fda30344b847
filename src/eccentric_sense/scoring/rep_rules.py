"""Rep-level rules: pure functions over rep-table columns and kinematics arrays.

Each function takes arrays (one entry per rep, or the kinematics grid plus
per-rep grid indices) and keyword thresholds, and returns a
:class:`RuleCheck`.  They know nothing about the catalog: the scorer reads the
thresholds from the catalog and passes them in, so every number used here is
the catalog's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import PHASE_SPEED_THRESHOLD_M_S, STANDARD_GRAVITY
from ..pipeline._runs import mask_to_runs
from ..pipeline.events import longest_time_below
from ..pipeline.types import phase_indices  # re-exported: the rules and reports use it from here

__all__ = [
    "RuleCheck",
    "make_check",
    "phase_indices",
    "phase_velocity",
    "longest_run_s",
    "drop_mask",
    "check_ecc_too_fast",
    "check_uncontrolled_descent",
    "check_hard_bottom",
    "check_late_braking",
    "check_unsteady_handoff",
    "check_short_rom",
    "check_slow_concentric",
    "check_swinging",
    "noise_spread",
]


@dataclass(frozen=True)
class RuleCheck:
    """Outcome of one rule over all reps (arrays of shape ``(n_reps,)``).

    Attributes
    ----------
    rule
        Rule id.
    broken
        True where the rep broke the rule.
    checked
        False where the rule could not be evaluated (missing phase, no signal);
        ``broken`` is False there.
    value, threshold
        The measured quantity and the limit it was compared with (NaN if not
        checked), in ``unit``.
    excess
        How far past the limit, relative to it (>= 0; ``inf`` for rules with
        no graded measure); only meaningful where ``broken``.
    what
        Name of the measured quantity, for messages ("descent", "ROM"...).
    """

    rule: str
    broken: np.ndarray
    checked: np.ndarray
    value: np.ndarray
    threshold: np.ndarray
    excess: np.ndarray
    unit: str
    what: str


def make_check(rule, broken, checked, value, threshold, excess, unit, what) -> RuleCheck:
    """Build a :class:`RuleCheck`, blanking everything where the rule was not checked."""
    checked = np.asarray(checked, dtype=bool)
    broken = np.asarray(broken, dtype=bool) & checked
    value = np.where(checked, np.asarray(value, dtype=float), np.nan)
    threshold = np.where(checked, np.broadcast_to(np.asarray(threshold, float), value.shape), np.nan)
    excess = np.where(broken, np.asarray(excess, dtype=float), 0.0)
    return RuleCheck(rule, broken, checked, value, threshold, excess, unit, what)


def _limit(rule: str, value, limit, checked, unit: str, what: str, *, maximum: bool) -> RuleCheck:
    """Broken where ``value`` is past ``limit``: above it if ``maximum``, else below it."""
    value = np.asarray(value, dtype=float)
    limit = np.broadcast_to(np.asarray(limit, dtype=float), value.shape)
    checked = np.asarray(checked, dtype=bool) & np.isfinite(value) & np.isfinite(limit)
    past = np.where(checked, (value - limit) if maximum else (limit - value), 0.0)
    return make_check(rule, past > 0, checked, value, limit, _relative(past, limit), unit, what)


def _above(rule: str, value, limit, checked, unit: str, what: str) -> RuleCheck:
    return _limit(rule, value, limit, checked, unit, what, maximum=True)


def _below(rule: str, value, limit, checked, unit: str, what: str) -> RuleCheck:
    return _limit(rule, value, limit, checked, unit, what, maximum=False)


def _relative(over: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """``over / limit`` with a zero limit meaning 'infinitely far past it'."""
    over = np.asarray(over, dtype=float)
    limit = np.broadcast_to(np.asarray(limit, dtype=float), over.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(limit > 0, over / np.where(limit > 0, limit, 1.0), np.inf)


def drop_mask(vertical_acc_lp_mps2: np.ndarray, *, acc_g: float) -> np.ndarray:
    """Samples where the bar accelerates downward at ``acc_g`` g or more ("up" positive)."""
    return np.asarray(vertical_acc_lp_mps2, dtype=float) <= -acc_g * STANDARD_GRAVITY


def longest_run_s(mask: np.ndarray, sample_rate_hz: float, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Duration of the longest run of True samples of ``mask`` inside each ``[start, end)``.

    A run of ``k`` samples lasts ``k / sample_rate_hz`` seconds (each sample
    stands for one grid interval).
    """
    mask = np.asarray(mask, dtype=bool)
    starts = np.asarray(starts, dtype=int)
    ends = np.asarray(ends, dtype=int)
    out = np.zeros(starts.shape, dtype=float)
    if mask.size == 0 or starts.size == 0:
        return out
    runs = mask_to_runs(mask)  # run boundaries of the whole mask, computed once
    if runs.shape[0] == 0:
        return out
    run_start, run_end = runs[:, 0], runs[:, 1]
    # Clip every run to every phase: (n_phases, n_runs) is small (reps x runs
    # inside the recording), so broadcasting is cheap and loop-free.
    lo = np.maximum(run_start[None, :], starts[:, None])
    hi = np.minimum(run_end[None, :], ends[:, None])
    lengths = np.clip(hi - lo, 0, None)
    return lengths.max(axis=1) / float(sample_rate_hz)


def check_ecc_too_fast(
    ecc_duration_s: np.ndarray,
    con_duration_s: np.ndarray,
    set_ids: np.ndarray,
    *,
    min_s: float | None = None,
    min_ratio: float | None = None,
    judged: np.ndarray | None = None,
) -> RuleCheck:
    """Descent shorter than the target.

    Give ``min_s`` (absolute target, s) or ``min_ratio`` (descent at least
    this multiple of the rep's concentric duration; where a rep has no
    concentric, the median concentric of its set is used).  ``judged`` limits
    the rule to some reps (e.g. the negatives of a beyond-failure set).
    """
    if (min_s is None) == (min_ratio is None):
        raise ValueError("give exactly one of min_s and min_ratio")
    ecc = np.asarray(ecc_duration_s, dtype=float)
    judged = np.ones(ecc.shape, bool) if judged is None else np.asarray(judged, bool)
    if min_s is not None:
        target = np.full(ecc.shape, float(min_s))
    else:
        con = np.asarray(con_duration_s, dtype=float)
        set_median = _group_median(con, np.asarray(set_ids))
        con = np.where(np.isfinite(con), con, set_median)
        target = float(min_ratio) * con
    return _below("ecc_too_fast", ecc, target, judged, "s", "descent")


def check_uncontrolled_descent(
    vertical_acc_lp_mps2: np.ndarray,
    sample_rate_hz: float,
    starts: np.ndarray,
    ends: np.ndarray,
    *,
    acc_g: float,
    min_duration_s: float,
) -> RuleCheck:
    """Downward acceleration of at least ``acc_g`` g for ``min_duration_s`` within the phase."""
    starts = np.asarray(starts, dtype=int)
    ends = np.asarray(ends, dtype=int)
    # The analysis's own measurement (sub-sample crossing times), so the two never disagree.
    run = longest_time_below(vertical_acc_lp_mps2, -acc_g * STANDARD_GRAVITY, sample_rate_hz, starts, ends)
    checked = ends > starts
    return make_check(
        "uncontrolled_descent", run >= min_duration_s - 1e-9, checked, run, min_duration_s,
        np.inf, "s", "free-fall time",
    )


def check_hard_bottom(bottom_peak_decel_m_s2: np.ndarray, *, max_decel_m_s2: float) -> RuleCheck:
    return _above("hard_bottom", bottom_peak_decel_m_s2, max_decel_m_s2, True, "m/s^2", "bottom deceleration")


def phase_velocity(
    vertical_acc_lp_mps2: np.ndarray,
    sample_rate_hz: float,
    starts: np.ndarray,
    ends: np.ndarray,
    *,
    boundary_speed_m_s: float = PHASE_SPEED_THRESHOLD_M_S,
) -> np.ndarray:
    """Velocity inside each descent, integrated from the acceleration between known boundary speeds.

    By the phase definition the bar moves down at ``boundary_speed_m_s`` at
    both ends of a descent.  Integrating the low-passed acceleration from the
    start and removing the linear trend that makes the end speed match
    gives a velocity whose shape inside the phase does not depend on drift
    accumulated outside it.  NaN outside the phases.
    """
    acc = np.nan_to_num(np.asarray(vertical_acc_lp_mps2, dtype=float))
    starts = np.asarray(starts, dtype=int)
    ends = np.asarray(ends, dtype=int)
    integral = np.concatenate(([0.0], np.cumsum(acc))) / float(sample_rate_hz)
    out = np.full(acc.size, np.nan)
    for s, e in zip(starts, ends):  # one slice per rep
        last = min(e, acc.size - 1)
        if last - s < 2:
            continue
        k = np.arange(s, last + 1)
        v = -boundary_speed_m_s + (integral[k] - integral[s])
        v -= (v[-1] + boundary_speed_m_s) * (k - s) / (last - s)
        out[s:e] = v[: e - s]
    return out


def check_late_braking(
    velocity_m_s: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    *,
    last_fraction: float,
    speed_ratio: float,
    min_gain_m_s: float = 0.0,
) -> RuleCheck:
    """Peak downward speed in the last part of the phase and well above the first half's median.

    The measured value is the ratio peak speed / median speed of the
    phase's first half.  Phases whose first half is slower than the phase
    threshold (0.02 m/s) are not checked.  The peak must also exceed that
    median by ``min_gain_m_s``: in a slow negative (0.03 m/s) a ratio of
    1.5 is a gain of a centimetre per second, inside the velocity
    estimate's error, and a stop from such a speed is never abrupt.
    """
    velocity = np.asarray(velocity_m_s, dtype=float)
    starts = np.asarray(starts, dtype=int)
    ends = np.asarray(ends, dtype=int)
    n_reps = starts.size
    ratio = np.full(n_reps, np.nan)
    gain = np.zeros(n_reps)
    late = np.zeros(n_reps, dtype=bool)
    checked = (ends - starts) >= 4
    # One short slice per rep (reps, not samples): the phases differ in length.
    for i in np.flatnonzero(checked):
        down = -velocity[starts[i]:ends[i]]
        n = down.size
        peak_at = int(np.argmax(down))
        late[i] = peak_at >= n * (1.0 - last_fraction)
        first_half = float(np.median(down[: n // 2]))
        ratio[i] = float(down[peak_at]) / first_half if first_half > 0 else np.inf
        gain[i] = float(down[peak_at]) - first_half
        # A first half slower than the phase threshold is not a descent the
        # ratio can describe (it happens only with a broken velocity estimate).
        checked[i] = first_half >= PHASE_SPEED_THRESHOLD_M_S
    broken = late & (ratio > speed_ratio) & (gain >= min_gain_m_s)
    return make_check(
        "late_braking", broken, checked, ratio, speed_ratio,
        _relative(np.nan_to_num(ratio, nan=0.0, posinf=1e9) - speed_ratio, speed_ratio),
        "ratio", "late peak speed / early median speed",
    )


def noise_spread(signal: np.ndarray, still: np.ndarray) -> float:
    """Robust spread (1.4826 x MAD) of ``signal`` over the motionless samples; NaN if none."""
    values = np.asarray(signal, dtype=float)[np.asarray(still, dtype=bool)]
    values = values[np.isfinite(values)]
    if values.size < 10:
        return float("nan")
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


def _window_spread(signal: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Standard deviation of ``signal[lo:hi]`` per window, via cumulative sums (no loop)."""
    signal = np.asarray(signal, dtype=float)
    finite = np.isfinite(signal)
    x = np.where(finite, signal, 0.0)
    c1 = np.concatenate(([0.0], np.cumsum(x)))
    c2 = np.concatenate(([0.0], np.cumsum(x * x)))
    cn = np.concatenate(([0], np.cumsum(finite)))
    n = cn[hi] - cn[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (c1[hi] - c1[lo]) / n
        var = (c2[hi] - c2[lo]) / n - mean * mean
    return np.where(n > 1, np.sqrt(np.clip(var, 0.0, None)), np.nan)


def check_unsteady_handoff(
    time_s: np.ndarray,
    vertical_acc_lp_mps2: np.ndarray,
    horizontal_acc_mps2: np.ndarray,
    still: np.ndarray,
    starts: np.ndarray,
    *,
    min_hold_s: float,
    noise_multiple: float,
    min_motion_m_s2: float,
    onset_guard_s: float,
    movement_m_s2: float,
) -> RuleCheck:
    """Motion during the hold before each descent, or a hold that is too short.

    The hold runs from the end of the previous movement (the last sample,
    before the descent's onset guard, where the low-passed vertical
    acceleration reached ``movement_m_s2``: the hand-off lift, the jump or
    the step up) to the start of the descent.  Acceleration is used rather
    than velocity because it does not drift.  Motion is the spread of the
    vertical (and, where known, horizontal) acceleration over the
    ``min_hold_s`` window that ends ``onset_guard_s`` before the descent,
    compared with ``noise_multiple`` times the same spread over the
    recording's motionless samples (and at least ``min_motion_m_s2``).

    The measured value is the motion, m/s^2; a too-short hold is reported
    with an infinite excess.
    """
    time_s = np.asarray(time_s, dtype=float)
    starts = np.asarray(starts, dtype=int)
    rate = 1.0 / float(np.median(np.diff(time_s)))
    vertical = np.asarray(vertical_acc_lp_mps2, dtype=float)
    guard = int(round(onset_guard_s * rate))
    hi = np.clip(starts - guard, 0, time_s.size)

    moving = np.abs(vertical) >= movement_m_s2
    # Index of the last moving sample before each window end (-1: none since the recording began).
    last_moving = np.maximum.accumulate(np.where(moving, np.arange(moving.size), -1))
    before = np.where(hi > 0, last_moving[np.maximum(hi - 1, 0)], -1)
    hold_from = time_s[np.clip(before + 1, 0, time_s.size - 1)]
    hold_s = time_s[np.clip(starts, 0, time_s.size - 1)] - hold_from

    width = max(int(round(min_hold_s * rate)), 2)
    lo = np.clip(hi - width, 0, time_s.size)
    horizontal = np.asarray(horizontal_acc_mps2, dtype=float)
    spread_v = _window_spread(vertical, lo, hi)
    noise_v = noise_spread(vertical, still)
    if np.isfinite(horizontal).any():
        spread_h = np.nan_to_num(_window_spread(horizontal, lo, hi))
        noise_h = np.nan_to_num(noise_spread(horizontal, still))
    else:
        spread_h = np.zeros_like(spread_v)
        noise_h = 0.0
    motion = np.hypot(spread_v, spread_h)
    noise = float(np.hypot(np.nan_to_num(noise_v), noise_h))
    limit = max(noise_multiple * noise, min_motion_m_s2)

    checked = np.isfinite(motion) & (starts > 0)
    too_short = hold_s < min_hold_s
    shaky = motion > limit
    excess = np.where(too_short, np.inf, _relative(motion - limit, limit))
    return make_check(
        "unsteady_handoff", too_short | shaky, checked, motion, limit, excess,
        "m/s^2", "motion during the hold",
    )


def check_short_rom(rom_m: np.ndarray, set_ids: np.ndarray, *, min_fraction_of_median: float) -> RuleCheck:
    rom = np.abs(np.asarray(rom_m, dtype=float))
    limit = min_fraction_of_median * _group_median(rom, np.asarray(set_ids))
    return _below("short_rom", rom, limit, np.nan_to_num(limit) > 0, "m", "ROM")


def check_slow_concentric(con_duration_s: np.ndarray, *, max_s: float) -> RuleCheck:
    return _above("slow_concentric", con_duration_s, max_s, True, "s", "lift back up")


def check_swinging(
    horizontal_acc_mps2: np.ndarray,
    sample_rate_hz: float,
    starts: np.ndarray,
    ends: np.ndarray,
    *,
    max_rms_m_s2: float,
    hold_s: float,
) -> RuleCheck:
    """RMS horizontal acceleration over the hold before the descent and the descent."""
    h = np.asarray(horizontal_acc_mps2, dtype=float)
    starts = np.asarray(starts, dtype=int)
    ends = np.asarray(ends, dtype=int)
    lo = np.clip(starts - int(round(hold_s * sample_rate_hz)), 0, h.size)
    finite = np.isfinite(h)
    c2 = np.concatenate(([0.0], np.cumsum(np.where(finite, h * h, 0.0))))
    cn = np.concatenate(([0], np.cumsum(finite)))
    n = cn[ends] - cn[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt((c2[ends] - c2[lo]) / n)
    return _above(
        "swinging", rms, max_rms_m_s2, (n > 0) & (ends > starts), "m/s^2", "horizontal acceleration RMS"
    )


def _group_median(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Median of the finite ``values`` of each group, broadcast back to every row."""
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, np.nan)
    for g in np.unique(groups):  # one iteration per set
        members = groups == g
        finite = values[members & np.isfinite(values)]
        if finite.size:
            out[members] = np.median(finite)
    return out
