"""Where in time each flag happened, and each rep's descent target.

Pure functions over the scored rep table and the kinematics (no matplotlib):
the charts mark these moments, and other front ends can use them too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .. import columns as C
from ..pipeline._runs import mask_to_runs
from ..scoring.rep_rules import drop_mask, phase_indices

__all__ = ["FLAG_MOMENT_COLUMNS", "descent_targets", "flag_moments", "rep_rows"]

#: Columns of :func:`flag_moments`.
FLAG_MOMENT_COLUMNS = (C.SET, C.REP, "rule", "time_s", "where")

# Where a rule's marker goes when the rule has no moment of its own in the signal.
_PHASE_ANCHOR = {
    "ecc_too_fast": ("ecc_end", "end of the descent"),
    "short_rom": ("ecc_end", "bottom"),
    "unsteady_handoff": ("ecc_start", "start of the descent"),
    "swinging": ("ecc_start", "start of the descent"),
    "slow_concentric": ("con_mid", "middle of the lift"),
}


def rep_rows(scored: Any, set_number: int) -> pd.DataFrame:
    """The scored rep-table rows of one set, in rep order."""
    reps = scored.reps
    return reps[reps[C.SET] == set_number].sort_values(C.REP)


def descent_targets(scored: Any) -> np.ndarray:
    """The protocol's descent target of every rep (s), aligned with ``scored.reps``.

    The numbers are those the scorer judged the reps against (the catalog's
    ``ecc_too_fast`` target for the protocol: seconds, or a multiple of the
    rep's lift); NaN where the rep was not judged (e.g. the full reps of a
    beyond-failure set).
    """
    check = getattr(scored, "checks", {}).get("ecc_too_fast")
    if check is None:
        return np.full(len(scored.reps), np.nan)
    return np.asarray(check.threshold, dtype=float)


def _rule_value(scored: Any, rule: str, param: str, default: float) -> float:
    catalog = getattr(scored, "catalog", None)
    try:
        return float(catalog.value(rule, param))
    except Exception:  # a catalog without the rule: fall back to the definition's number
        return default


def flag_moments(scored: Any) -> pd.DataFrame:
    """One row per (rep, flag): the time the chart marks for it.

    * ``uncontrolled_descent``: start of the longest stretch of the descent
      where the bar accelerated downward past the catalog's threshold (the drop);
    * ``hard_bottom``: the largest upward acceleration within the bottom
      window of the rep-table definition (the hard stop);
    * ``late_braking``: the moment of peak downward speed;
    * ``ecc_too_fast``, ``short_rom``: the end of the descent;
      ``unsteady_handoff``, ``swinging``: its start; ``slow_concentric``: the
      middle of the lift; any other rule: the middle of the descent.

    Columns :data:`FLAG_MOMENT_COLUMNS`; ``where`` says in words what the time is.
    """
    reps = scored.reps
    rows: list[dict[str, Any]] = []
    if len(reps) == 0:
        return pd.DataFrame(rows, columns=list(FLAG_MOMENT_COLUMNS))
    kin = getattr(scored, "kinematics", None)
    ecc_start = reps[C.ECC_START_S].to_numpy(dtype=float)
    ecc_end = reps[C.ECC_END_S].to_numpy(dtype=float)
    con_start = reps[C.CON_START_S].to_numpy(dtype=float)
    con_end = reps[C.CON_END_S].to_numpy(dtype=float)
    drop_at, peak_speed_at, stop_at = (np.full(len(reps), np.nan) for _ in range(3))
    if kin is not None:
        time_s = np.asarray(kin.time_s, dtype=float)
        starts, ends = phase_indices(time_s, ecc_start, ecc_end)
        acc = np.asarray(kin.vertical_acc_lp_mps2, dtype=float)
        down = -np.nan_to_num(np.asarray(kin.velocity_m_s, dtype=float), nan=0.0)
        falling = drop_mask(acc, acc_g=_rule_value(scored, "uncontrolled_descent", "acc_g", 0.5))
        # One slice per rep (reps, not samples): phases differ in length.
        for i in np.flatnonzero(ends > starts):
            lo, hi = int(starts[i]), int(ends[i])
            peak_speed_at[i] = time_s[lo + int(np.argmax(down[lo:hi]))]
            bottom_lo = max(int(np.searchsorted(time_s, ecc_end[i] - max(0.3 * (ecc_end[i] - ecc_start[i]), 0.5))), 0)
            if hi > bottom_lo:
                stop_at[i] = time_s[bottom_lo + int(np.argmax(acc[bottom_lo:hi]))]
            run = _longest_run_start(falling[lo:hi])
            if run is not None:
                drop_at[i] = time_s[lo + run]
    signal_moment = {
        "uncontrolled_descent": (drop_at, "the drop"),
        "hard_bottom": (stop_at, "the stop at the bottom"),
        "late_braking": (peak_speed_at, "peak downward speed"),
    }
    anchors = {
        "ecc_start": ecc_start,
        "ecc_end": ecc_end,
        "con_mid": 0.5 * (con_start + con_end),
        "ecc_mid": 0.5 * (ecc_start + ecc_end),
    }
    for i, (set_number, rep_number, flags) in enumerate(zip(reps[C.SET], reps[C.REP], reps[C.FLAGS])):
        for rule in list(flags or []):
            time, where = float("nan"), ""
            if rule in signal_moment:
                time, where = float(signal_moment[rule][0][i]), signal_moment[rule][1]
            if not np.isfinite(time):
                anchor, where = _PHASE_ANCHOR.get(rule, ("ecc_mid", "middle of the descent"))
                time = float(anchors[anchor][i])
                if not np.isfinite(time):  # e.g. a rep without a lift
                    time, where = float(anchors["ecc_mid"][i]), "middle of the descent"
            rows.append({C.SET: int(set_number), C.REP: int(rep_number), "rule": str(rule),
                         "time_s": time, "where": where})
    return pd.DataFrame(rows, columns=list(FLAG_MOMENT_COLUMNS))


def _longest_run_start(mask: np.ndarray) -> int | None:
    """Index where the longest run of True in ``mask`` starts (None if no True)."""
    runs = mask_to_runs(mask)
    if runs.shape[0] == 0:
        return None
    return int(runs[np.argmax(runs[:, 1] - runs[:, 0]), 0])
