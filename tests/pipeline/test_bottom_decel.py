"""bottom_peak_decel measures the stop, not the lift that follows it."""

import numpy as np
import pytest

from eccentric_sense.analysis import _bottom_decel
from eccentric_sense.pipeline.types import Kinematics, Phase

FS = 100.0


def _hump(peak: float, duration_s: float) -> np.ndarray:
    n = int(duration_s * FS)
    return peak * np.sin(np.pi * (np.arange(n) + 0.5) / n) ** 2


def _kinematics(acc: np.ndarray) -> Kinematics:
    t = np.arange(acc.size) / FS
    zeros = np.zeros(acc.size)
    return Kinematics(t, FS, acc, acc, zeros, zeros, zeros, np.zeros(acc.size, bool), np.zeros(acc.size, bool))


def _descent_then_lift(braking_peak: float, pause_s: float) -> np.ndarray:
    # 2 s of descent, braking at the bottom, a pause, then the lift's push.
    return np.concatenate([np.zeros(int(2 * FS)), _hump(braking_peak, 0.4), np.zeros(int(pause_s * FS)), _hump(6.0, 0.4)])


@pytest.mark.parametrize("braking_peak", [1.5, 4.0])
def test_a_late_descent_end_does_not_take_in_the_lift(braking_peak):
    acc = _descent_then_lift(braking_peak, pause_s=0.3)
    kin = _kinematics(acc)
    exact_end = int(2.4 * FS)  # the bar stops when the braking hump ends
    late_end = int(2.8 * FS)  # a drifting velocity kept the descent going into the lift
    for end in (exact_end, late_end):
        phase = Phase("eccentric", 0, end, 0.0, end / FS)
        assert _bottom_decel(kin, phase) == pytest.approx(braking_peak, rel=0.01)


def test_without_a_pause_the_push_is_part_of_the_stop():
    # Touch-and-go: braking flows straight into the lift; nothing calm separates
    # them, so the window keeps everything (the definition's plain maximum).
    acc = np.concatenate([np.zeros(int(2 * FS)), _hump(2.0, 0.4), _hump(5.0, 0.4)])
    kin = _kinematics(acc)
    phase = Phase("eccentric", 0, int(2.6 * FS), 0.0, 2.6)
    assert _bottom_decel(kin, phase) == pytest.approx(float(acc[: int(2.6 * FS)].max()))
