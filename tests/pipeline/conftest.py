"""Shared simulated recordings (simulated once per test session)."""

from __future__ import annotations

import functools

import pandas as pd

from eccentric_sense.analysis import AnalysisSettings, analyze
from eccentric_sense.simulate import SetSpec, heldout_suite, simulate_session


@functools.lru_cache(maxsize=None)
def simulated(kind: str):
    """A few small recordings the end-to-end and invariance tests share."""
    if kind == "bench_tempo":
        return simulate_session(
            [SetSpec("bench", "tempo", n_reps=5), SetSpec("bench", "tempo", n_reps=5)],
            rest_s=40.0, sensor="bmi270", sample_rate_hz=200.0, seed=11,
        )
    if kind == "squat_normal":
        return simulate_session(
            [SetSpec("squat", "normal", n_reps=6)], sensor="mpu6050", sample_rate_hz=50.0, seed=12,
        )
    if kind == "deadlift_normal":
        return simulate_session(
            [SetSpec("deadlift", "normal", n_reps=5)], sensor="icm42688", sample_rate_hz=100.0, seed=13,
        )
    if kind == "press_negative_emphasized":
        return simulate_session(
            [SetSpec("press", "negative_emphasized", n_reps=5)], sensor="bmi270", sample_rate_hz=100.0, seed=14,
        )
    raise KeyError(kind)


def development_draw(
    seed: int, index: int, *, exercise: str, gyroscope: str, first_phase: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Rep table, true rep table and condition of case ``index`` of ``heldout_suite(seed)``.

    Only development seeds (11-90) belong here, never a held-out one.  The
    exercise and whether the sensor has a gyroscope are checked, so a change
    to the suite's draws fails loudly instead of testing another recording.
    """
    case = heldout_suite(seed, index + 1)[index]
    assert (case.condition["exercise"], case.condition["gyroscope"]) == (exercise, gyroscope), case.condition
    sim = case.simulate()
    reps = analyze(sim.recording, exercise=exercise, settings=AnalysisSettings(first_phase=first_phase)).reps
    return reps, sim.truth_reps, case.condition
