"""A slow descent erased by the rest logic is restored from the acceleration."""

import numpy as np
import pytest

from eccentric_sense.analysis import _restore_lost_phases
from eccentric_sense.pipeline.segmentation import PhaseSegmenter
from eccentric_sense.pipeline.types import Kinematics
from eccentric_sense.pipeline.vertical import lowpass_zero_phase

FS = 100.0


def _smooth_step(n: int) -> np.ndarray:
    x = (np.arange(n) + 0.5) / n
    return x * x * x * (10 - 15 * x + 6 * x * x)


def _negative_only():
    """Lift, slow 0.04 m/s descent of the same travel, rest, lift (times in samples)."""
    n_lift = int(1.0 * FS)
    lift = 0.6 * np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift) ** 2
    travel = lift.sum() / FS
    ramp = 0.04 * _smooth_step(int(0.5 * FS))
    cruise_s = travel / 0.04 - 0.5  # ramps add 0.5 s worth of travel at full speed
    descent = -np.concatenate([ramp, np.full(int(round(cruise_s * FS)), 0.04), ramp[::-1]])
    rest = np.zeros(int(2 * FS))
    v = np.concatenate([rest, lift, descent, rest, lift, rest])
    descent_span = slice(rest.size + n_lift, rest.size + n_lift + descent.size)
    return v, descent_span


def test_erased_descent_comes_back_and_an_intact_one_is_left_alone():
    v_true, span = _negative_only()
    acc = np.gradient(v_true) * FS
    quiet = np.abs(acc) < 0.005
    erased = v_true.copy()
    erased[span] = 0.0  # what pinning the cruise as a rest does
    t = np.arange(v_true.size) / FS

    def kinematics(v):
        return Kinematics(t, FS, acc, lowpass_zero_phase(acc, 10.0, FS), v, np.cumsum(v) / FS,
                          np.zeros_like(v), quiet, np.zeros(v.size, bool))

    phases = PhaseSegmenter().detect(t, erased).phases_
    assert phases[2].tolist() == [1, 1]  # two lifts, no descent: the symptom
    restored = _restore_lost_phases(kinematics(erased), phases, quiet, acc, FS, 20.0)
    assert restored is not None
    cruise = slice(span.start + int(1 * FS), span.stop - int(1 * FS))
    assert restored[cruise] == pytest.approx(-0.04, abs=0.004)
    assert PhaseSegmenter().detect(t, restored).phases_[2].tolist() == [1, -1, 1]
    intact = PhaseSegmenter().detect(t, v_true).phases_
    assert _restore_lost_phases(kinematics(v_true), intact, quiet, acc, FS, 20.0) is None
