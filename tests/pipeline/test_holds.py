"""A hold (a pause) that a drifting velocity turned into the slow start (end) of a descent is found again."""

import numpy as np

from eccentric_sense.analysis import AnalysisSettings, _holds_before_steps, _rests_after_steps, analyze
from eccentric_sense.pipeline.segmentation import PhaseSegmenter
from eccentric_sense.simulate import heldout_suite

FS = 100.0


def _phases(velocity: np.ndarray) -> tuple[np.ndarray, ...]:
    t = np.arange(velocity.size) / FS
    return PhaseSegmenter().detect(t, velocity, sample_rate_hz=FS).phases_


def _ramp(a: float, b: float, seconds: float) -> np.ndarray:
    return np.linspace(a, b, int(seconds * FS), endpoint=False)


def _hold_then_cruise(hold_level: float, cruise: float, *, hold_slope: float = 0.0) -> tuple[np.ndarray, np.ndarray, slice]:
    """Rest, a 1 s unrack (not quiet), a 3 s quiet hold at ``hold_level``, a 0.5 s step, an 8 s cruise, rest."""
    rest = np.zeros(int(2 * FS))
    unrack = 0.1 * np.sin(np.linspace(0, 2 * np.pi, int(1 * FS)))
    hold = hold_level + hold_slope * np.arange(int(3 * FS)) / FS
    step = _ramp(hold[-1], cruise, 0.5)
    v = np.concatenate([rest, unrack, hold, step, np.full(int(8 * FS), cruise), _ramp(cruise, 0.0, 0.5), rest])
    quiet = np.ones(v.size, dtype=bool)
    quiet[rest.size : rest.size + unrack.size] = False  # the unrack moves
    start = rest.size + unrack.size
    quiet[start + hold.size : start + hold.size + step.size] = False  # the step accelerates
    return v, quiet, slice(start, start + hold.size)


def test_a_hold_read_as_a_slow_start_is_found_and_nothing_else():
    v, quiet, hold = _hold_then_cruise(-0.03, -0.08)
    known = _holds_before_steps(_phases(v), v, quiet, FS)
    assert known[hold].all()
    assert known.sum() == hold.stop - hold.start


def test_a_cruise_that_only_speeds_up_a_little_is_not_a_hold():
    # -0.045 -> -0.06: faster, but neither by 0.025 m/s nor twice as fast.
    v, quiet, _ = _hold_then_cruise(-0.045, -0.06)
    assert not _holds_before_steps(_phases(v), v, quiet, FS).any()


def test_a_gentle_start_that_keeps_accelerating_is_not_a_hold():
    # The velocity leaves its level inside the quiet run (1.5 cm/s per
    # second) before the step: a descent that had already begun.
    v, quiet, _ = _hold_then_cruise(-0.005, -0.1, hold_slope=-0.015)
    assert not _holds_before_steps(_phases(v), v, quiet, FS).any()


def test_the_first_negative_after_an_unrack_starts_where_the_bar_leaves_the_hold():
    # A development draw (never a held-out seed): a 400 Hz MPU-6050 on a
    # press.  The unrack left the hold before the first negative at
    # -0.03 m/s, so the first descent began 4.3 s early, at the unrack.
    case = heldout_suite(22, 32)[31]
    sim = case.simulate()
    recording = sim.recording
    first_set = recording.time_s < 200.0  # the set, its rerack and most of the rest after it
    recording = type(recording)(
        time_s=recording.time_s[first_set],
        acc_mps2=recording.acc_mps2[first_set],
        gyr_rads=recording.gyr_rads[first_set],
        metadata=recording.metadata,
    )
    reps = analyze(recording, exercise="press", settings=AnalysisSettings(first_phase="eccentric")).reps
    truth = sim.truth_reps
    first_truth = truth.iloc[0]
    first = reps.iloc[0]
    assert abs(first["ecc_start_s"] - first_truth["ecc_start_s"]) < 0.3
    assert abs(first["ecc_duration_s"] - first_truth["ecc_duration_s"]) < 0.3


def _cruise_then_pause(cruise: float, pause_level: float, *, pause_slope: float = 0.0) -> tuple[np.ndarray, np.ndarray, slice]:
    """Rest, a quiet 8 s cruise, a 0.5 s braking step (not quiet), a 0.8 s quiet pause at ``pause_level``, a lift, rest."""
    rest = np.zeros(int(2 * FS))
    start = _ramp(0.0, cruise, 0.5)
    pause = pause_level + pause_slope * np.arange(int(0.8 * FS)) / FS
    brake = _ramp(cruise, pause[0], 0.5)
    lift = 0.5 * np.sin(np.linspace(0, np.pi, int(1 * FS))) ** 2
    v = np.concatenate([rest, start, np.full(int(8 * FS), cruise), brake, pause, lift, rest])
    quiet = np.ones(v.size, dtype=bool)
    first = rest.size + start.size + int(8 * FS)
    quiet[first : first + brake.size] = False  # the braking step
    pause_span = slice(first + brake.size, first + brake.size + pause.size)
    quiet[pause_span.stop : pause_span.stop + lift.size] = False  # the lift
    return v, quiet, pause_span


def test_a_pause_read_as_a_slow_end_is_found_and_nothing_else():
    v, quiet, pause = _cruise_then_pause(-0.08, -0.03)
    known = _rests_after_steps(_phases(v), v, quiet, FS)
    assert known[pause].all()
    assert known.sum() == pause.stop - pause.start


def test_a_cruise_that_only_slows_a_little_has_no_pause():
    # -0.06 -> -0.045: slower, but neither by 0.025 m/s nor by half.
    v, quiet, _ = _cruise_then_pause(-0.06, -0.045)
    assert not _rests_after_steps(_phases(v), v, quiet, FS).any()


def test_a_slow_end_that_keeps_braking_is_not_a_pause():
    # Still slowing by 2 cm/s per second after the step: the descent goes on.
    v, quiet, _ = _cruise_then_pause(-0.1, -0.04, pause_slope=0.02)
    assert not _rests_after_steps(_phases(v), v, quiet, FS).any()


def test_a_heavy_negative_ends_where_the_bar_stops_not_at_the_next_lift():
    # A development draw: a 200 Hz ICM-42688 on a bench, heavy negatives.
    # The pause at the bottom of the fourth rep read -0.03 m/s, and the
    # descent ran on through it to the lift, 1.3 s late.
    case = heldout_suite(12, 6)[5]
    sim = case.simulate()
    reps = analyze(sim.recording, exercise="bench").reps
    truth = sim.truth_reps
    assert len(reps) >= 4
    ends = reps["ecc_end_s"].to_numpy()
    for true_end in truth["ecc_end_s"].iloc[:4]:
        assert np.min(np.abs(ends - true_end)) < 0.3


def test_the_slow_going_on_after_a_caught_drop_is_not_a_pause():
    # A negative dropped at its start and caught at 0.05 m/s goes on at that
    # speed: the same step into a level as a pause read as moving.  The fall
    # (the drop rule's -0.5 g for 0.1 s) tells them apart.
    v, quiet, pause = _cruise_then_pause(-0.3, -0.05)
    phases = _phases(v)
    assert _rests_after_steps(phases, v, quiet, FS)[pause].all()  # without the acceleration: a pause
    acc_lp = np.gradient(v) * FS
    fall_start = int(np.argmax(v < -0.02))
    acc_lp[fall_start : fall_start + int(0.15 * FS)] = -0.7 * 9.80665
    assert not _rests_after_steps(phases, v, quiet, FS, acc_lp=acc_lp).any()
