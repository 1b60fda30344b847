"""From a :class:`Recording` to the rep table: the package's main entry point.

>>> result = analyze(recording, exercise="bench")      # doctest: +SKIP
>>> result.reps[["rep", "ecc_duration_s", "rom_m"]]    # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from . import columns as C
from .constants import (
    ACC_LOWPASS_HZ,
    BAR_EXERCISES,
    BOTTOM_START_EXERCISES,
    DROP_ACC_G,
    DROP_MIN_DURATION_S,
    EXERCISES,
    FAST_END_FRACTION,
    MIN_REP_TRAVEL_M,
    PHASE_SPEED_THRESHOLD_M_S,
    SET_BREAK_REST_S,
    STALL_TOLERANCE_S,
    STANDARD_GRAVITY,
    TOP_START_EXERCISES,
)
from .errors import AnalysisError, ConfigError
from .pipeline._runs import block_spans, mask_to_runs, running_sum, runs_to_labels, runs_to_mask
from .pipeline.calibration import QuietDetector, fit_accelerometer_calibration, fit_axis_sensitivity, quiet_piece_means
from .pipeline.drift import (
    DriftCorrectedIntegration,
    closure_pairs,
    estimate_bias_from_closure,
    hold_rests,
    integrate_by_block,
    pin_reversals,
    refine_by_closure,
    reversals_between,
    stationary_points,
    turn_rests,
)
from .pipeline.events import longest_time_below
from .pipeline.segmentation import CONCENTRIC, ECCENTRIC, PhaseSegmenter
from .pipeline.timebase import BATCHED_CUTOFF_HZ, regularize_timebase
from .pipeline.types import Kinematics, Phase, RepSegment, SetSegment, phase_indices
from .pipeline.vertical import GyroAidedVertical, horizontal_acceleration, lowpass_zero_phase, vertical_acceleration
from .recording import Recording, median_reading_g, units_advice

__all__ = ["AnalysisSettings", "AnalysisResult", "analyze", "compute_kinematics", "distinct_sensor_rate_hz", "rep_table", "trace_table"]

#: Short-range exercises get a lower minimum travel by default (a curl moves ~0.4 m,
#: but wrist curls, shrugs or partial presses much less).
_MIN_TRAVEL_BY_EXERCISE = {"curl": 0.12, "row": 0.12, "dip": 0.12}


@dataclass(frozen=True)
class AnalysisSettings:
    """Settings of the analysis (the rep-table definition's numbers are defaults)."""

    phase_speed_threshold_m_s: float = PHASE_SPEED_THRESHOLD_M_S
    stall_tolerance_s: float = STALL_TOLERANCE_S
    min_rep_travel_m: float | None = None  # None: per exercise default
    set_break_rest_s: float = SET_BREAK_REST_S
    first_phase: str | None = None  # force "eccentric"/"concentric"-first pairing
    max_interp_gap_s: float = 1.0  # only dropouts with calm data around them; 0.3 s always
    batched_cutoff_hz: float = BATCHED_CUTOFF_HZ  # low-pass of host-batched samples (inf: none)
    drop_acc_g: float = DROP_ACC_G
    drop_min_duration_s: float = DROP_MIN_DURATION_S
    max_closure_bias_mps2: float = 0.4  # ~0.04 g: larger "biases" come from a wrong segmentation
    closure_bias: bool = True  # estimate the rotation-exposed accelerometer bias from position closure


@dataclass
class AnalysisResult:
    """Everything the analysis found in one recording.

    Attributes
    ----------
    recording : the input
    kinematics : vertical bar kinematics on a uniform grid
    segments : sets, reps and phases (grid indices)
    reps : the rep table (``columns.REP_TABLE_COLUMNS``)
    sets : the set table (``columns.SET_TABLE_COLUMNS``)
    exercise : the exercise hint used, if any
    diagnostics : numbers about the signal (glitches removed, gaps, calibration)
    """

    recording: Recording
    kinematics: Kinematics
    segments: list[SetSegment]
    reps: pd.DataFrame
    sets: pd.DataFrame
    exercise: str | None
    settings: AnalysisSettings
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def trace(self) -> pd.DataFrame:
        """The analysed signal sample by sample, with set, rep and phase (see :func:`trace_table`).

        For plotting a set, or checking the analysis against another device
        (a linear position transducer, a camera) sample by sample.
        """
        return trace_table(self.kinematics, self.reps)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of the rep-table contract (NaN becomes ``null``)."""
        meta: dict[str, Any] = dict(self.recording.metadata)
        if self.recording.source:
            meta.setdefault("source", self.recording.source)
        meta.setdefault("duration_s", round(self.recording.duration_s, 6))
        meta.setdefault("n_samples", self.recording.n_samples)
        meta.setdefault("gyroscope", self.recording.has_gyroscope)
        if self.exercise:
            meta["exercise"] = self.exercise
        if self.diagnostics.get("notes"):
            meta["analysis_notes"] = list(self.diagnostics["notes"])
        return {
            "recording": meta,
            "sets": _records(self.sets),
            "reps": _records(self.reps),
        }


def distinct_sensor_rate_hz(diagnostics: dict[str, Any], analysis_rate_hz: float, *, tolerance: float = 0.03) -> float | None:
    """The sensor's rate when the analysis runs at another (by more than ``tolerance``), else None.

    Fast sensors are analysed at 100-125 Hz, and a host-stamped stream at
    its stamps' median interval: then the sensor's rate is worth naming.
    """
    sensor = diagnostics.get("sensor_rate_hz")
    if not sensor or abs(sensor / analysis_rate_hz - 1.0) <= tolerance:
        return None
    return float(sensor)


def trace_table(kin: Kinematics, reps: pd.DataFrame) -> pd.DataFrame:
    """The analysed signal sample by sample, labelled with its set, rep and phase.

    Parameters
    ----------
    kin : the kinematics of an analysis
    reps : its rep table

    Returns
    -------
    DataFrame with ``columns.TRACE_COLUMNS``, one row per sample of the
    analysis grid.  ``set`` and ``rep`` are 0 outside reps; ``phase`` is
    "eccentric" or "concentric" on a phase's samples (the same samples the
    rules judge, :func:`~eccentric_sense.pipeline.types.phase_indices`),
    "pause" between the phases of one rep, "" elsewhere.  Acceleration,
    velocity and displacement are NaN in data gaps (nothing is measured
    there); displacement restarts at zero after each gap.
    """
    t = kin.time_s
    n = t.size
    set_of = np.zeros(n, dtype=np.int64)
    rep_of = np.zeros(n, dtype=np.int64)
    phase = np.full(n, "", dtype=object)
    if len(reps):
        ecc = phase_indices(t, reps[C.ECC_START_S].to_numpy(float), reps[C.ECC_END_S].to_numpy(float))
        con = phase_indices(t, reps[C.CON_START_S].to_numpy(float), reps[C.CON_END_S].to_numpy(float))
        # A rep spans from its first phase's start to its last phase's end;
        # a missing phase is empty (start == end) and is left out.
        has_ecc, has_con = ecc[1] > ecc[0], con[1] > con[0]
        first = np.where(has_ecc & has_con, np.minimum(ecc[0], con[0]), np.where(has_ecc, ecc[0], con[0]))
        last = np.where(has_ecc & has_con, np.maximum(ecc[1], con[1]), np.where(has_ecc, ecc[1], con[1]))
        row = runs_to_labels(np.column_stack([first, last]), np.arange(1, len(reps) + 1), n) - 1  # rep table row, -1 outside
        inside = row >= 0
        set_of[inside] = reps[C.SET].to_numpy()[row[inside]]
        rep_of[inside] = reps[C.REP].to_numpy()[row[inside]]
        phase[inside] = C.TRACE_PAUSE
        for kind, (start, end) in (("eccentric", ecc), ("concentric", con)):
            phase[runs_to_mask(np.column_stack([start, end]), n)] = kind
    measured = ~kin.gap
    return pd.DataFrame(
        {
            C.TRACE_TIME_S: t,
            C.SET: set_of,
            C.REP: rep_of,
            C.TRACE_PHASE: phase,
            C.TRACE_VERTICAL_ACC: np.where(measured, kin.vertical_acc_mps2, np.nan),
            C.TRACE_VELOCITY: np.where(measured, kin.velocity_m_s, np.nan),
            C.TRACE_DISPLACEMENT: np.where(measured, kin.displacement_m, np.nan),
            C.TRACE_AT_REST: kin.still & measured,
            C.TRACE_GAP: kin.gap.copy(),
        },
        columns=list(C.TRACE_COLUMNS),
    )


def _clean(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        # Microsecond / micrometre resolution is far below what any sensor resolves.
        return None if not math.isfinite(float(value)) else round(float(value), 6)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_clean(v) for v in value]
    if value is pd.NA:
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


# ----------------------------------------------------------------------------- kinematics

@dataclass
class _PipelineState:
    """Intermediate signals the second pass needs (not part of the public result)."""

    uniform: Any
    calibration: Any
    up_sensor: np.ndarray  # direction of "up" in the sensor frame, per sample
    quiet: np.ndarray
    valid: np.ndarray
    vertical: np.ndarray
    integration: DriftCorrectedIntegration
    turn_rest: np.ndarray  # quiet samples next to a rest-to-rest burst
    held: np.ndarray  # samples where the bar is taken as held still (a sleeve spin without a gyroscope)


def _first_pass(recording: Recording, settings: AnalysisSettings) -> tuple[Kinematics, dict[str, Any], _PipelineState]:
    if recording.n_samples < 10:
        raise AnalysisError(
            f"{recording.source or 'recording'}: only {recording.n_samples} samples; "
            "at least a few seconds of data are needed"
        )
    _check_gravity_reading(recording)
    uniform = regularize_timebase(
        recording.time_s, recording.acc_mps2, recording.gyr_rads, max_interp_gap_s=settings.max_interp_gap_s,
        batched_cutoff_hz=settings.batched_cutoff_hz,
    )
    fs = uniform.sample_rate_hz
    valid = ~uniform.gap
    detector = QuietDetector().detect(uniform.acc_mps2, uniform.gyr_rads, fs, valid=valid)
    quiet = detector.quiet_ & valid
    # Equalise the axes' sensitivities first: everything below models the
    # reading of gravity as the same in every orientation up to an offset.
    means, lengths = quiet_piece_means(uniform.acc_mps2, quiet, fs)
    axis_bias, axis_gains = fit_axis_sensitivity(uniform.acc_mps2, quiet, fs, piece_means=(means, lengths))
    if np.any(axis_gains != 1.0):
        uniform = replace(uniform, acc_mps2=axis_bias + (uniform.acc_mps2 - axis_bias) * axis_gains)
        means = axis_bias + (means - axis_bias) * axis_gains  # the pieces' means follow the per-axis correction
    calibration = fit_accelerometer_calibration(uniform.acc_mps2, quiet, fs, piece_means=(means, lengths))
    if uniform.gyr_rads is not None:
        aided = GyroAidedVertical(scale=calibration.scale).estimate(
            uniform.acc_mps2, uniform.gyr_rads, quiet, uniform.block, fs, reading_quiet=detector.acc_quiet_ & valid
        )
        vertical, horizontal = aided.vertical_, aided.horizontal_
        up_sensor = aided.gravity_direction_sensor_
        held = np.zeros(vertical.size, dtype=bool)  # the gyroscope tracks a spin
    else:
        # No gyroscope: the rotation-invariant norm method.
        vertical, held = vertical_acceleration(uniform.acc_mps2, calibration, quiet, fs, valid=valid, return_held=True)
        horizontal = horizontal_acceleration(uniform.acc_mps2, None, fs, calibration)
        force = uniform.acc_mps2 - calibration.bias_mps2
        up_sensor = force / np.maximum(np.linalg.norm(force, axis=1, keepdims=True), 1e-9)
    vertical[~valid] = 0.0
    # Quiet samples right before and after a rest-to-rest burst (a lift, a
    # fast descent) are rests, whatever the first integration would make of
    # them.  With a gyroscope always.  Without one the burst's "no change of
    # speed" is as good as the norm method's lifts (arcs projected between
    # the poses either side, pauses in a new pose included); but a
    # continuous tempo set's burst from one cruise to the next changes no
    # speed either, and there the cruises become rests and the bar climbs
    # by a lift per rep.  So the rests are kept only if the bar then comes
    # back at least as well: its height over the long rests spreads no more
    # than without them.
    turns = turn_rests(vertical, quiet & valid, fs)
    # An unsteady hand-off is no quiet stretch, but a hold all the same: from
    # here on it counts as quiet, and as a rest like the turns.
    holds = hold_rests(vertical, quiet & valid, fs) & valid
    quiet = quiet | holds
    turns = turns | holds
    if uniform.gyr_rads is not None:
        integration = DriftCorrectedIntegration().estimate(vertical, quiet, fs, uniform.block, known_rest=turns, lost=uniform.lost)
    else:
        integration = DriftCorrectedIntegration().estimate(vertical, quiet, fs, uniform.block, lost=uniform.lost)
        trial = integration.reestimate(known_rest=turns) if turns.any() else None
        if trial is not None and _rest_height_spread(trial, uniform.block, fs) <= _rest_height_spread(integration, uniform.block, fs):
            integration = trial
        else:
            turns = np.zeros(quiet.size, dtype=bool)
    kinematics = _kinematics(uniform.time_s, fs, vertical, integration, horizontal, uniform.gap)
    diagnostics = {
        "input_rate_hz": uniform.input_rate_hz,
        "sensor_rate_hz": uniform.sensor_rate_hz,
        "analysis_rate_hz": fs,
        "glitches_removed": uniform.n_glitches,
        "disturbed_s": float(uniform.n_disturbed / fs),
        "gap_s": float(uniform.gap.sum() / fs),
        "gravity_reading_g": calibration.gravity_reading_mps2 / STANDARD_GRAVITY,
        "accelerometer_bias_g": (calibration.bias_mps2 / STANDARD_GRAVITY).round(4).tolist(),
        "accelerometer_axis_gains": axis_gains.round(4).tolist(),
        "quiet_fraction": float(quiet.mean()),
    }
    diagnostics["notes"] = _data_notes(uniform)
    state = _PipelineState(uniform, calibration, up_sensor, quiet, valid, vertical, integration, turns, held)
    return kinematics, diagnostics, state


def _rest_height_spread(integration: DriftCorrectedIntegration, block: np.ndarray, fs: float, *, min_rest_s: float = 2.0) -> float:
    """How far apart the bar's heights over its rests of ``min_rest_s`` or more lie, summed over gap-free blocks, m.

    The bar comes back to the rack, the floor or the hang between sets: a
    spread of metres is an integration that took descents for rests.
    """
    runs = mask_to_runs(integration.still_)
    runs = runs[runs[:, 1] - runs[:, 0] >= min_rest_s * fs]
    if runs.shape[0] < 2:
        return 0.0
    csum = running_sum(integration.displacement_)
    heights = (csum[runs[:, 1]] - csum[runs[:, 0]]) / (runs[:, 1] - runs[:, 0])
    run_block = block[runs[:, 0]]
    spread = 0.0
    for b in np.unique(run_block):  # per gap-free block (heights restart in each)
        h = heights[run_block == b]
        spread += float(h.max() - h.min())
    return spread


#: The lowest input rate the analysis has been validated at (benchmarks: 25-1000 Hz).
MIN_VALIDATED_RATE_HZ = 25.0


def _data_notes(uniform: Any) -> list[str]:
    """Plain-language caveats about the data that the user should see with the results.

    The analysis copes with low rates, dropouts and corrupted packets, but
    what it cannot know it has to say: a rep that spans a dropout is cut or
    lost, and below 25 Hz descent times and ranges are rougher than the
    benchmarks report.
    """
    notes = []
    rate = float(uniform.sensor_rate_hz or uniform.input_rate_hz)
    if rate < MIN_VALIDATED_RATE_HZ - 0.5:
        notes.append(
            f"the data arrived at {rate:.3g} Hz, below the {MIN_VALIDATED_RATE_HZ:.0f} Hz the analysis is validated "
            "at: expect descent times and ranges of motion to be rougher"
        )
    lost = uniform.lost if uniform.lost is not None else uniform.gap
    runs = mask_to_runs(lost)
    if runs.shape[0]:
        seconds = (runs[:, 1] - runs[:, 0]) / uniform.sample_rate_hz
        notes.append(
            f"{runs.shape[0]} data gap{'s' if runs.shape[0] > 1 else ''} of {seconds.sum():.1f} s in all "
            f"(longest {seconds.max():.1f} s, at {uniform.time_s[runs[int(np.argmax(seconds)), 0]]:.1f} s): "
            "a rep that spans a gap is cut short or missed"
        )
    if uniform.n_glitches:
        notes.append(
            f"{uniform.n_glitches} corrupted sample{'s were' if uniform.n_glitches > 1 else ' was'} repaired "
            "(blank packets or one-sample spikes)"
        )
    return notes


def _check_gravity_reading(recording: Recording) -> None:
    """Refuse a recording whose accelerometer cannot be in the units it claims.

    Values in m/s^2 under ``_g`` column names read 9.8 g at rest, values in
    g under ``_mps2`` names 0.1 g, raw counts thousands of g; each would go
    through the analysis as a bar that never moves ("no reps found").
    """
    reading_g = median_reading_g(recording.acc_mps2)
    if reading_g == 0.0:
        raise AnalysisError(f"{recording.source or 'recording'}: the accelerometer reads zero throughout")
    advice = units_advice(reading_g)
    if advice is not None:
        raise AnalysisError(
            f"{recording.source or 'recording'}: the accelerometer reads {reading_g:.3g} g (median magnitude), "
            f"about 1 g expected from gravity; {advice}"
        )


def _kinematics(time_s, fs, vertical, integration, horizontal, gap, previous: Kinematics | None = None) -> Kinematics:
    valid = ~gap
    # Re-integrations keep the vertical acceleration: its low-pass is reused.
    same = previous is not None and previous.vertical_acc_mps2 is vertical
    return Kinematics(
        time_s=time_s,
        sample_rate_hz=fs,
        vertical_acc_mps2=vertical,
        vertical_acc_lp_mps2=previous.vertical_acc_lp_mps2 if same else lowpass_zero_phase(vertical, ACC_LOWPASS_HZ, fs),
        velocity_m_s=np.where(valid, integration.velocity_, np.nan),
        displacement_m=np.where(valid, integration.displacement_, np.nan),
        horizontal_acc_mps2=horizontal,
        still=integration.still_,
        gap=gap,
    )


def compute_kinematics(recording: Recording, settings: AnalysisSettings | None = None) -> tuple[Kinematics, dict[str, Any]]:
    """First pass of the signal pipeline (no rep-aware refinement): timebase,
    calibration, vertical acceleration, drift-free integration."""
    kinematics, diagnostics, _ = _first_pass(recording, settings or AnalysisSettings())
    return kinematics, diagnostics


# ----------------------------------------------------------------------------- metrics

def _phase_speeds(kin: Kinematics, phase: Phase, sign: int) -> tuple[float, float, float]:
    """Mean speed, peak speed and travel of a phase in its own direction."""
    v = sign * _bridged(kin.velocity_m_s[phase.start_index : phase.end_index])
    travel = float(np.sum(v) / kin.sample_rate_hz)
    duration = phase.duration_s
    mean_speed = travel / duration if duration > 0 else float("nan")
    return mean_speed, float(np.max(v)) if v.size else float("nan"), travel


def _closed_rom(kin: Kinematics, descent: Phase, lift: Phase, rom: float, *, max_window_s: float = 6.0) -> float:
    """A descent's travel, also measured through its own lift, weighted by how long each path integrates.

    A slow negative's travel is integrated over up to 12 s, and a residual
    velocity offset of a few mm/s (an accelerometer bias that wandered)
    adds to it in proportion to that time.  The rep's lift shares the
    descent's turning point (the bottom in a set that starts at the top, the
    top in one that starts with the lift) and ends where the descent began
    (the lockout, or the floor), so it covers the same height, measured over
    the pause at the turning point and a quick lift.  The two estimates are
    weighted by the inverse square of the time each one integrates (an
    offset's error grows in proportion to it).  Where the way round is
    longer than ``max_window_s`` (a rest, not a pause), crosses a data gap
    or goes the wrong way, the descent's own travel stands.
    """
    start, end = (descent.end_index, lift.end_index) if lift.start_s >= descent.end_s else (lift.start_index, descent.start_index)
    end = min(end, kin.time_s.size - 1)
    window_s = float(kin.time_s[end] - kin.time_s[start])
    if not (math.isfinite(rom) and 0 < window_s <= max_window_s and descent.duration_s > 0) or kin.gap[start:end].any():
        return rom
    back = float(np.sum(_bridged(kin.velocity_m_s[start:end])) / kin.sample_rate_hz)
    if not back > 0:
        return rom
    w_descent, w_back = 1.0 / descent.duration_s**2, 1.0 / window_s**2
    return (w_descent * rom + w_back * back) / (w_descent + w_back)


def _straighten_descents(
    kin: Kinematics,
    phases: tuple[np.ndarray, ...],
    *,
    min_window_s: float = 3.0,
    max_window_s: float = 16.0,
    lift_agreement_m: float = 0.03,
    max_lift_gap_s: float = 6.0,
    max_correction_m_s: float = 0.03,
    first_lift_horizon_s: float = 120.0,
    first_lift_support: int = 3,
    split_descent_s: float = 1.0,
) -> np.ndarray | None:
    """The velocity with each slow descent's bowed error removed, or ``None`` when no descent qualifies.

    An accelerometer offset wanders by a few tenths of a milli-g in the
    10-12 s of a negative.  Pinned to zero at the rests either side, the
    velocity then carries an error bowed like an arch: none at the ends,
    up to 0.01-0.02 m/s in the middle, enough to dip a 0.035 m/s cruise
    under the 0.02 m/s threshold and end the descent seconds early.  An
    offset changing linearly over the window from a descent's start to the
    next lift's start (``T`` long) gives exactly that arch,
    ``e(s) = c/2 * s * (s - T)``, whose integral ``-c T^3 / 12`` is how far
    the window's displacement misses the height the bar came down.  That
    height is what the lifts either side climb: the lift before the window
    ends at the top the descent leaves, the one after starts at the bottom
    it reaches.  The arch is taken out only where both lifts exist, are
    free of data gaps, agree within ``lift_agreement_m`` (a partial
    lockout or a jump to a lower top says nothing certain), the lift
    before ends at most ``max_lift_gap_s`` before the window (else the
    descent is a set's first, below), the window lasts ``min_window_s`` to ``max_window_s``, the
    descent reads short of the lifts (the way the arch errs; a window read
    too long most often starts early, in a hold that drifts, where the
    model's rest at the start is not there) and the arch's height is at
    most ``max_correction_m_s``.  Descents that one
    phase-threshold crossing split in two are one window, since the window
    runs to the next lift.

    A set's first descent (no lift before it, or none within
    ``max_lift_gap_s``: a negative-only set starts at the hand-off) has
    only the lift after it.  Its climb stands for the height when it
    agrees within ``lift_agreement_m`` with the median climb of the lifts
    starting within ``first_lift_horizon_s`` of it (``first_lift_support``
    of them at least, itself included): one lift alone may be a partial
    one.  The window then starts at the last descent before that lift,
    unless a descent ending less than ``split_descent_s`` before it was
    split from it (the window's start would not be at rest).
    """
    fs = kin.sample_rate_hz
    velocity = np.nan_to_num(kin.velocity_m_s)
    starts, ends, kinds, _ = phases
    lifts = np.flatnonzero(kinds > 0)
    csum = running_sum(velocity)
    climbs_all = (csum[ends[lifts]] - csum[starts[lifts]]) / fs
    out = None
    for j, after in enumerate(lifts):  # lifts, not samples
        before = int(lifts[j - 1]) if j > 0 else -1
        descents = np.flatnonzero(kinds[before + 1 : after] < 0) + before + 1
        if descents.size == 0:
            continue
        lo, hi = int(starts[descents[0]]), int(starts[after])
        paired = before >= 0 and (lo - ends[before]) / fs <= max_lift_gap_s
        if not paired:  # the set's first descent: the last one before the lift
            last = int(descents[-1])
            if last > 0 and kinds[last - 1] < 0 and (starts[last] - ends[last - 1]) / fs < split_descent_s:
                continue
            lo = int(starts[last])
        window_s = (hi - lo) / fs
        if not min_window_s <= window_s <= max_window_s:
            continue
        if kin.gap[(starts[before] if paired else lo) : hi + 1].any() or kin.gap[starts[after] : ends[after] + 1].any():
            continue
        if paired:
            vouch = climbs_all[j - 1]
        else:
            soon = (starts[lifts] >= starts[after]) & (starts[lifts] <= starts[after] + first_lift_horizon_s * fs)
            if soon.sum() < first_lift_support:
                continue
            vouch = float(np.median(climbs_all[soon]))
        if min(climbs_all[j], vouch) <= 0 or abs(climbs_all[j] - vouch) > lift_agreement_m:
            continue
        # The height the window comes down: both lifts' mean, or for a first
        # descent the lift after it (the median only vouches for its climb).
        height = 0.5 * (vouch + climbs_all[j]) if paired else climbs_all[j]
        missed = (csum[hi] - csum[lo]) / fs + height
        if missed <= 0:
            # Read as coming further down than the lifts climb: not the
            # arch's doing, most often a window that starts early, in a
            # hold that drifts (an unsteady hand-off), so not at rest.
            continue
        curvature = -12.0 * missed / window_s**3
        if abs(curvature) * window_s**2 / 8 > max_correction_m_s:
            continue
        if out is None:
            out = velocity.copy()
        elapsed = np.arange(hi - lo) / fs
        out[lo:hi] -= 0.5 * curvature * elapsed * (elapsed - window_s)
    return out


def _with_velocity(
    kin: Kinematics, velocity: np.ndarray, valid: np.ndarray, block: np.ndarray, segmenter: PhaseSegmenter
) -> Kinematics:
    """``kin`` with a new velocity (NaN outside ``valid``) and its displacement; ``segmenter`` re-run on it."""
    fs = kin.sample_rate_hz
    segmenter.detect(kin.time_s, velocity, valid=valid, sample_rate_hz=fs)
    return replace(
        kin, velocity_m_s=np.where(valid, velocity, np.nan), displacement_m=integrate_by_block(velocity, block, fs)
    )


def _bridged(values: np.ndarray) -> np.ndarray:
    """Values with NaN stretches (a data gap inside a phase) filled linearly."""
    finite = np.isfinite(values)
    if finite.all() or not finite.any():
        return values
    index = np.arange(values.size)
    return np.interp(index, index[finite], values[finite])


#: The bar is at rest (stopped, in a pause) where the 10 Hz vertical
#: acceleration stays under this for at least ``CALM_S``.
CALM_M_S2 = 0.3
CALM_S = 0.1


def _calm_runs(acc_lp: np.ndarray, fs: float) -> np.ndarray:
    """``[start, end)`` runs where the low-passed acceleration is calm (see ``CALM_M_S2``)."""
    calm = mask_to_runs(np.abs(acc_lp) < CALM_M_S2)
    return calm[(calm[:, 1] - calm[:, 0]) >= max(int(CALM_S * fs), 2)]


def _bottom_decel(kin: Kinematics, phase: Phase, *, stopped_m_s: float = 0.1) -> float:
    """Largest upward acceleration in the last max(30 %, 0.5 s) of the descent.

    A descent whose measured end runs late (a few mm/s of velocity offset
    in the pause at the bottom keep it "moving") would take in the start of
    the next lift.  So the window stops at the first calm stretch that has
    braking before it and a push after it: the bar has stopped there, and
    what comes after is no longer the stop.
    """
    window = max(0.3 * phase.duration_s, 0.5)
    start = kin.index_at(phase.end_s - window)
    start = max(start, 0)
    segment = kin.vertical_acc_lp_mps2[start : phase.end_index]
    if segment.size == 0:
        return float("nan")
    calm = _calm_runs(segment, kin.sample_rate_hz)
    pushing = np.flatnonzero(segment > CALM_M_S2)
    if calm.shape[0] and pushing.size:
        between = (pushing[0] < calm[:, 0]) & (pushing[-1] >= calm[:, 1])  # braking before, a push after
        # ... and the bar is stopped there: a fast descent that eases off,
        # cruises and then brakes hard is calm in its cruise too.
        speed = np.abs(np.nan_to_num(kin.velocity_m_s[start : phase.end_index]))
        calm_speed = np.array([np.mean(speed[lo:hi]) for lo, hi in calm])  # per calm run (a handful)
        between &= calm_speed < stopped_m_s
        if between.any():
            segment = segment[: calm[int(np.argmax(between)), 0]]
    return float(np.max(segment))


def _falls(acc_lp: np.ndarray, fs: float, start: int, end: int, drop_acc_g: float, drop_min_s: float) -> bool:
    """Whether the bar falls within samples ``[start, end)`` (the ``uncontrolled_descent`` definition)."""
    duration = longest_time_below(acc_lp, -drop_acc_g * STANDARD_GRAVITY, fs, np.array([start]), np.array([end]))[0]
    return bool(duration >= drop_min_s - 1e-9)


def _uncontrolled(kin: Kinematics, phase: Phase, settings: AnalysisSettings) -> bool:
    return _falls(
        kin.vertical_acc_lp_mps2, kin.sample_rate_hz, phase.start_index, phase.end_index,
        settings.drop_acc_g, settings.drop_min_duration_s,
    )


def _tempo(ecc: float, pause_bottom: float, con: float, pause_top: float) -> str:
    def whole(x: float) -> int:
        return int(round(x)) if math.isfinite(x) else 0

    return f"{whole(ecc)}-{whole(pause_bottom)}-{whole(con)}-{whole(pause_top)}"


def _calm_speed_change(acc: np.ndarray, speed_change: np.ndarray, lo: int, hi: int, fs: float, detrend: bool) -> float:
    """Change of speed over the calm ``[lo, hi)``, beyond its median acceleration if ``detrend``.

    Without a gyroscope a bar at rest reads a pose-dependent offset of a few
    mg all along the calm (10 cm/s over 2.5 s); a slow negative easing into
    its cruise adds a bump on top of it, and taking the median out keeps
    the bump and drops the offset.  With a gyroscope the offset is small and
    the plain change is the better measure: in a short calm a slow ease-in
    is much of the median itself.
    """
    change = float(speed_change[hi] - speed_change[lo])
    if not detrend:
        return change
    return change - float(np.median(acc[lo:hi])) * (hi - lo) / fs


def _end_at_bottom_pause(
    calm: np.ndarray,
    acc_lp: np.ndarray,
    velocity: np.ndarray,
    displacement: np.ndarray,
    start: int,
    end: int,
    fs: float,
    *,
    earliest: int,
    travel: float,
    max_change_m_s: float | None,
    braked_m_s2: float = CALM_M_S2,
    not_after_fall: bool = False,
) -> int:
    """End of a descent moved back to the pause at the bottom (else ``end``).

    The first calm that begins after ``earliest`` and ends before ``end``,
    right after braking (the low-passed acceleration over ``braked_m_s2``
    upwards in the 0.5 s before), by which the descent had covered
    ``travel``.  With ``max_change_m_s``, only if the speed (mean over the
    calm, then over the 0.2 s after the descent) changed by less than that:
    the bar was as still after what followed the pause (a jolt) as in it,
    so the pause was a rest.  With ``None`` whatever follows is not the rep
    (a set-down).  With ``not_after_fall``, a calm that a fall came
    before, within a second (the drop rule's acceleration, as
    ``uncontrolled_descent``), is not a pause: a dropped negative caught
    and lowered on cruises calmly too.
    """
    after = velocity[end : end + max(int(0.2 * fs), 1)]
    if not after.size:
        return end
    final_speed = float(np.mean(after))
    first = int(np.searchsorted(calm[:, 0], earliest, side="right"))
    last = int(np.searchsorted(calm[:, 1], end, side="left"))
    for lo, hi in calm[first:last]:  # per calm run inside one descent: a handful
        braked = acc_lp[max(start, lo - int(0.5 * fs)) : lo]
        if not braked.size or braked.max() <= braked_m_s2:
            continue
        if not_after_fall and _falls(acc_lp, fs, max(start, int(lo) - int(fs)), int(lo), DROP_ACC_G, DROP_MIN_DURATION_S):
            continue
        if displacement[start] - displacement[lo] <= travel:
            continue
        if max_change_m_s is None or abs(float(np.mean(velocity[lo:hi])) - final_speed) < max_change_m_s:
            return int(lo)
        break  # the first pause after braking is the only candidate
    return end


class _PhaseSignals(NamedTuple):
    """One recording's signals that the calm rules of :func:`_settle_boundaries` read."""

    acc_lp: np.ndarray  # low-passed vertical acceleration, m/s^2
    acc: np.ndarray  # vertical acceleration, m/s^2
    speed_change: np.ndarray  # running integral of ``acc`` (see :func:`_calm_speed_change`)
    velocity: np.ndarray  # m/s, no NaN
    displacement: np.ndarray  # travel before each sample, m
    fs: float


def _start_after_calm(
    runs: np.ndarray,
    signals: _PhaseSignals,
    start: int,
    end: int,
    *,
    sign: float,
    concentric: bool,
    previous_end: int,
    reach: int,
    late_start: int,
    late_descent: int,
    pushed_m_s2: float,
    push_on_average: bool,
    onset_m_s: float,
    offset_m_s: float,
    detrend: bool,
    min_hold: float,
    travel: float,
) -> int:
    """Start of a phase moved to the end of the calm run it starts in, before its push (else ``start``).

    ``runs`` are calm runs (low-passed acceleration under a limit; see
    :func:`_settle_boundaries` for why a calm at a phase's start is a pause
    an offset held "moving").  The run begins within ``reach`` of the start
    and ends inside the phase within ``late_start``; the 0.5 s after it
    push in the phase's direction (``sign``) by more than ``pushed_m_s2``,
    at their peak or, with ``push_on_average``, on average.  A lift starts
    there; a descent when the calm is steady (the first run after the phase
    before, its speed changed by under ``onset_m_s``, the velocity in it
    under ``offset_m_s``, ending within ``late_descent``) or lasted
    ``min_hold`` samples with the descent after it still covering
    ``travel``.
    """
    acc_lp, acc, speed_change, velocity, displacement, fs = signals
    k = int(np.searchsorted(runs[:, 1], start, side="right"))
    if k >= runs.shape[0] or not (runs[k, 0] <= start + reach and start < runs[k, 1] < min(end, start + late_start)):
        return start
    lo, hi = int(runs[k, 0]), int(runs[k, 1])
    push = sign * acc_lp[hi : min(hi + int(0.5 * fs), end)]
    if not push.size or float(np.mean(push) if push_on_average else np.max(push)) <= pushed_m_s2:
        return start
    if concentric:
        return hi
    steady = (
        k > 0
        and runs[k - 1, 1] <= previous_end
        and abs(_calm_speed_change(acc, speed_change, lo, hi, fs, detrend)) < onset_m_s
        and float(np.mean(np.abs(velocity[start:hi]))) < offset_m_s
        and hi < start + late_descent
    )
    # A velocity offset (pose-dependent without a gyroscope, what the
    # integration left after a walk-out with one) can hold the bar "moving"
    # for seconds at the top, longer than a calm can be judged steady.  Such
    # a pause is not part of the descent when the descent from the push on
    # already covers the lifts' travel; a slow negative's cruise is a large
    # part of its travel, a fast descent's ease-in a short calm.
    covered = hi - start >= min_hold and bool(np.isfinite(travel)) and displacement[hi] - displacement[end] > travel
    return hi if steady or covered else start


def _end_at_calm(
    runs: np.ndarray,
    signals: _PhaseSignals,
    start: int,
    end: int,
    *,
    sign: float,
    concentric: bool,
    reach: int,
    late: int,
    late_end: int,
    braked_m_s2: float,
    onset_m_s: float,
    hold_m_s: float,
    travel: float,
    not_after_fall: bool = False,
) -> int:
    """End of a phase moved back to the start of the calm run it ends in, after braking (else ``end``).

    The run holds the phase's last ``reach`` samples and begins within
    ``late_end`` of its end, after braking (against ``sign``) over
    ``braked_m_s2`` in the 0.5 s before it; with ``not_after_fall``, not
    within a second of a fall.  Within ``late`` of the end a lift ends
    there, and a descent when its speed changed by under ``onset_m_s`` over
    the run (an offset holds a pause "moving" at a steady speed; the cruise
    after a drop's catch and braking under the run's limit change it) or
    the next lift pushes right after (a touch-and-go bottom: the change is
    its push starting inside the run).  Further back, a lift only when its
    speed over the run is under ``hold_m_s`` (an offset, not a slow grind
    to lockout), a descent only when it had covered ``travel`` by then.
    """
    acc_lp, acc, speed_change, velocity, displacement, fs = signals
    k = int(np.searchsorted(runs[:, 1], end - reach, side="right"))
    if k >= runs.shape[0] or not (max(start, end - late_end) < runs[k, 0] < end and runs[k, 1] >= end - reach):
        return end
    lo = int(runs[k, 0])
    braked = -sign * acc_lp[max(start, lo - int(0.5 * fs)) : lo]
    if not braked.size or braked.max() <= braked_m_s2:
        return end
    if not_after_fall and _falls(acc_lp, fs, max(start, lo - int(fs)), lo, DROP_ACC_G, DROP_MIN_DURATION_S):
        return end
    if end - lo <= late:
        push = acc_lp[end : end + max(int(0.2 * fs), 1)]
        holding = (
            concentric
            or abs(_calm_speed_change(acc, speed_change, lo, end, fs, False)) < onset_m_s
            or (push.size > 0 and float(np.mean(push)) > CALM_M_S2)
        )
    elif concentric:
        holding = float(np.mean(np.abs(velocity[lo:end]))) < hold_m_s
    else:
        holding = bool(np.isfinite(travel)) and displacement[start] - displacement[lo] > travel
    return lo if holding else end


def _start_after_hold(
    calm: np.ndarray,
    acc_lp: np.ndarray,
    displacement: np.ndarray,
    start: int,
    end: int,
    fs: float,
    *,
    reach: int,
    min_hold: int,
    travel: float,
) -> int:
    """Start of a descent moved to the end of a hold inside it (else ``start``).

    The latest calm of ``min_hold`` samples or more that begins inside the
    descent, after which the descent still covers ``travel`` and which ends
    in a push down: the set-up before the first rep (an unrack, a
    walk-out), read with a velocity offset, ran on through the hold into
    the descent.  A slow negative's own cruise is calm too, but the descent
    after it does not cover the lifts' travel.
    """
    first = int(np.searchsorted(calm[:, 0], start + reach, side="right"))
    last = int(np.searchsorted(calm[:, 1], end, side="left"))
    for lo, hi in calm[first:last][::-1]:  # per calm run inside one descent: a handful
        if hi - lo < min_hold:
            continue
        if displacement[hi] - displacement[end] <= travel:
            continue  # an earlier calm leaves even more travel: keep looking
        push = -acc_lp[hi : min(hi + int(0.5 * fs), end)]
        return int(hi) if push.size and push.max() > CALM_M_S2 else start
    return start


def _settle_boundaries(
    segments: list[SetSegment],
    kin: Kinematics,
    *,
    reach_s: float = 0.15,
    late_s: float = 1.0,
    late_lift_s: float = 2.5,
    hold_m_s: float = 0.10,
    late_descent_s: float = 2.0,
    onset_m_s: float = 0.02,
    offset_m_s: float = 0.10,
    detrend_calm: bool = False,
    offset_descent_s: float = 4.0,
    offset_min_s: float = 0.75,
    covered_fraction: float = 0.9,
    jolt_change_m_s: float = 0.03,
    set_down_fraction: float = 0.8,
    gentle_calm_m_s2: float = 0.1,
    gentle_calm_s: float = 0.5,
) -> list[SetSegment]:
    """Boundaries moved out of the pauses a velocity offset put inside a phase.

    A few mm/s of velocity offset in a pause keeps the speed over 0.02 m/s,
    so a phase seems to end after the pause began, or a lift to start
    before the pause at the bottom ended.  The acceleration does not drift:
    a phase whose last ``reach_s`` lie in a calm stretch (low-passed
    acceleration under ``CALM_M_S2`` for at least ``CALM_S``) that began
    right after its braking, within ``late_s`` of its end, ends when the
    calm begins; a descent only if its speed changed by under
    ``onset_m_s`` from there to its end (from the acceleration), or
    the 0.2 s after its end push up harder than the calm's limit: the
    offset that holds a pause "moving" does not change, while the slow
    cruise after a drop's catch, and braking gentler than the calm's
    limit, do; at a touch-and-go bottom the change is the next lift's push
    starting inside the calm.  A lift may be held on for up to ``late_lift_s`` (the
    hold at the top after a lift whose integral is a few cm/s off) when its
    mean speed over the calm is under ``hold_m_s``: a bar can grind slowly
    to lockout, but not at a few cm/s for seconds.  A lift that starts
    inside a calm stretch ending within ``late_s``, followed by its push,
    starts when the calm ends.  A descent may start that way too, within
    ``late_descent_s``, but only from the first calm after the phase before
    it, when its speed did not change in the calm (under ``onset_m_s`` from
    the acceleration) and stayed under ``offset_m_s``: the calm of a pause
    at the top runs on into the calm start of a slow negative, whose easing
    into its cruise does change the speed, and a negative that pushes off
    into a cruise before speeding up is calm in its cruise, after a first
    calm at the top; a pause held "moving" by an offset is neither.
    A descent also starts at the end of a calm of ``offset_min_s`` to
    ``offset_descent_s`` at its start when the travel from there to its end
    is over ``covered_fraction`` of the median travel of the set's lifts:
    the bar came down from where the lifts took it, so the calm before was
    a pause.  Without a gyroscope (``detrend_calm``) the same holds for
    the latest such calm (``offset_min_s`` or longer) inside the descent
    (see :func:`_start_after_hold`): a set-up move before the first rep,
    read with an offset, runs on through the hold into the descent.
    Without a gyroscope, likewise, its end
    moves back to a calm that began up to ``offset_descent_s`` before it,
    after braking, when the descent had covered that travel by then (with
    a gyroscope that was no better).  Also without a gyroscope, a descent
    whose pause at the bottom, read as moving, was ended by a jolt (a burst
    that leaves the speed where it was, ``jolt_change_m_s``) ends where
    that pause began, on the same conditions.  A set's last descent, with
    or without a gyroscope, ends at a calm after braking within
    ``offset_descent_s`` of its end by which it had covered
    ``set_down_fraction`` of the lifts' travel, whatever follows: after the
    stop at the bottom the bar is set down, or the lifter lets go of the
    bar, and that is not part of the rep.  When it brakes too gently for
    that calm, the pause is the first stretch of ``gentle_calm_s`` with the
    acceleration under ``gentle_calm_m_s2`` after braking over it, not
    after a fall.
    """
    acc = kin.vertical_acc_lp_mps2
    fs = kin.sample_rate_hz
    calm = _calm_runs(acc, fs)
    if calm.shape[0] == 0:
        return segments
    gentle_calm = mask_to_runs(np.abs(acc) < gentle_calm_m_s2)
    gentle_calm = gentle_calm[(gentle_calm[:, 1] - gentle_calm[:, 0]) >= max(int(gentle_calm_s * fs), 2)]
    reach = max(int(reach_s * fs), 1)
    late = max(int(late_s * fs), 1)
    late_lift = max(int(late_lift_s * fs), 1)
    late_descent = max(int(late_descent_s * fs), 1)
    offset_descent = max(int(offset_descent_s * fs), 1)
    velocity = np.nan_to_num(kin.velocity_m_s)
    speed_change = np.concatenate([[0.0], np.cumsum(kin.vertical_acc_mps2)]) / fs

    displacement = np.concatenate([[0.0], np.cumsum(velocity)]) / fs  # displacement[i]: travel before sample i
    signals = _PhaseSignals(acc, kin.vertical_acc_mps2, speed_change, velocity, displacement, fs)

    def settle(phase: Phase | None, previous_end: int = -1, lift_travel: float = np.nan, last: bool = False) -> Phase | None:
        if phase is None:
            return None
        sign = 1.0 if phase.kind == CONCENTRIC else -1.0
        start, end = phase.start_index, phase.end_index
        concentric = phase.kind == CONCENTRIC
        late_start = late if concentric else max(late_descent, offset_descent)
        # The calm stretch the phase starts in, if it ends inside the phase before a push.
        starting = dict(sign=sign, concentric=concentric, previous_end=previous_end, reach=reach, late_start=late_start,
                        late_descent=late_descent, onset_m_s=onset_m_s, offset_m_s=offset_m_s, detrend=detrend_calm,
                        min_hold=offset_min_s * fs, travel=covered_fraction * lift_travel)
        start = _start_after_calm(calm, signals, start, end, pushed_m_s2=CALM_M_S2, push_on_average=False, **starting)
        if not concentric and start == phase.start_index and gentle_calm.shape[0]:
            # The same for a descent that leaves its hold gently (a heavy
            # negative's ease-in under the calm's limit runs the calm of the
            # hold on into its cruise): from a gentle calm, when the push
            # after it is a push on average, not a peak of noise.
            start = _start_after_calm(
                gentle_calm, signals, start, end, pushed_m_s2=gentle_calm_m_s2, push_on_average=True, **starting
            )
        if phase.kind == ECCENTRIC and detrend_calm and start == phase.start_index and bool(np.isfinite(lift_travel)):
            start = _start_after_hold(calm, acc, displacement, start, end, fs, reach=reach,
                                      min_hold=max(int(offset_min_s * fs), 1), travel=covered_fraction * lift_travel)
        # The calm stretch the phase ends in, if braking came before it.
        late_end = late_lift if concentric else (max(late, offset_descent) if detrend_calm else late)
        ending = dict(sign=sign, concentric=concentric, reach=reach, late=late, late_end=late_end, onset_m_s=onset_m_s,
                      hold_m_s=hold_m_s, travel=covered_fraction * lift_travel)
        end = _end_at_calm(calm, signals, start, end, braked_m_s2=CALM_M_S2, **ending)
        if not concentric and detrend_calm and end == phase.end_index and gentle_calm.shape[0]:
            # The same for a descent that brakes under the calm's limit
            # (a slow negative's gentle stop): its pause at the bottom is a
            # gentle calm, not within a second of a fall.  Without a
            # gyroscope only (with one it changed 34 development recordings
            # by a tenth of a second either way).
            end = _end_at_calm(gentle_calm, signals, start, end, braked_m_s2=gentle_calm_m_s2, not_after_fall=True, **ending)
        if phase.kind == ECCENTRIC and detrend_calm and bool(np.isfinite(lift_travel)):
            end = _end_at_bottom_pause(calm, acc, velocity, displacement, start, end, fs,
                                     earliest=max(start, end - late_end), travel=covered_fraction * lift_travel,
                                     max_change_m_s=jolt_change_m_s)
        if phase.kind == ECCENTRIC and last and bool(np.isfinite(lift_travel)):
            # The set's last descent: after the stop at the bottom the bar is
            # set down (or the lifter drops off the bar); that is not the rep.
            settled = _end_at_bottom_pause(calm, acc, velocity, displacement, start, end, fs,
                                           earliest=max(start, end - offset_descent), travel=set_down_fraction * lift_travel,
                                           max_change_m_s=None)
            if settled == end and gentle_calm.shape[0]:
                # A slow descent brakes gently (a tempo curl's 0.2 m/s^2), under
                # the calm's limit, so its pause at the bottom begins no calm
                # of its own; an offset then carried the descent on through
                # it to the set-down.  The pause is where the acceleration
                # settles under ``gentle_calm_m_s2`` after braking over it.
                settled = _end_at_bottom_pause(gentle_calm, acc, velocity, displacement, start, end, fs,
                                               earliest=start, travel=set_down_fraction * lift_travel,
                                               max_change_m_s=None, braked_m_s2=gentle_calm_m_s2, not_after_fall=True)
            end = settled
        if (start, end) == (phase.start_index, phase.end_index) or end - start < 2:
            return phase
        start_s = kin.time_s[start] if start != phase.start_index else phase.start_s
        end_s = kin.time_s[end] if end != phase.end_index else phase.end_s
        return replace(phase, start_index=start, end_index=end, start_s=float(start_s), end_s=float(end_s))

    def settle_set(segment: SetSegment) -> SetSegment:
        ends = sorted(p.end_index for r in segment.reps for p in (r.eccentric, r.concentric) if p is not None)

        def before(phase: Phase | None) -> int:
            if phase is None:
                return -1
            earlier = [e for e in ends if e <= phase.start_index]  # per phase of one set: a handful
            return earlier[-1] if earlier else -1

        lifts = [displacement[r.concentric.end_index] - displacement[r.concentric.start_index]
                 for r in segment.reps if r.concentric is not None]  # per rep of one set
        lift_travel = float(np.median(lifts)) if lifts else np.nan
        last_end = ends[-1] if ends else -1
        reps = tuple(
            replace(r, eccentric=settle(r.eccentric, before(r.eccentric), lift_travel,
                                        last=r.eccentric is not None and r.eccentric.end_index == last_end),
                    concentric=settle(r.concentric))
            for r in segment.reps
        )
        return replace(segment, reps=reps)

    return [settle_set(s) for s in segments]


def rep_table(kin: Kinematics, segments: list[SetSegment], settings: AnalysisSettings) -> pd.DataFrame:
    """The rep table for the given segments (``control_score`` left empty)."""
    rows: list[dict[str, Any]] = []
    nan = float("nan")
    for set_number, set_segment in enumerate(segments, start=1):
        reps = set_segment.reps
        # All phases of the set in time order, to find "the next descent/lift".
        phases = sorted(
            [p for r in reps for p in (r.eccentric, r.concentric) if p is not None], key=lambda p: p.start_s
        )
        for rep_number, rep in enumerate(reps, start=1):
            row: dict[str, Any] = {C.SET: set_number, C.REP: rep_number}
            ecc, con = rep.eccentric, rep.concentric
            flags: list[str] = []
            if ecc is not None:
                mean_speed, peak_speed, travel = _phase_speeds(kin, ecc, -1)
                z = kin.displacement_m[ecc.start_index : min(ecc.end_index, kin.displacement_m.size - 1) + 1]
                # Displacement restarts after a gap; across one, the travel is the measure.
                rom = float(z[0] - z[-1]) if np.all(np.isfinite(z)) else travel
                if con is not None and ecc.duration_s > 0:
                    closed = _closed_rom(kin, ecc, con, rom)
                    # The travel the descent's velocity missed, spread evenly
                    # over it: the smallest change of the speeds that agrees.
                    offset = (closed - rom) / ecc.duration_s
                    rom, mean_speed, peak_speed = closed, closed / ecc.duration_s, peak_speed + offset
                row.update({
                    C.ECC_START_S: ecc.start_s, C.ECC_END_S: ecc.end_s, C.ECC_DURATION_S: ecc.duration_s,
                    C.ECC_MEAN_VELOCITY: mean_speed, C.ECC_PEAK_VELOCITY: peak_speed,
                    C.BOTTOM_PEAK_DECEL: _bottom_decel(kin, ecc), C.ROM: rom,
                })
                next_lift = next((p for p in phases if p.kind == CONCENTRIC and p.start_s >= ecc.end_s), None)
                row[C.PAUSE_BOTTOM_S] = next_lift.start_s - ecc.end_s if next_lift else nan
                if _uncontrolled(kin, ecc, settings):
                    flags.append(C.UNCONTROLLED_DESCENT)
            else:
                row.update({k: nan for k in (C.ECC_START_S, C.ECC_END_S, C.ECC_DURATION_S, C.ECC_MEAN_VELOCITY,
                                             C.ECC_PEAK_VELOCITY, C.BOTTOM_PEAK_DECEL, C.ROM, C.PAUSE_BOTTOM_S)})
            if con is not None:
                mean_speed, peak_speed, _ = _phase_speeds(kin, con, +1)
                row.update({
                    C.CON_START_S: con.start_s, C.CON_END_S: con.end_s, C.CON_DURATION_S: con.duration_s,
                    C.CON_MEAN_VELOCITY: mean_speed, C.CON_PEAK_VELOCITY: peak_speed,
                })
                next_descent = next((p for p in phases if p.kind == ECCENTRIC and p.start_s >= con.end_s), None)
                row[C.PAUSE_TOP_S] = next_descent.start_s - con.end_s if next_descent else nan
            else:
                row.update({k: nan for k in (C.CON_START_S, C.CON_END_S, C.CON_DURATION_S, C.CON_MEAN_VELOCITY,
                                             C.CON_PEAK_VELOCITY, C.PAUSE_TOP_S)})
            row[C.TEMPO] = _tempo(
                row[C.ECC_DURATION_S], row[C.PAUSE_BOTTOM_S], row[C.CON_DURATION_S], row[C.PAUSE_TOP_S]
            )
            row[C.CONTROL_SCORE] = nan
            row[C.FLAGS] = flags
            rows.append(row)
    frame = pd.DataFrame(rows, columns=list(C.REP_TABLE_COLUMNS))
    if frame.empty:
        frame = frame.astype({c: float for c in C.REP_TABLE_NUMERIC})
    frame[C.SET] = frame[C.SET].astype(int)
    frame[C.REP] = frame[C.REP].astype(int)
    return frame


def set_table(reps: pd.DataFrame, segments: list[SetSegment]) -> pd.DataFrame:
    """Per-set summary: reps, time under load, mean descent, velocity loss."""
    rows = []
    nan = float("nan")
    # Plain arrays: a pandas selection per set costs more than the whole sum.
    set_of_rep = reps[C.SET].to_numpy()
    ecc_duration = reps[C.ECC_DURATION_S].to_numpy(float)
    ecc_velocity = reps[C.ECC_MEAN_VELOCITY].to_numpy(float)
    con_velocity = reps[C.CON_MEAN_VELOCITY].to_numpy(float)
    for number, segment in enumerate(segments, start=1):  # per set
        members = set_of_rep == number
        ecc = ecc_duration[members]
        ecc = ecc[np.isfinite(ecc)]
        con_v = con_velocity[members]
        con_v = con_v[np.isfinite(con_v)]
        ecc_v = ecc_velocity[members]
        ecc_v = ecc_v[np.isfinite(ecc_v)]
        loss = nan
        if con_v.size >= 2 and con_v.max() > 0:
            loss = 100.0 * (1.0 - con_v[-1] / con_v.max())
        rows.append({
            C.SET: number,
            C.SET_START_S: segment.start_s,
            C.SET_END_S: segment.end_s,
            C.SET_REPS: int(members.sum()),
            C.SET_FIRST_PHASE: segment.first,
            C.SET_TIME_UNDER_LOAD_S: float(ecc.sum()),
            C.SET_MEAN_ECC_DURATION_S: float(ecc.mean()) if ecc.size else nan,
            C.SET_MEAN_ECC_VELOCITY: float(ecc_v.mean()) if ecc_v.size else nan,
            C.SET_MEAN_CON_VELOCITY: float(con_v.mean()) if con_v.size else nan,
            C.SET_VELOCITY_LOSS_PCT: float(loss),
            C.SET_FLAGS: [],
        })
    return pd.DataFrame(rows, columns=list(C.SET_TABLE_COLUMNS))


def _reversal_rests(
    phases: tuple[np.ndarray, ...],
    quiet: np.ndarray,
    still: np.ndarray,
    fs: float,
    set_break_s: float,
    *,
    reach_s: float = 0.5,
    rerack_s: float = 3.0,
) -> np.ndarray:
    """Quiet samples between consecutive substantial phases of opposite direction.

    Also the quiet run that begins within ``reach_s`` after a set's last
    lift (no phase follows within ``set_break_s``) when a confirmed rest
    (``still``) follows it within ``rerack_s``: a lift ends with the bar
    held at the top before the rerack, whatever level a drifting velocity
    gives that hold.
    """
    starts, ends, kinds, _ = phases
    known = np.zeros(quiet.size, dtype=bool)
    if len(starts) == 0:
        return known
    opposite = np.flatnonzero(kinds[:-1] != kinds[1:])
    for i in opposite:  # per reversal
        known[ends[i] : starts[i + 1]] = True
    known &= quiet
    runs = mask_to_runs(quiet)
    next_start = np.append(starts[1:], np.iinfo(np.int64).max)
    last_lifts = ends[(kinds > 0) & (next_start - ends > set_break_s * fs)]
    for end in last_lifts:  # per set
        k = int(np.searchsorted(runs[:, 1], end, side="right"))
        if k >= runs.shape[0] or runs[k, 0] > end + int(reach_s * fs):
            continue
        # Only a hold that the rerack ends: the bar is at rest (still) soon after.
        after = still[runs[k, 1] : runs[k, 1] + int(rerack_s * fs)]
        if after.any():
            known[runs[k, 0] : runs[k, 1]] = True
    return known


def _holds_before_steps(
    phases: tuple[np.ndarray, ...],
    velocity: np.ndarray,
    quiet: np.ndarray,
    fs: float,
    *,
    min_hold_s: float = 1.0,
    max_step_s: float = 1.0,
    level_s: float = 1.0,
    step_m_s: float = 0.025,
    flat_m_s: float = 0.01,
) -> np.ndarray:
    """Quiet runs in which a descent begins and which the bar leaves by a step to a faster descent.

    The hold before a negative (the hand-off, the hold after an unrack) is
    quiet, and when a drifting velocity gives it a few cm/s (an unrack's
    integration error, a bias that wandered since the last rest) it becomes
    the slow start of the descent that follows, which then begins seconds
    early.  The real start is a step: the bar goes from the hold to a cruise
    at least ``step_m_s`` faster and more than twice as fast.  A cruise does
    not speed up like that, nor does the gentle start of a descent stay
    flat first.  So a quiet run of ``min_hold_s`` or more that begins no
    later than ``max_step_s`` into a descent, whose velocity keeps its level
    (within ``flat_m_s``) over its last ``min_hold_s``, and after which
    (``max_step_s`` later, over ``level_s``) the descent is that much faster
    than over the run's last ``min_hold_s``, is a hold.  Its samples are
    returned as known rests.
    """
    starts, ends, kinds, _ = phases
    known = np.zeros(quiet.size, dtype=bool)
    runs = mask_to_runs(quiet)
    if runs.shape[0] < 2:
        return known
    csum = running_sum(velocity)
    level = max(int(round(level_s * fs)), 1)
    hold = int(round(min_hold_s * fs))
    edge = max(int(round(0.25 * fs)), 1)
    for i in np.flatnonzero(kinds < 0):  # per descent
        k = int(np.searchsorted(runs[:, 1], starts[i], side="right"))
        if k + 1 >= runs.shape[0] or runs[k, 0] > starts[i] + max_step_s * fs:
            continue
        lo, hi = int(runs[k, 0]), int(runs[k, 1])
        nxt = hi + int(round(max_step_s * fs))
        if hi - lo < min_hold_s * fs or nxt + level > ends[i]:
            continue
        before, drift = _flat_level(csum, hi - hold, hi, edge)  # the hold's last ``min_hold_s``
        if abs(drift) <= flat_m_s and _stepped(_mean(csum, nxt, nxt + level), before, step_m_s):
            known[lo:hi] = True
    return known


def _rests_after_steps(
    phases: tuple[np.ndarray, ...],
    velocity: np.ndarray,
    quiet: np.ndarray,
    fs: float,
    *,
    min_pause_s: float = 0.4,
    max_step_s: float = 1.0,
    level_s: float = 1.0,
    step_m_s: float = 0.025,
    flat_m_s: float = 0.01,
    acc_lp: np.ndarray | None = None,
    drop_acc_g: float = DROP_ACC_G,
    drop_min_s: float = DROP_MIN_DURATION_S,
) -> np.ndarray:
    """Quiet runs at the end of a descent that the bar enters by a braking step: the pause at the bottom.

    The mirror of :func:`_holds_before_steps`.  When a drifting velocity
    gives the pause at the bottom a few cm/s downwards, the descent runs on
    through it to the next lift.  The bar brakes into the pause from a
    descent at least ``step_m_s`` faster and more than twice as fast, and a
    cruise does not slow down like that and then stay level.  So a quiet
    run of ``min_pause_s`` or more that begins inside a descent and reaches
    to within ``max_step_s`` of its end, whose velocity keeps its level
    (within ``flat_m_s``) over its first second, and before which
    (``max_step_s`` earlier, over ``level_s``) the descent was that much
    faster, is a rest.  Not after a fall (``acc_lp``, the low-passed
    vertical acceleration, beyond ``drop_acc_g`` for ``drop_min_s``, as
    ``uncontrolled_descent``): a negative dropped and caught goes on at the
    slower speed it was caught at, which looks the same.
    """
    starts, ends, kinds, _ = phases
    known = np.zeros(quiet.size, dtype=bool)
    runs = mask_to_runs(quiet)
    if runs.shape[0] == 0:
        return known
    csum = running_sum(velocity)
    level = max(int(round(level_s * fs)), 1)
    step = int(round(max_step_s * fs))
    edge = max(int(round(0.15 * fs)), 1)
    for i in np.flatnonzero(kinds < 0):  # per descent
        k = int(np.searchsorted(runs[:, 0], ends[i], side="left")) - 1  # the last quiet run begun inside it
        if k < 0 or runs[k, 0] < starts[i] or runs[k, 1] < ends[i] - step:
            continue
        lo, hi = int(runs[k, 0]), int(runs[k, 1])
        if hi - lo < min_pause_s * fs or lo - step - level < starts[i]:
            continue
        after, drift = _flat_level(csum, lo, lo + min(hi - lo, level), edge)  # the pause's first ``level_s``
        if abs(drift) > flat_m_s or not _stepped(_mean(csum, lo - step - level, lo - step), after, step_m_s):
            continue
        if acc_lp is not None and _falls(acc_lp, fs, int(starts[i]), lo, drop_acc_g, drop_min_s):
            continue
        known[lo:hi] = True
    return known


def _mean(csum: np.ndarray, lo: int, hi: int) -> float:
    """Mean of a signal over samples ``lo:hi`` from its running sum (see :func:`running_sum`)."""
    return float(csum[hi] - csum[lo]) / (hi - lo)


def _flat_level(csum: np.ndarray, lo: int, hi: int, edge: int) -> tuple[float, float]:
    """Mean velocity over samples ``lo:hi`` and its drift (last ``edge`` samples' mean minus the first's)."""
    return _mean(csum, lo, hi), _mean(csum, hi - edge, hi) - _mean(csum, lo, lo + edge)


def _stepped(fast: float, slow: float, step_m_s: float) -> bool:
    """Whether a descent at ``fast`` m/s is at least ``step_m_s`` and twice as fast as at ``slow`` (velocities < 0 down)."""
    return fast < slow - step_m_s and fast < 2.0 * slow


def _peak_index(velocity: np.ndarray, phases: tuple[np.ndarray, ...], i: int) -> int:
    """Sample of phase ``i``'s peak speed in its own direction."""
    starts, ends, kinds, _ = phases
    return int(starts[i]) + int(np.argmax(kinds[i] * velocity[starts[i] : ends[i]]))


def _unpaired_stretches(
    phases: tuple[np.ndarray, ...],
    quiet: np.ndarray,
    fs: float,
    set_break_s: float,
    velocity: np.ndarray,
    *,
    edge_s: float = 0.5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stretches between two consecutive phases of the same direction.

    Returns the rest edges (quiet samples within ``edge_s`` after the first
    phase and before the second), the motion mask (the rest of the
    stretch) and ``(k, 3)`` rows ``start, end, expected displacement``
    (minus the mean travel of the two phases, in the other direction).
    """
    starts, ends, kinds, travel = phases
    edges = np.zeros(quiet.size, dtype=bool)
    motion = np.zeros(quiet.size, dtype=bool)
    rows = []
    edge = max(int(round(edge_s * fs)), 1)
    quiet_index = np.flatnonzero(quiet)
    for i in np.flatnonzero(kinds[:-1] == kinds[1:]):  # per unpaired stretch
        # Where the bar settles: the first quiet sample after the first
        # phase's peak speed, and the last one before the second's (a drifting
        # velocity moves the 0.02 m/s crossings, the quiet samples do not move).
        peak_1, peak_2 = _peak_index(velocity, phases, i), _peak_index(velocity, phases, i + 1)
        after = quiet_index[np.searchsorted(quiet_index, peak_1) :]
        before = quiet_index[: np.searchsorted(quiet_index, peak_2)]
        if after.size == 0 or before.size == 0:
            continue
        a, b = int(after[0]), int(before[-1]) + 1
        if b - a < 4 * edge or (b - a) > set_break_s * fs:
            continue
        edges[a : a + edge] = True
        edges[b - edge : b] = True
        motion[a + edge : b - edge] = True
        rows.append((a, b, -kinds[i] * 0.5 * (travel[i] + travel[i + 1])))
    return edges & quiet, motion, np.asarray(rows, dtype=float).reshape(-1, 3)


def _integral_from_rest(acc: np.ndarray, fs: float) -> np.ndarray:
    """Velocity over a stretch from its acceleration, starting at zero (trapezoid rule; one sample shorter)."""
    return running_sum(0.5 * (acc[:-1] + acc[1:]) / fs)


def _closure_drift(
    acc: np.ndarray, rest: np.ndarray, expected: float, fs: float, top: np.ndarray, curved_min_s: float
) -> np.ndarray:
    """Velocity over a stretch that starts at rest, from its acceleration and two facts.

    ``acc`` is integrated from zero velocity; the drift removed is the
    straight line (a constant residual bias) that makes the stretch's
    displacement ``expected`` (the travel of the fast phases, which are
    measured well).  Over ``curved_min_s`` or more the bias itself wanders
    (a 10 s negative): a drift with a linearly changing bias
    (``s1 t + s2 t^2``) that also puts the samples ``rest`` (indices in the
    stretch) at rest is used instead, when it keeps the samples ``top``
    (the rest the stretch starts from) at rest as well as the line keeps
    both ends.
    """
    raw = _integral_from_rest(acc, fs)
    t = np.arange(raw.size, dtype=float)
    slope = float((np.sum(raw) - expected * fs) / np.sum(t))
    restored = raw - slope * t
    if raw.size < curved_min_s * fs or rest.size == 0:
        return restored
    tr = t[rest]
    system = np.array([[tr.mean(), (tr * tr).mean()], [t.sum(), (t * t).sum()]])
    target = np.array([raw[rest].mean(), raw.sum() - expected * fs])
    (s1, s2), *_ = np.linalg.lstsq(system, target, rcond=None)
    curved = raw - s1 * t - s2 * t * t
    miss_line = abs(float(np.mean(restored[rest])))
    miss_curve = 0.0
    if top.size:
        miss_line += abs(float(np.mean(restored[top])))
        miss_curve = abs(float(np.mean(curved[top])))
    return curved if miss_curve <= miss_line else restored


def _cubic_drift_basis(n: int) -> np.ndarray:
    """``t, t^2, t^3`` over a stretch of ``n`` samples, time scaled to the stretch (a well-conditioned system)."""
    t = np.arange(n, dtype=float) / n
    return np.column_stack([t, t * t, t**3])


def _closure_drift_held(acc: np.ndarray, rest: np.ndarray, expected: float, fs: float, initial: np.ndarray) -> np.ndarray:
    """:func:`_closure_drift_pinned`, but at rest at *every* sample of ``initial`` and ``rest``, not on average.

    The cubic drift is fitted by least squares to zero velocity over both
    rests sample by sample, under the exact constraint that the stretch
    moves by ``expected``: a hold of several seconds then fixes the bias
    and its trend, which a mean leaves free to tilt the hold.
    """
    raw = _integral_from_rest(acc, fs)
    basis = _cubic_drift_basis(raw.size)
    at_rest = np.concatenate([initial, rest])
    # Equality-constrained least squares (KKT system): min |B c - raw|^2 over
    # the rests subject to sum(B c) = sum(raw) - expected * fs.
    gram = basis[at_rest].T @ basis[at_rest]
    total = basis.sum(axis=0)
    kkt = np.zeros((4, 4))
    kkt[:3, :3] = 2 * gram
    kkt[:3, 3] = total
    kkt[3, :3] = total
    rhs = np.concatenate([2 * basis[at_rest].T @ raw[at_rest], [raw.sum() - expected * fs]])
    solution, *_ = np.linalg.lstsq(kkt, rhs, rcond=None)
    return raw - basis @ solution[:3]


def _closure_drift_pinned(acc: np.ndarray, rest: np.ndarray, expected: float, fs: float, initial: np.ndarray) -> np.ndarray:
    """Velocity over a stretch that starts with a long rest ``initial`` and ends at the rest ``rest``.

    Like :func:`_closure_drift`, from the plain integral of ``acc``, but the
    drift removed is a cubic in time (the bias wanders over a 20 s stretch)
    fitted to three facts: the bar is at rest, on average, over the
    initial rest and over the rest at the end, and it moved by
    ``expected`` over the stretch.
    """
    raw = _integral_from_rest(acc, fs)
    basis = _cubic_drift_basis(raw.size)
    system = np.vstack([basis[initial].mean(axis=0), basis[rest].mean(axis=0), basis.sum(axis=0)])
    target = np.array([raw[initial].mean(), raw[rest].mean(), raw.sum() - expected * fs])
    coef, *_ = np.linalg.lstsq(system, target, rcond=None)
    return raw - basis @ coef


def _rest_before_phase(
    phases: tuple[np.ndarray, ...],
    j: int,
    short: int | None,
    quiet_index: np.ndarray,
    after: int,
    peak: int,
    window: int,
    *,
    least_fraction: float = 0.5,
) -> tuple[int, np.ndarray] | None:
    """End ``b`` of a stretch to restore and the rest samples just before it, or None.

    After a short surviving phase ``short`` (the fast end of a descent,
    measured well) the rest is the pause between it and phase ``j`` (it need
    not be quiet: a bar set on the floor rings), or the turn itself when
    there is no pause; otherwise the last
    ``window`` quiet samples after sample ``after`` and before phase ``j``'s
    peak speed, if they are one rest, or else the last ``least_fraction``
    of that, if those are: a hard stop at the bottom rings the plates
    through part of the pause (the 1 s pauses after a row's negatives
    stopped hard were quiet for 0.45 s, and their lost cruises stayed
    unrestored).
    """
    starts, ends, _, _ = phases
    if short is not None:
        b = int(starts[j])
        rest = np.arange(int(ends[short]), b)
        if rest.size < max(window // 5, 2):
            # No pause at the turn (a touch-and-go bottom): the bar still
            # stops there for an instant, so the turn itself is the anchor.
            rest = np.arange(min(max(b - 3, int(ends[short])), b - 1), b)
        return b, rest[-window:]
    before = quiet_index[(quiet_index > after) & (quiet_index < peak)]
    least = max(int(least_fraction * window), 2)
    if before.size < least:
        return None
    b = int(before[-1]) + 1
    rest = before[-window:]
    if rest[0] < b - 2 * window:  # the last quiet samples are not one rest
        rest = before[-least:]
        if rest[0] < b - 2 * least:
            return None
    return b, rest


def _full_travel(phases: tuple[np.ndarray, ...], velocity: np.ndarray, fs: float, *, reach_s: float = 0.5) -> np.ndarray:
    """Travel of each phase from where the bar left rest to where it stopped.

    A phase runs between 0.02 m/s crossings, so its travel leaves out the
    first and last millimetres (a lift's slow start, its creep to lockout).
    A stretch whose drift is fixed by "the bar came back by the lifts'
    travel" needs all of it: with the 0.02 m/s travel, restored negatives of
    0.03 m/s or less read 4 % slow on the development draws (with a
    gyroscope), 2.9 % with this.  Each phase is extended while the velocity
    keeps its sign, by at most ``reach_s`` either side (a velocity offset
    would otherwise carry it on).
    """
    starts, ends, kinds, travel = phases
    if kinds.size == 0:
        return travel
    reach = max(int(round(reach_s * fs)), 1)
    csum = running_sum(velocity)
    first, last = starts.astype(np.intp).copy(), ends.astype(np.intp).copy()
    for kind in (1, -1):  # per direction: the runs where the velocity has that sign
        runs = mask_to_runs(kind * velocity > 0)
        sel = np.flatnonzero(kinds == kind)
        if runs.shape[0] == 0 or sel.size == 0:
            continue
        at_start = np.clip(np.searchsorted(runs[:, 0], starts[sel], side="right") - 1, 0, None)
        at_end = np.clip(np.searchsorted(runs[:, 0], ends[sel] - 1, side="right") - 1, 0, None)
        inside_start = runs[at_start, 1] > starts[sel]
        inside_end = runs[at_end, 1] >= ends[sel]
        first[sel] = np.where(inside_start, np.maximum(runs[at_start, 0], starts[sel] - reach), starts[sel])
        last[sel] = np.where(inside_end, np.minimum(runs[at_end, 1], ends[sel] + reach), ends[sel])
    full = kinds * (csum[last] - csum[first]) / fs
    return np.maximum(full, travel)


def _burst_travel(
    phases: tuple[np.ndarray, ...],
    velocity: np.ndarray,
    vertical: np.ndarray,
    quiet: np.ndarray,
    gap: np.ndarray,
    fs: float,
    *,
    reach_s: float = 1.5,
) -> np.ndarray:
    """Travel of each phase integrated afresh between the rests either side of its peak; NaN where there are none.

    The velocity a phase was measured on may hold a few cm/s of offset in
    the hold after it (a cruise taken for a rest shifts the level), and the
    phase then runs on through that hold: a squat's 0.53 m stand-up read
    0.62-0.77 m.  The acceleration from the last quiet sample before the
    peak to the first one after it, with the straight-line drift that puts
    both at rest, does not depend on that offset (on the development draws
    its travel is off by 3.6 % on average, against 10.7 % for the phases').
    Both quiet samples must lie within ``reach_s`` of the peak and in one
    gap-free block, and the result within a factor of two of the phase's
    own travel.
    """
    starts, ends, kinds, _ = phases
    travel = np.full(kinds.size, np.nan)
    quiet_index = np.flatnonzero(quiet)
    if kinds.size == 0 or quiet_index.size == 0:
        return travel
    peaks = np.array([_peak_index(velocity, phases, i) for i in range(kinds.size)], dtype=np.intp)  # per phase
    before = np.searchsorted(quiet_index, peaks) - 1
    after = np.searchsorted(quiet_index, peaks)
    usable = (before >= 0) & (after < quiet_index.size)
    p = quiet_index[np.clip(before, 0, quiet_index.size - 1)]
    q = quiet_index[np.clip(after, 0, quiet_index.size - 1)]
    block = np.cumsum(gap) if gap.any() else np.zeros(gap.size, dtype=np.intp)  # equal at two samples only when no gap lies between them
    reach = reach_s * fs
    usable &= (peaks - p <= reach) & (q - peaks <= reach) & (block[p] == block[q]) & (q > p)
    # v(t) = C[t] - C[p] - (C[q] - C[p]) (t - p) / (q - p) over t = p..q, summed
    # in closed form from running sums (no per-sample work).
    c = np.concatenate([[0.0], np.cumsum(vertical)]) / fs
    cc = np.concatenate([[0.0], np.cumsum(c)])
    n = (q - p + 1).astype(float)
    summed = (cc[q + 1] - cc[p]) - n * c[p] - (c[q] - c[p]) * n / 2.0
    fresh = kinds * summed / fs
    # A run-on offset adds tens of percent to a phase, not a factor of two:
    # further apart, the quiet samples found are not the rests around it
    # (the top of a slow lift can be quiet too).
    usable &= (fresh > 0.5 * phases[3]) & (fresh < 2.0 * phases[3])
    travel[usable] = fresh[usable]
    return travel


def _restore_lost_phases(
    kinematics: Kinematics,
    phases: tuple[np.ndarray, ...],
    quiet: np.ndarray,
    vertical: np.ndarray,
    fs: float,
    set_break_s: float,
    *,
    rest_s: float = 0.5,
    rest_tolerance_m_s: float = 0.03,
    short_fraction: float = FAST_END_FRACTION,
    curved_min_s: float = 6.0,
    lead_kind: int = 0,
    top_tolerance_m_s: float = 0.01,
    turn_reach_s: float = 0.1,
    drop_acc_g: float = DROP_ACC_G,
    drop_min_s: float = DROP_MIN_DURATION_S,
) -> np.ndarray | None:
    """Velocity with lost returns restored, or None.

    A return is lost between two phases of the same direction with nothing
    between them, or with only a short phase (under ``short_fraction`` of
    their travel) between them: the fast end of a slow negative whose
    cruise was taken for a rest.  The end of the first phase is taken from
    the acceleration (braking is over when the low-passed acceleration comes
    back from its extreme), not from the drifting velocity; the rest at the
    other end is the last quiet ``rest_s`` before the second phase's peak
    (or, after a short phase, the pause before the second phase; with no
    pause, the turn: where the restored velocity, carried on by the
    acceleration for up to ``turn_reach_s``, comes closest to zero; and
    where a movement of its own follows that rest before the second phase,
    the pause after that movement, see :func:`_movement_end`).  Between
    them the velocity is the plain integral of the acceleration minus the
    straight-line drift that brings the bar back by the phases' travel; over
    stretches of ``curved_min_s`` or more, a drift with a linearly changing
    bias that also puts the far rest at rest, when it keeps the top at rest.
    Kept per stretch only if the rest before the second phase is then at
    rest (``rest_tolerance_m_s``), and after a short phase only if the top
    stays at rest too (``top_tolerance_m_s``), unless the set starts at the
    top (``lead_kind`` -1) and the short phase is a fall (a negative dropped
    at its start, caught and lowered on; ``drop_acc_g`` for ``drop_min_s``,
    as ``uncontrolled_descent``) or the top has no quiet sample to judge
    (an unsteady hand-off).  In such a set a short lift between two
    descents is never taken for the fast end of a lost lift.
    """
    velocity = np.nan_to_num(kinematics.velocity_m_s).copy()
    starts, ends, kinds, travel = phases
    acc_lp = kinematics.vertical_acc_lp_mps2
    changed = False
    window = max(int(round(rest_s * fs)), 2)
    quiet_index = np.flatnonzero(quiet)
    # Two phases of one direction with nothing between them (the return was
    # taken for a rest), or with only a fraction of the return between them
    # (the cruise of a slow descent was taken for a rest, only its fast end
    # survived): the bar came back by the phases' travel in both cases.
    lost = np.flatnonzero(kinds[:-1] == kinds[1:])
    mean_travel = 0.5 * (travel[:-2] + travel[2:])
    # In a set that starts at the top, lifts are quick (the lifter's
    # concentric or the partner's hand-off) and never taken for a rest: a
    # short lift between two descents is a lift of its own (the set's first
    # rep may cover less range), not the fast end of a lost one.
    restorable = kinds[:-2] > 0 if lead_kind < 0 else np.ones(max(kinds.size - 2, 0), dtype=bool)
    partial = np.flatnonzero(
        (kinds[:-2] == kinds[2:]) & (kinds[1:-1] != kinds[:-2]) & (travel[1:-1] < short_fraction * mean_travel) & restorable
    )
    stretches = sorted([(int(i), int(i) + 1) for i in lost] + [(int(i), int(i) + 2) for i in partial])
    if not stretches and not lead_kind:
        return None
    # What the bar came back by: the lifts' travel integrated afresh where
    # rests bracket them (_burst_travel), else their whole travel in the
    # velocity (_full_travel).
    burst = _burst_travel(phases, velocity, vertical, quiet, kinematics.gap, fs)
    full_travel = np.where(np.isfinite(burst), burst, _full_travel(phases, velocity, fs))
    # A lift without rests around its peak (a re-grip in the hold) takes the
    # median of its set's lifts that have them: the reps of a set cover
    # about the same range, and its own phase may have run on.
    for j in np.flatnonzero(~np.isfinite(burst)):  # per phase without its own burst travel
        same = _set_members(phases, j, fs, set_break_s)
        known = burst[same][np.isfinite(burst[same])]
        if known.size >= 2:
            full_travel[j] = float(np.median(known))
    for i, j in stretches:  # per stretch with a lost return
        kind = int(kinds[i])
        peak_1, peak_2 = _peak_index(velocity, phases, i), _peak_index(velocity, phases, j)
        if (peak_2 - peak_1) > set_break_s * fs:
            continue
        braking = kind * acc_lp[peak_1 : min(peak_1 + int(1.5 * fs), peak_2)]
        if braking.size < 3:
            continue
        strongest = int(np.argmin(braking))
        recovered = np.flatnonzero(braking[strongest:] > 0.1 * braking[strongest])
        if recovered.size == 0:
            continue
        a = peak_1 + strongest + int(recovered[0])
        if j == i + 2 and a >= int(starts[i + 1]):
            continue
        far = _rest_before_phase(phases, j, i + 1 if j == i + 2 else None, quiet_index, a, peak_2, window)
        if far is None:
            continue
        b, rest = far
        if j == i + 1:
            # The last quiet samples before the lift may be the slow start of
            # a descent's fast end that was not a phase of its own (a slow
            # negative sped up and stopped hard; the pause after a hard stop
            # rings): then the bottom is where that movement ends.
            moved_end = _movement_end(vertical, b, int(starts[j]), -kind, fs, float(velocity[int(starts[j])]))
            if moved_end is not None:
                b = int(starts[j])
                rest = np.arange(moved_end, b)
                if rest.size < max(window // 5, 2):
                    rest = np.arange(min(max(b - 3, moved_end), b - 1), b)
                rest = rest[-window:]
        expected = -kind * 0.5 * (full_travel[i] + full_travel[j])
        def top_rest(b: int, a: int = a) -> np.ndarray:
            """Quiet samples in the first second of the stretch (indices in it)."""
            return quiet_index[(quiet_index >= a) & (quiet_index < min(a + int(fs), b))] - a

        top = top_rest(b)
        restored = _closure_drift(vertical[a:b], rest - a, expected, fs, top, curved_min_s)
        if j == i + 2 and kind > 0 and rest.size < max(window // 5, 2):
            # A descent anchored on the turn itself: the short phase ended at a
            # 0.02 m/s crossing of a velocity with an offset, so after a
            # hard stop the bar may still be braking there.  The turn is
            # where the restored velocity, carried on by the acceleration,
            # comes closest to zero within ``turn_reach_s``.
            carried = restored[-1] + running_sum(vertical[b : b + max(int(turn_reach_s * fs), 2)]) / fs
            closest = int(np.argmin(np.abs(carried)))
            if -kind * restored[-1] > 0.0 and abs(carried[closest]) < abs(restored[-1]):
                b = b + closest + 1
                rest = np.array([b - 1])
                top = top_rest(b)
                restored = _closure_drift(vertical[a:b], rest - a, expected, fs, top, curved_min_s)
        if abs(float(np.mean(restored[rest - a]))) > rest_tolerance_m_s:
            continue
        # A short phase may be a real short rep: replacing what was measured
        # needs the top to stay at rest too.  Not when, in a set that starts
        # at the top, the short phase is a fall (the drop rule's -0.5 g for
        # 0.1 s): then it is the start of a negative that was caught and
        # lowered on, whatever the top did (an unsteady hand-off is never
        # quiet).  A deadlift's quick short return after its lift stays.
        fell = j == i + 2 and lead_kind < 0 and _falls(
            acc_lp, fs, int(starts[i + 1]), int(ends[i + 1]), drop_acc_g, drop_min_s
        )
        # Nor when, in such a set, not one sample of the top is quiet (an
        # unsteady hand-off): there is nothing to judge it by, and the
        # restoration stands on the lifts' travel and the rest before the
        # next lift (refusing it left a bowing cruise read from its end).
        unjudged = lead_kind < 0 and top.size == 0
        top_moved = top.size < window // 2 or abs(float(np.mean(restored[top]))) > top_tolerance_m_s
        if j == i + 2 and not (fell or unjudged) and top_moved:
            continue
        velocity[a:b] = restored
        changed = True
    if lead_kind:
        changed |= _restore_lost_lead(
            velocity, kinematics.gap, phases, quiet, vertical, fs, set_break_s, lead_kind, full_travel=full_travel,
            curved_min_s=curved_min_s, short_fraction=short_fraction,
        )
    return velocity if changed else None


def _movement_end(
    vertical: np.ndarray,
    b: int,
    lift_start: int,
    direction: int,
    fs: float,
    lift_start_velocity: float,
    *,
    threshold_m_s: float = 0.02,
    least_travel_m: float = 0.04,
) -> int | None:
    """End of the last movement in ``direction`` between a rest ending at ``b`` and a lift starting at ``lift_start``.

    The velocity is integrated afresh from the acceleration, from zero at
    the rest to ``lift_start_velocity`` (the lift's own, measured well) where
    the lift starts, the drift between them a straight line: the pass's
    velocity may have flattened the movement (its rest was taken from it),
    and the line takes out any constant residual bias.  None when no run
    over ``threshold_m_s`` covers ``least_travel_m``.
    """
    if b < 1 or lift_start - b < 3:
        return None
    velocity = _integral_from_rest(vertical[b - 1 : lift_start], fs)  # velocity[k] at sample b + k
    velocity -= (velocity[-1] - lift_start_velocity) * np.arange(1, velocity.size + 1) / velocity.size
    speed = direction * velocity
    runs = mask_to_runs(speed > threshold_m_s)
    if runs.shape[0] == 0:
        return None
    csum = running_sum(speed)
    travel = (csum[runs[:, 1]] - csum[runs[:, 0]]) / fs
    moved = np.flatnonzero(travel >= least_travel_m)
    return None if moved.size == 0 else b + int(runs[moved[-1], 1])


def _set_members(phases: tuple[np.ndarray, ...], j: int, fs: float, set_break_s: float) -> np.ndarray:
    """Indices of the phases of phase ``j``'s kind in its set (phases closer than ``set_break_s``)."""
    starts, ends, kinds, _ = phases
    breaks = np.flatnonzero(starts[1:] - ends[:-1] > set_break_s * fs) + 1
    first = int(breaks[breaks <= j].max()) if (breaks <= j).any() else 0
    last = int(breaks[breaks > j].min()) if (breaks > j).any() else kinds.size
    return np.flatnonzero(kinds[first:last] == kinds[j]) + first


def _set_travel(phases: tuple[np.ndarray, ...], j: int, fs: float, set_break_s: float) -> float:
    """Median travel of phase ``j`` and the phases of its kind in the rest of its set.

    The reps of a set cover about the same range, and the median is not
    thrown by one phase whose end ran on with a drifting velocity.
    """
    same = _set_members(phases, j, fs, set_break_s)
    return float(np.median(phases[3][same[same >= j]]))


def _lead_from(
    a: int,
    b: int,
    rest: np.ndarray,
    expected: float,
    vertical: np.ndarray,
    quiet: np.ndarray,
    fs: float,
    lead_kind: int,
    *,
    curved_min_s: float,
    threshold_m_s: float,
    onset_s: float,
    min_shape: float,
    initial_rest_s: float,
) -> tuple[int, np.ndarray] | None:
    """The lost lead restored over ``[a, b)`` (see :func:`_restore_lost_lead`): its start and velocity, or None."""
    top = np.arange(int(fs))
    restored = _closure_drift(vertical[a:b], rest - a, expected, fs, top, curved_min_s)
    # If the bar moved and then rested for ``initial_rest_s`` or more
    # until half a second before the descent found leaves (a step up
    # onto the dip bars), the stretch starts after that move: the travel
    # to restore is the descent's alone.
    moving = mask_to_runs(lead_kind * restored > threshold_m_s)
    onset = a + (int(moving[np.argmax(moving[:, 1] - moving[:, 0]), 0]) if moving.shape[0] else b - a)
    held = max(onset - int(0.5 * fs), a)
    moved = np.flatnonzero(~quiet[a:held])
    pinned = bool(moved.size) and held - (a + int(moved[-1]) + 1) >= initial_rest_s * fs
    if pinned:
        # That rest is long: all of it is kept at rest.
        a = a + int(moved[-1]) + 1
        restored = _closure_drift_pinned(vertical[a:b], rest - a, expected, fs, np.arange(held - a))
    else:
        not_quiet = np.flatnonzero(~quiet[a:b])
        held = a + (int(not_quiet[0]) if not_quiet.size else b - a)
    if not _looks_like_descent(lead_kind * restored, top, rest - a, fs, threshold_m_s, onset_s, min_shape):
        # When the rest the stretch starts from lasts, a drift that
        # keeps all of it at rest pins a bias that wandered over the
        # long stretch far better than the first second does; with the
        # plain fit the bar may creep off seconds early, which is
        # refused as no descent.  (Already tried if ``pinned``.)
        if pinned or held - a < initial_rest_s * fs:
            return None
        first_fit_onset = onset
        restored = _closure_drift_pinned(vertical[a:b], rest - a, expected, fs, np.arange(held - a))
        if not _looks_like_descent(lead_kind * restored, top, rest - a, fs, threshold_m_s, onset_s, min_shape):
            # The quiet stretch may hold the descent's cruise too (a slow
            # negative is as quiet as the hold).  The descent leaves the
            # hold with its one push downwards: the half second, before
            # the first fit's onset, over which the velocity changes most
            # in the descent's direction (a 2 cm/s push against a bias
            # drift of a few mm/s), starting at the latest where the first
            # fit's descent leaves.  The hold ends there.
            half = max(int(0.5 * fs), 1)
            raw = _integral_from_rest(vertical[a:b], fs)
            search_lo, search_hi = int(initial_rest_s * fs), min(first_fit_onset + half, held) - a
            if search_hi - search_lo < half:
                return None
            push = lead_kind * (raw[search_lo + half : search_hi] - raw[search_lo : search_hi - half])
            if push.max() < 0.5 * threshold_m_s:  # no push at all: noise and drift only, no descent to find
                return None
            hold_end = a + search_lo + int(np.argmax(push))
            restored = _closure_drift_held(vertical[a:b], rest - a, expected, fs, np.arange(hold_end - a))
            # Such a cruise may sit right at the phase threshold, in and
            # out of it: its run is judged over half of it.
            if not _looks_like_descent(
                lead_kind * restored, top, rest - a, fs, threshold_m_s, onset_s, min_shape, moving_m_s=0.5 * threshold_m_s
            ):
                return None
    return a, restored


def _restore_lost_lead(
    velocity: np.ndarray,
    gap: np.ndarray,
    phases: tuple[np.ndarray, ...],
    quiet: np.ndarray,
    vertical: np.ndarray,
    fs: float,
    set_break_s: float,
    lead_kind: int,
    *,
    full_travel: np.ndarray | None = None,
    curved_min_s: float = 6.0,
    short_fraction: float = FAST_END_FRACTION,
    threshold_m_s: float = 0.02,
    onset_s: float = 2.5,
    min_shape: float = 0.25,
    initial_rest_s: float = 2.0,
    hold_piece_s: float = 0.4,
) -> bool:
    """Restore (in place) the first phase of a set lost before its first opposite phase.

    In a set that starts at the top, the first descent is preceded by the
    rest before the set, so no lift brackets it, and a slow one can be
    taken whole for a rest; the set then seems to start with a lift.  That
    lift brought the bar back to where the set started, so the descent
    covered its travel (the median of the set's lifts, see
    :func:`_set_travel`): the stretch from the rest before the set to the
    pause before the lift is integrated afresh (:func:`_closure_drift`).
    A descent is accepted only if it really is one: the rest at its start
    stays at rest and the speed then leaves it within ``onset_s`` and keeps
    above ``threshold_m_s`` for at least a second.  A drift forced onto a
    stretch with no descent in it makes a slow, rounded bulge instead.
    When that fails and the stretch opens with ``initial_rest_s`` or more
    of quiet, a drift that keeps all of that rest at rest is tried
    (:func:`_closure_drift_pinned`).  A slow negative's cruise is as quiet
    as the hold before it, so that rest may run on into the descent: last,
    the hold is taken to end where the velocity changes most in the
    descent's direction within half a second (the push that starts it, of
    at least half the phase threshold), and a drift that keeps every sample
    of the hold and of the bottom rest at rest is fitted
    (:func:`_closure_drift_held`).  When the bar moved and then rested
    for ``initial_rest_s`` or more until the descent found (a step up onto
    the dip bars), the stretch starts after that move and that drift is
    used at once.  The stretch starts at the first quiet second before the
    phase found; when no descent comes of it, at each shorter quiet moment
    (``hold_piece_s`` or more) before that second, latest first: a data gap
    or a swaying hand-off can cut the hold into pieces under a second, and
    the first quiet second is then already the cruise of a slow negative.
    When none of those gives a descent, at each later rest of a second or
    more, earliest first: the first may be the rest before a move of the
    setup (development draws without a gyroscope, 11-50 and 51-90:
    205.2 -> 202.3 s and 192.3 -> 177.7 s, six first negatives of
    negative-only sets found again, no recording worse).
    """
    starts, ends, kinds, travel = phases
    if kinds.size == 0:
        return False
    quiet_index = np.flatnonzero(quiet)
    gap_index = np.flatnonzero(gap)
    window = max(int(round(0.5 * fs)), 2)
    changed = False
    previous_end = np.concatenate([[0], ends[:-1]])
    opens_set = (np.arange(kinds.size) == 0) | (starts - previous_end > set_break_s * fs)
    # The set opens with the opposite phase, or with only the short fast end
    # of the lost one before it.
    whole = np.flatnonzero((kinds == -lead_kind) & opens_set)
    partial = 1 + np.flatnonzero(
        (kinds[:-1] == lead_kind) & opens_set[:-1] & (kinds[1:] == -lead_kind) & (travel[:-1] < short_fraction * travel[1:])
    )
    fit_settings = dict(
        curved_min_s=curved_min_s, threshold_m_s=threshold_m_s, onset_s=onset_s, min_shape=min_shape,
        initial_rest_s=initial_rest_s,
    )
    for j in sorted(whole.tolist() + partial.tolist()):  # per set that seems to start with the opposite phase
        first_phase = j - 1 if j in partial else j
        peak = _peak_index(velocity, phases, j)
        block_start = int(gap_index[np.searchsorted(gap_index, starts[j]) - 1]) + 1 if gap_index.size and gap_index[0] < starts[j] else 0
        lo = max(block_start, int(previous_end[first_phase]) if first_phase else 0, int(starts[j] - set_break_s * fs))
        # The stretch starts at the first rest of a second or more: quiet
        # moments scattered through a walkout or an unrack before it are
        # not the hold the descent leaves from.
        quiet_runs = mask_to_runs(quiet[lo : starts[first_phase]])
        held_runs = quiet_runs[quiet_runs[:, 1] - quiet_runs[:, 0] >= fs]
        if held_runs.shape[0] == 0:
            continue
        a = lo + int(held_runs[0, 0])
        pieces = quiet_runs[(quiet_runs[:, 1] - quiet_runs[:, 0] >= hold_piece_s * fs) & (quiet_runs[:, 0] < a - lo)]
        earlier = lo + pieces[:, 0]
        far = _rest_before_phase(phases, j, first_phase if first_phase != j else None, quiet_index, lo, peak, window)
        if far is None:
            continue
        b, rest = far
        if b - a < 2 * fs:
            continue
        travel_phases = phases if full_travel is None else (starts, ends, kinds, full_travel)
        expected = lead_kind * _set_travel(travel_phases, j, fs, set_break_s)
        found = _lead_from(a, b, rest, expected, vertical, quiet, fs, lead_kind, **fit_settings)
        if found is None:
            # A gap in the data or a swaying hand-off may have cut the hold
            # into pieces under a second, so the first quiet second is
            # already the cruise of a slow negative: the shorter quiet
            # moments before it, latest first, are the hold's.
            for start in earlier[::-1]:
                found = _lead_from(int(start), b, rest, expected, vertical, quiet, fs, lead_kind, **fit_settings)
                if found is not None:
                    break
        if found is None:
            # The first rest may be the one before a move of the setup (the
            # step up onto the dip bars, a swaying hand-off): the stretch
            # from there carries that move's travel and its drift, and the
            # descent found starts late or not at all.  The later rests of
            # a second or more, earliest first.
            for start in lo + held_runs[1:, 0]:
                if b - start < 2 * fs:
                    break
                found = _lead_from(int(start), b, rest, expected, vertical, quiet, fs, lead_kind, **fit_settings)
                if found is not None:
                    break
        if found is None:
            continue
        a, restored = found
        velocity[a:b] = restored
        changed = True
    return changed


def _looks_like_descent(
    along: np.ndarray,
    top: np.ndarray,
    rest: np.ndarray,
    fs: float,
    threshold_m_s: float,
    onset_s: float,
    min_shape: float,
    moving_m_s: float | None = None,
) -> bool:
    """Whether a restored lead (velocity ``along`` its direction) is a real descent (see :func:`_restore_lost_lead`).

    The descent is the longest run over ``moving_m_s`` (the phase threshold
    unless given).
    """
    if abs(float(np.mean(along[top]))) > 0.25 * threshold_m_s or abs(float(np.mean(along[rest]))) > threshold_m_s:
        return False
    moving = mask_to_runs(along > (threshold_m_s if moving_m_s is None else moving_m_s))
    if moving.shape[0] == 0:
        return False
    longest = int(np.argmax(moving[:, 1] - moving[:, 0]))
    first, last = moving[longest]
    if last - first < fs:
        return False
    # A real descent leaves the rest quickly; a forced drift creeps away.
    # "At rest" is judged against the descent's own speed: a hold that
    # the drift leaves at 7 mm/s under a 0.1 m/s descent is still a hold.
    resting_m_s = max(0.25 * threshold_m_s, 0.1 * float(np.median(along[first:last])))
    resting = np.flatnonzero(along[:first] < resting_m_s)
    if resting.size == 0 or first - resting[-1] > onset_s * fs:
        return False
    # ... and is no parabola: a drift forced onto a stretch without a
    # descent is one (zero at both ends, curved between).
    t = np.arange(along.size, dtype=float)
    bulge = t * (t[-1] - t)
    fitted = bulge * (float(along @ bulge) / float(bulge @ bulge))
    return bool(np.sqrt(np.mean((along - fitted) ** 2)) >= min_shape * np.sqrt(np.mean(along**2)))


def _closure_error(displacement: np.ndarray, expected: np.ndarray) -> float:
    a = expected[:, 0].astype(np.intp)
    b = expected[:, 1].astype(np.intp)
    moved = np.nan_to_num(displacement[b] - displacement[a])
    return float(np.sum(np.abs(moved - expected[:, 2])))


def _blocks(valid: np.ndarray) -> np.ndarray:
    block = np.full(valid.size, -1, dtype=np.intp)
    for number, (start, end) in enumerate(mask_to_runs(valid)):  # per gap-free block
        block[start:end] = number
    return block


def _normalise_exercise(exercise: str | None) -> str | None:
    if exercise is None:
        return None
    name = exercise.strip().lower().replace("-", "").replace("_", "")
    aliases = {"benchpress": "bench", "pullups": "pullup", "chinup": "pullup", "ohp": "press",
               "overheadpress": "press", "romaniandeadlift": "rdl", "dips": "dip"}
    name = aliases.get(name, name)
    if name not in EXERCISES:
        raise ConfigError(f"unknown exercise {exercise!r}; choose one of: {', '.join(EXERCISES)}")
    return name


def analyze(
    recording: Recording,
    *,
    exercise: str | None = None,
    settings: AnalysisSettings | None = None,
) -> AnalysisResult:
    """Analyse a recording into sets, reps and the rep table.

    Parameters
    ----------
    recording
        The sensor data.
    exercise
        A hint (``bench``, ``squat``, ``deadlift``, ...).  The rep order is read
        from the data; the hint only decides when the data cannot, and sets a
        sensible minimum travel for short-range exercises.
    settings
        Overrides of the definition's numbers.

    Returns
    -------
    AnalysisResult
    """
    settings = settings or AnalysisSettings()
    exercise = _normalise_exercise(exercise or recording.exercise)
    kinematics, diagnostics, state = _first_pass(recording, settings)
    min_travel = settings.min_rep_travel_m
    if min_travel is None:
        min_travel = _MIN_TRAVEL_BY_EXERCISE.get(exercise or "", MIN_REP_TRAVEL_M)
    hint = None
    if exercise in TOP_START_EXERCISES:
        hint = ECCENTRIC
    elif exercise in BOTTOM_START_EXERCISES:
        hint = CONCENTRIC
    segmenter = PhaseSegmenter(
        threshold_m_s=settings.phase_speed_threshold_m_s,
        stall_s=settings.stall_tolerance_s,
        min_travel_m=min_travel,
        set_break_s=settings.set_break_rest_s,
        first_phase=settings.first_phase,
        order_hint=hint,
        closing_descent=exercise not in BAR_EXERCISES,
    )
    valid = state.valid
    fs = kinematics.sample_rate_hz
    segmenter.detect(kinematics.time_s, np.nan_to_num(kinematics.velocity_m_s), valid=valid, sample_rate_hz=fs)

    # The quiet pause between a lift and the following descent (or a descent
    # and the following lift) is a reversal: the bar is at rest there whatever
    # level the first pass gave it.  Cruises of slow descents lie inside a
    # phase or between two phases of the same direction, never there.  So
    # is the hold after a set's last lift, before the rerack.
    # So is a quiet hold that a descent leaves by a step to a faster cruise
    # (a drifting velocity made it the descent's slow start), and a quiet
    # pause that a descent enters by a braking step (made its slow end).
    first_velocity = np.nan_to_num(kinematics.velocity_m_s)
    reversal_rest = (
        _reversal_rests(segmenter.phases_, state.quiet, kinematics.still, fs, settings.set_break_rest_s)
        | state.turn_rest
        | _holds_before_steps(segmenter.phases_, first_velocity, state.quiet, fs)
        | _rests_after_steps(
            segmenter.phases_, first_velocity, state.quiet, fs,
            acc_lp=kinematics.vertical_acc_lp_mps2, drop_acc_g=settings.drop_acc_g, drop_min_s=settings.drop_min_duration_s,
        )
    )
    # Re-integrations of the first pass's acceleration under new rests share
    # its work that does not depend on them.
    first_integration = state.integration
    if reversal_rest.any():
        integration = first_integration.reestimate(known_rest=reversal_rest)
        state.integration = integration
        kinematics = _kinematics(
            kinematics.time_s, fs, state.vertical, integration, kinematics.horizontal_acc_mps2, kinematics.gap, kinematics
        )
        segmenter.detect(kinematics.time_s, np.nan_to_num(kinematics.velocity_m_s), valid=valid, sample_rate_hz=fs)

    # Two lifts in a row (or two descents) with the bar back where it started:
    # the return in between was taken for a rest.  That happens to the 10 s
    # cruise of a negative-only rep, which is as quiet as a hold.  The moments
    # right after the first phase and right before the second are rests; the
    # stretch between them is motion, and the integration is redone so.  The
    # answer is kept only if the bar now comes back (position closure).
    known_motion = np.zeros(valid.size, dtype=bool)
    edges, motion, expected = _unpaired_stretches(
        segmenter.phases_, state.quiet, fs, settings.set_break_rest_s, np.nan_to_num(kinematics.velocity_m_s)
    )
    if expected.shape[0]:
        before = _closure_error(kinematics.displacement_m, expected)
        trial = first_integration.reestimate(known_rest=reversal_rest | edges, known_motion=motion)
        trial_kinematics = _kinematics(
            kinematics.time_s, fs, state.vertical, trial, kinematics.horizontal_acc_mps2, kinematics.gap, kinematics
        )
        if _closure_error(trial_kinematics.displacement_m, expected) < 0.3 * before:
            reversal_rest = reversal_rest | edges
            known_motion = motion
            state.integration = integration = trial
            kinematics = trial_kinematics
            segmenter.detect(kinematics.time_s, np.nan_to_num(kinematics.velocity_m_s), valid=valid, sample_rate_hz=fs)

    # Second pass, rep-aware.  (1) A bias vector that the bar's rotation turns
    # into a varying vertical error is estimated from position closure (the bar
    # returns to the same height at every top and bottom) and removed from the
    # vertical acceleration; rests are then re-judged.
    calibration = state.calibration
    # A remaining bias vector leaks into the vertical through the change of
    # the up-direction (its constant part goes with the drift).
    # Relative to each block's own quiet pose: a sleeve spin between blocks
    # turns the sensor, and the reading model of each block already holds its pose.
    unit = state.up_sensor.copy()
    for lo, hi in block_spans(state.uniform.block):  # per block
        quiet_sel = state.quiet[lo:hi]
        unit[lo:hi] -= unit[lo:hi][quiet_sel].mean(axis=0) if quiet_sel.any() else unit[lo:hi].mean(axis=0)
    gain = 1.0 / calibration.scale
    total_bias = np.zeros(3)
    vertical = state.vertical
    integration = state.integration
    for _ in range(3 if settings.closure_bias else 0):
        starts, ends, kinds, _ = segmenter.phases_
        index, kind = stationary_points(starts, ends, kinds, integration.still_)
        pairs = closure_pairs(index, kind, fs, max_gap_s=settings.set_break_rest_s)
        still = integration.still_

        def pin(signal: np.ndarray, still: np.ndarray = still) -> np.ndarray:
            return integration._drift_through_rests(signal, still, fs) if still.any() else np.zeros_like(signal)

        bias, _ = estimate_bias_from_closure(
            np.nan_to_num(kinematics.velocity_m_s), unit, gain, pin, pairs, fs
        )
        if np.linalg.norm(bias) < 0.02:  # under 2 mg: nothing to gain
            break
        if np.linalg.norm(total_bias + bias) > settings.max_closure_bias_mps2:
            # More than the calibration leaves of any accelerometer's offset:
            # the closure equations came from a wrong segmentation (cruises
            # taken for rests); keep the first-pass answer.
            break
        total_bias += bias
        # Only the part that changes with orientation matters (the rest is a
        # constant already removed with the drift), so measure it from the rest pose.
        # Not where the bar is taken as held still: a sleeve spin turns
        # "up" through every pose, and the correction turned into a step of
        # 0.2 m/s there (the first negative after it started 4 s early).
        correction = np.where(state.held, 0.0, gain * (unit @ bias))
        vertical = np.where(valid, vertical + correction, 0.0)
        integration = DriftCorrectedIntegration().estimate(
            vertical, state.quiet, fs, state.uniform.block, known_rest=reversal_rest, known_motion=known_motion,
            lost=state.uniform.lost,
        )
        kinematics = _kinematics(kinematics.time_s, fs, vertical, integration, kinematics.horizontal_acc_mps2, kinematics.gap)
        segmenter.detect(kinematics.time_s, np.nan_to_num(kinematics.velocity_m_s), valid=valid, sample_rate_hz=fs)
    diagnostics["closure_bias_g"] = (total_bias / STANDARD_GRAVITY).round(4).tolist()

    # (1b) Descents still lost between two lifts (or lifts between two
    # descents): integrate the stretch afresh from the moment the first phase
    # has braked, with the drift that makes the bar rest before the second.
    # Sets that start at the top (forced by the protocol, or the exercise's
    # habit when the data do not say) may have lost their first descent.
    top_first = settings.first_phase == ECCENTRIC or (settings.first_phase is None and hint == ECCENTRIC)
    restored = _restore_lost_phases(
        kinematics, segmenter.phases_, state.quiet, state.vertical, fs, settings.set_break_rest_s,
        lead_kind=-1 if top_first else 0, drop_acc_g=settings.drop_acc_g, drop_min_s=settings.drop_min_duration_s,
    )
    if restored is not None:
        kinematics = _with_velocity(kinematics, restored, valid, state.uniform.block, segmenter)
        diagnostics["restored_phases"] = True

    # (2) Long stretches without rests (continuous sets): zero velocity where
    # the bar turns, then piecewise-linear drift with knots at the reversals
    # from position closure.
    velocity = pin_reversals(np.nan_to_num(kinematics.velocity_m_s), kinematics.still, valid, fs)
    kinematics = _with_velocity(kinematics, velocity, valid, state.uniform.block, segmenter)
    starts, ends, kinds, _ = segmenter.phases_
    reversal_index, reversal_kind = reversals_between(starts, ends, kinds)
    if reversal_index.size >= 3:
        velocity = refine_by_closure(
            np.nan_to_num(kinematics.velocity_m_s), kinematics.still, reversal_index, reversal_kind, fs,
            turn_tolerance_m_s=0.03 if state.uniform.gyr_rads is not None else None,
        )
        kinematics = replace(
            kinematics,
            velocity_m_s=np.where(valid, velocity, np.nan),
            displacement_m=integrate_by_block(velocity, state.uniform.block, fs),
        )
        segmenter.detect(kinematics.time_s, np.nan_to_num(kinematics.velocity_m_s), valid=valid, sample_rate_hz=fs)
    # (3) The bowed velocity error of slow descents, measured against the
    # height the neighbouring lifts climb.  Without a gyroscope too since
    # the accelerometer-only rests became reliable enough for it (19 of the
    # 27 development recordings it changed read better).
    straightened = _straighten_descents(kinematics, segmenter.phases_)
    if straightened is not None:
        kinematics = _with_velocity(kinematics, straightened, valid, state.uniform.block, segmenter)
    diagnostics["still_fraction"] = float(kinematics.still.mean())
    segments = _settle_boundaries(segmenter.sets_, kinematics, detrend_calm=state.uniform.gyr_rads is None)
    reps = rep_table(kinematics, segments, settings)
    sets = set_table(reps, segments)
    return AnalysisResult(
        recording=recording,
        kinematics=kinematics,
        segments=segments,
        reps=reps,
        sets=sets,
        exercise=exercise,
        settings=settings,
        diagnostics=diagnostics,
    )
