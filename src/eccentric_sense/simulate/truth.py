"""Exact rep-table truth from the dense true kinematics.

This is an independent implementation of the definitions in the rep-table
contract (``docs/rep-table.md``) and of the cheap rep and set rules of the
criteria catalog.  It deliberately does not import the analysis pipeline: it
is the reference that the pipeline is judged against.

Interpretations the contract leaves open (documented in docs/simulator.md):

* "reverses": the bar moves the other way faster than the phase threshold
  (0.02 m/s), i.e. an opposite phase starts.  Physiological tremor alone
  (8-11 Hz, tens of micrometres) makes the velocity change sign by a few mm/s
  inside every slow stall; that is not a reversal anyone could measure.
* A phase already under way at the first recorded sample, or still under way
  at the last one, is incomplete and not part of any rep.
* Every eccentric phase is a rep.  Top-start sets pair it with the concentric
  right after it, bottom-start sets with the concentric right before it (if
  that one is not taken); a concentric without an eccentric partner is not a
  rep (e.g. the jump before the first negative pull-up).
* ``pause_bottom_s``/``pause_top_s`` are the gaps between the phase
  boundaries (NaN where the neighbouring phase does not exist); the tempo
  rounds each part to whole seconds (half up) and writes 0 for NaN parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy.signal import butter, sosfiltfilt

from .. import columns as C
from ..constants import (
    ACC_LOWPASS_HZ,
    DROP_ACC_G,
    DROP_MIN_DURATION_S,
    MIN_REP_TRAVEL_M,
    PHASE_SPEED_THRESHOLD_M_S,
    SET_BREAK_REST_S,
    STALL_TOLERANCE_S,
    STANDARD_GRAVITY,
)
from .specs import ECC_TARGET

__all__ = ["TruthPhase", "SetContext", "find_phases", "truth_tables", "lowpass_10hz", "REVERSAL_SPEED_M_S"]

#: Opposite-direction speed that counts as reversing inside a stall, m/s.
REVERSAL_SPEED_M_S = PHASE_SPEED_THRESHOLD_M_S
HARD_BOTTOM_M_S2 = 3.0
LATE_BRAKING_FRACTION = 0.25
LATE_BRAKING_RATIO = 1.5
SHORT_ROM_FRACTION = 0.85
SLOW_CONCENTRIC_S = 3.0
SWING_RMS_M_S2 = 0.3
SWING_HOLD_S = 0.5
UNSTEADY_MIN_HOLD_S = 0.5
UNSTEADY_WINDOW_S = 1.0


@dataclass(frozen=True)
class TruthPhase:
    """A phase on the dense grid: samples ``[start, end]`` inclusive."""

    kind: str  # "eccentric" | "concentric"
    start: int
    end: int


@dataclass(frozen=True)
class SetContext:
    """What the simulator knows about a set (for pairing order and protocol targets)."""

    start_s: float
    end_s: float
    exercise: str
    protocol: str
    top_start: bool


def lowpass_10hz(acc: np.ndarray, rate_hz: float) -> np.ndarray:
    """Zero-phase 4th-order Butterworth low-pass at 10 Hz (the rep-table filter)."""
    sos = butter(4, ACC_LOWPASS_HZ, fs=rate_hz, output="sos")
    return sosfiltfilt(sos, acc)


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (inclusive) indices of the True runs of ``mask``."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1


def find_phases(
    time_s: np.ndarray,
    z_m: np.ndarray,
    v_m_s: np.ndarray,
    *,
    min_travel_m: float = MIN_REP_TRAVEL_M,
    threshold_m_s: float = PHASE_SPEED_THRESHOLD_M_S,
    stall_s: float = STALL_TOLERANCE_S,
) -> list[TruthPhase]:
    """Eccentric and concentric phases by the rep-table definition.

    A phase runs while the speed in its direction exceeds ``threshold_m_s``;
    runs of the same direction separated by less than ``stall_s`` without a
    reversal are one phase; phases travelling less than ``min_travel_m`` are
    dropped; phases cut by the ends of the arrays are dropped.
    """
    phases: list[tuple[str, int, int]] = []
    for kind, sign in (("eccentric", -1.0), ("concentric", 1.0)):
        starts, ends = _runs(sign * v_m_s > threshold_m_s)
        for s, e in zip(starts, ends):
            phases.append((kind, int(s), int(e)))
    phases.sort(key=lambda p: p[1])
    reversed_ = {"eccentric": v_m_s > REVERSAL_SPEED_M_S, "concentric": v_m_s < -REVERSAL_SPEED_M_S}
    # (with the default threshold a reversal is exactly an opposite phase in the gap)
    merged: list[tuple[str, int, int]] = []
    for kind, s, e in phases:
        if merged and merged[-1][0] == kind:
            prev_kind, ps, pe = merged[-1]
            gap = time_s[s] - time_s[pe]
            if gap < stall_s and not np.any(reversed_[kind][pe + 1 : s]):
                merged[-1] = (kind, ps, e)
                continue
        merged.append((kind, s, e))
    out = []
    last = v_m_s.size - 1
    for kind, s, e in merged:
        if s == 0 or e == last:
            continue  # under way when the recording started or ended
        if abs(z_m[e] - z_m[s]) < min_travel_m:
            continue
        out.append(TruthPhase(kind, s, e))
    return out


def _tempo(parts: Sequence[float]) -> str:
    return "-".join(str(int(np.floor(p + 0.5))) if np.isfinite(p) else "0" for p in parts)


def _longest_run_s(mask: np.ndarray, dt: float) -> float:
    if not np.any(mask):
        return 0.0
    starts, ends = _runs(mask)
    return float((ends - starts + 1).max() * dt)


def truth_tables(
    time_s: np.ndarray,
    z_m: np.ndarray,
    v_m_s: np.ndarray,
    a_m_s2: np.ndarray,
    horizontal_acc_m_s2: np.ndarray,
    sets: Sequence[SetContext],
    *,
    to_recording_time: tuple[float, float] = (0.0, 1.0),
    min_travel_m: float = MIN_REP_TRAVEL_M,
    unsteady_holds: Sequence[tuple[float, float]] = (),
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The truth rep table and set table of a recording window.

    Parameters
    ----------
    time_s, z_m, v_m_s, a_m_s2
        Dense, uniformly sampled true vertical kinematics of the recorded
        window (true time).
    horizontal_acc_m_s2
        Magnitude of the true horizontal acceleration (for ``swinging``).
    sets
        The simulated sets (pairing order, protocol), in true time.
    to_recording_time
        ``(offset, scale)``: recording time = offset + scale * true time.
    min_travel_m
        Minimum travel of a rep phase.
    unsteady_holds
        ``(start, end)`` true times of hand-off holds the simulator made
        unsteady (sway of 1-2 cm, rocking of a few degrees: far above the
        rule's 0.05 m/s^2 floor).  ``unsteady_handoff`` is flagged for
        negative-only and negative pull-up reps whose last second before the
        descent overlaps one, or whose still hold after the previous lift is
        shorter than 0.5 s.

    Returns
    -------
    reps, sets, a_lp
        DataFrames with ``columns.REP_TABLE_COLUMNS`` and
        ``columns.SET_TABLE_COLUMNS``, and the 10 Hz low-passed acceleration.
    """
    dt = float(np.median(np.diff(time_s)))
    rate = 1.0 / dt
    a_lp = lowpass_10hz(a_m_s2, rate)
    phases = find_phases(time_s, z_m, v_m_s, min_travel_m=min_travel_m)
    offset, scale = to_recording_time

    def rec(t: float) -> float:
        return float(offset + scale * t)

    # Sets: a rest of SET_BREAK_REST_S without phases starts a new set.
    groups: list[list[TruthPhase]] = []
    for ph in phases:
        if groups and time_s[ph.start] - time_s[groups[-1][-1].end] < SET_BREAK_REST_S:
            groups[-1].append(ph)
        else:
            groups.append([ph])

    rep_rows: list[dict[str, Any]] = []
    set_rows: list[dict[str, Any]] = []
    for group in groups:
        t_mid = time_s[group[0].start]
        context = min(sets, key=lambda s: 0.0 if s.start_s - 1 <= t_mid <= s.end_s + 1 else min(abs(t_mid - s.start_s), abs(t_mid - s.end_s)))
        pairs: list[tuple[TruthPhase, TruthPhase | None]] = []
        used: set[int] = set()
        for j, ph in enumerate(group):
            if ph.kind != "eccentric":
                continue
            partner_index = j + 1 if context.top_start else j - 1
            partner = None
            if 0 <= partner_index < len(group) and group[partner_index].kind == "concentric" and partner_index not in used:
                partner = group[partner_index]
                used.add(partner_index)
            pairs.append((ph, partner))
        if not pairs:
            continue
        set_number = len(set_rows) + 1
        rows: list[dict[str, Any]] = []
        for k, (ecc, con) in enumerate(pairs):
            es, ee = ecc.start, ecc.end
            speed_down = -v_m_s[es : ee + 1]
            ecc_duration = time_s[ee] - time_s[es]
            window = max(0.3 * ecc_duration, 0.5)
            w0 = max(es, int(np.searchsorted(time_s, time_s[ee] - window - 1e-12)))
            row: dict[str, Any] = {
                C.SET: set_number,
                C.REP: k + 1,
                C.ECC_START_S: rec(time_s[es]),
                C.ECC_END_S: rec(time_s[ee]),
                C.ECC_DURATION_S: rec(time_s[ee]) - rec(time_s[es]),
                C.ECC_MEAN_VELOCITY: float(np.mean(speed_down)),
                C.ECC_PEAK_VELOCITY: float(np.max(speed_down)),
                C.BOTTOM_PEAK_DECEL: float(np.max(a_lp[w0 : ee + 1])),
                C.ROM: float(z_m[es] - z_m[ee]),
            }
            if con is not None:
                cs, ce = con.start, con.end
                speed_up = v_m_s[cs : ce + 1]
                row.update(
                    {
                        C.CON_START_S: rec(time_s[cs]),
                        C.CON_END_S: rec(time_s[ce]),
                        C.CON_DURATION_S: rec(time_s[ce]) - rec(time_s[cs]),
                        C.CON_MEAN_VELOCITY: float(np.mean(speed_up)),
                        C.CON_PEAK_VELOCITY: float(np.max(speed_up)),
                    }
                )
            else:
                for name in (C.CON_START_S, C.CON_END_S, C.CON_DURATION_S, C.CON_MEAN_VELOCITY, C.CON_PEAK_VELOCITY):
                    row[name] = np.nan
            # Flags computed on the signal (the others need the whole set).
            flags: list[str] = []
            drop = a_lp[es : ee + 1] <= -DROP_ACC_G * STANDARD_GRAVITY
            if _longest_run_s(drop, dt) >= DROP_MIN_DURATION_S - 1e-9:
                flags.append(C.UNCONTROLLED_DESCENT)
            peak_index = int(np.argmax(speed_down))
            half = speed_down[: max(1, speed_down.size // 2)]
            if (
                peak_index / max(speed_down.size - 1, 1) >= 1 - LATE_BRAKING_FRACTION
                and speed_down[peak_index] > LATE_BRAKING_RATIO * float(np.median(half))
            ):
                flags.append("late_braking")
            if row[C.BOTTOM_PEAK_DECEL] > HARD_BOTTOM_M_S2:
                flags.append("hard_bottom")
            if context.exercise in ("pullup", "dip"):
                h0 = int(np.searchsorted(time_s, time_s[es] - SWING_HOLD_S))
                rms = float(np.sqrt(np.mean(horizontal_acc_m_s2[h0 : ee + 1] ** 2)))
                if rms > SWING_RMS_M_S2:
                    flags.append("swinging")
            if context.protocol in ("negative_only", "pullup_negative"):
                before = time_s[es]
                moved = any(h0 < before and h1 > before - UNSTEADY_WINDOW_S for h0, h1 in unsteady_holds)
                previous_end = [time_s[p.end] for p in group if p.end < es]
                short_hold = bool(previous_end) and before - previous_end[-1] < UNSTEADY_MIN_HOLD_S
                if moved or short_hold:
                    flags.append("unsteady_handoff")
            row["_flags"] = flags
            row["_ecc"] = ecc
            row["_con"] = con
            rows.append(row)
        # Pauses and tempo need the neighbouring reps.
        for k, row in enumerate(rows):
            ecc, con = row["_ecc"], row["_con"]
            nxt = rows[k + 1] if k + 1 < len(rows) else None
            if context.top_start:
                pause_bottom = row[C.CON_START_S] - row[C.ECC_END_S] if con is not None else np.nan
                pause_top = nxt[C.ECC_START_S] - row[C.CON_END_S] if (nxt is not None and con is not None) else np.nan
            else:
                pause_top = row[C.ECC_START_S] - row[C.CON_END_S] if con is not None else np.nan
                pause_bottom = (
                    nxt[C.CON_START_S] - row[C.ECC_END_S] if (nxt is not None and nxt["_con"] is not None) else np.nan
                )
            row[C.PAUSE_BOTTOM_S] = float(pause_bottom)
            row[C.PAUSE_TOP_S] = float(pause_top)
            row[C.TEMPO] = _tempo((row[C.ECC_DURATION_S], pause_bottom, row[C.CON_DURATION_S], pause_top))
        roms = np.array([r[C.ROM] for r in rows])
        median_rom = float(np.median(roms))
        target = ECC_TARGET.get(context.protocol)
        for row in rows:
            flags = row.pop("_flags")
            row.pop("_ecc")
            row.pop("_con")
            if isinstance(target, tuple):
                if np.isfinite(row[C.CON_DURATION_S]) and row[C.ECC_DURATION_S] < target[1] * row[C.CON_DURATION_S]:
                    flags.insert(0, "ecc_too_fast")
            elif target is not None and row[C.ECC_DURATION_S] < target:
                flags.insert(0, "ecc_too_fast")
            if row[C.ROM] < SHORT_ROM_FRACTION * median_rom:
                flags.append("short_rom")
            if context.protocol == "negative_only" and row[C.CON_DURATION_S] > SLOW_CONCENTRIC_S:
                flags.append("slow_concentric")
            row[C.CONTROL_SCORE] = np.nan
            row[C.FLAGS] = flags
        rep_rows.extend(rows)
        set_rows.append(_set_row(set_number, rows, context))
    reps = pd.DataFrame(rep_rows, columns=list(C.REP_TABLE_COLUMNS))
    sets_frame = pd.DataFrame(set_rows, columns=list(C.SET_TABLE_COLUMNS))
    return reps, sets_frame, a_lp


def _set_row(number: int, rows: list[dict[str, Any]], context: SetContext) -> dict[str, Any]:
    starts = [r[C.ECC_START_S] for r in rows] + [r[C.CON_START_S] for r in rows if np.isfinite(r[C.CON_START_S])]
    ends = [r[C.ECC_END_S] for r in rows] + [r[C.CON_END_S] for r in rows if np.isfinite(r[C.CON_END_S])]
    ecc_durations = np.array([r[C.ECC_DURATION_S] for r in rows])
    con_velocities = np.array([r[C.CON_MEAN_VELOCITY] for r in rows], dtype=float)
    finite_con = con_velocities[np.isfinite(con_velocities)]
    loss = (
        float(100.0 * (finite_con.max() - finite_con[-1]) / finite_con.max()) if finite_con.size >= 2 else np.nan
    )
    flags: list[str] = []
    flagged = sum(1 for r in rows if r[C.FLAGS])
    if len(rows) >= 2 and (ecc_durations[-1] < 0.7 * ecc_durations[0] or flagged >= 2):
        flags.append("control_fading")
    if context.protocol == "heavy_negatives" and len(rows) > 6:
        flags.append("too_many_reps")
    if context.protocol == "forced_positive" and not 6 <= len(rows) <= 10:
        flags.append("rep_range")
    if context.protocol == "beyond_failure" and not 2 <= len(rows) <= 5:
        flags.append("negatives_count")
    return {
        C.SET: number,
        C.SET_START_S: float(min(starts)),
        C.SET_END_S: float(max(ends)),
        C.SET_REPS: len(rows),
        C.SET_FIRST_PHASE: "eccentric" if context.top_start else "concentric",
        C.SET_TIME_UNDER_LOAD_S: float(ecc_durations.sum()),
        C.SET_MEAN_ECC_DURATION_S: float(ecc_durations.mean()),
        C.SET_MEAN_ECC_VELOCITY: float(np.mean([r[C.ECC_MEAN_VELOCITY] for r in rows])),
        C.SET_MEAN_CON_VELOCITY: float(finite_con.mean()) if finite_con.size else np.nan,
        C.SET_VELOCITY_LOSS_PCT: loss,
        C.SET_FLAGS: flags,
    }
