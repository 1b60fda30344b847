"""Physically consistent lift simulator: the ground truth the analysis is judged by.

Build a session from :class:`SetSpec` (and optionally explicit :class:`RepSpec`)
and call :func:`simulate_session`; the result carries the sensor
:class:`~eccentric_sense.Recording` and the exact rep-table truth computed
from the dense true kinematics.  See ``docs/simulator.md``.
"""

from __future__ import annotations

from .sensor import BMI270, ICM42688, IDEAL, MPU6050, SENSORS, SensorModel, Transport, sensor_preset
from .session import SimulatedRecording, TrueKinematics, simulate_from_spec, simulate_session, simulate_set
from .specs import ECC_TARGET, EXERCISE_PROFILES, FLAWS, PROTOCOLS, RepSpec, SetSpec, starts_at_top
from .suites import BenchmarkCase, benchmark_suite, heldout_suite, random_case, robustness_suite

__all__ = [
    "BMI270",
    "ICM42688",
    "IDEAL",
    "MPU6050",
    "SENSORS",
    "SensorModel",
    "Transport",
    "sensor_preset",
    "SimulatedRecording",
    "TrueKinematics",
    "simulate_from_spec",
    "simulate_session",
    "simulate_set",
    "ECC_TARGET",
    "EXERCISE_PROFILES",
    "FLAWS",
    "PROTOCOLS",
    "RepSpec",
    "SetSpec",
    "starts_at_top",
    "BenchmarkCase",
    "benchmark_suite",
    "heldout_suite",
    "random_case",
    "robustness_suite",
]
