"""Set-level rules over the (scored) rep table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

__all__ = [
    "SetFinding",
    "trailing_negatives",
    "check_control_fading",
    "check_rep_count",
]


@dataclass(frozen=True)
class SetFinding:
    """One set that broke (or, for reported rules, simply has) a set rule."""

    rule: str
    set: int
    value: float
    threshold: str  # human-readable limit, e.g. "<= 6" or "2-5"
    detail: str


def trailing_negatives(ecc_duration_s: np.ndarray, *, negative_min_s: float) -> np.ndarray:
    """Which reps of one set are the trailing negatives of a beyond-failure set.

    The negatives are the run of reps at the end of the set whose descent lasts
    at least ``negative_min_s`` (the full reps to failure before them are
    lowered faster).
    """
    ecc = np.asarray(ecc_duration_s, dtype=float)
    slow = np.isfinite(ecc) & (ecc >= negative_min_s)
    # Length of the run of True at the end: position of the last False + 1.
    fast_positions = np.flatnonzero(~slow)
    first_negative = fast_positions[-1] + 1 if fast_positions.size else 0
    out = np.zeros(ecc.shape, dtype=bool)
    out[first_negative:] = True
    return out


def check_control_fading(
    set_number: int,
    ecc_duration_s: np.ndarray,
    rep_flags: Sequence[Iterable[str]],
    *,
    counts_flags: Iterable[str],
    min_last_to_first: float,
    max_flagged_reps: float,
) -> SetFinding | None:
    """Last descent much shorter than the first, or several reps that broke control rules."""
    counted = set(counts_flags)
    n_flagged = sum(1 for flags in rep_flags if counted.intersection(flags))
    ecc = np.asarray(ecc_duration_s, dtype=float)
    ecc = ecc[np.isfinite(ecc)]
    ratio = float(ecc[-1] / ecc[0]) if ecc.size >= 2 and ecc[0] > 0 else float("nan")
    shorter = bool(np.isfinite(ratio) and ratio < min_last_to_first)
    many = n_flagged >= max_flagged_reps
    if not (shorter or many):
        return None
    parts = []
    if shorter:
        parts.append(
            f"last descent {ecc[-1]:.1f} s is {ratio:.0%} of the first ({ecc[0]:.1f} s; "
            f"limit {min_last_to_first:.0%})"
        )
    if many:
        parts.append(f"{n_flagged} reps broke control rules (limit {int(max_flagged_reps)})")
    return SetFinding("control_fading", set_number, ratio, f">= {min_last_to_first:g}", "; ".join(parts))


def check_rep_count(
    rule: str,
    set_number: int,
    count: int,
    *,
    low: float | None,
    high: float | None,
    what: str = "reps",
) -> SetFinding | None:
    """A count outside ``[low, high]`` (either bound may be None)."""
    below = low is not None and count < low
    above = high is not None and count > high
    if not (below or above):
        return None
    if low is not None and high is not None:
        limit = f"{int(low)}-{int(high)}"
    elif high is not None:
        limit = f"<= {int(high)}"
    else:
        limit = f">= {int(low)}"
    return SetFinding(rule, set_number, float(count), limit, f"{count} {what} (target {limit})")
