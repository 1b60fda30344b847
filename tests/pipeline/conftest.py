"""Shared simulated recordings (simulated once per test session)."""

from __future__ import annotations

import functools

from eccentric_sense.simulate import SetSpec, simulate_session


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
