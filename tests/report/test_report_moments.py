"""Where flags are marked, and the per-rep descent targets, on signals with a known answer."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from eccentric_sense import columns as C
from eccentric_sense.pipeline.types import Kinematics
from eccentric_sense.report import descent_targets, flag_moments
from eccentric_sense.scoring import load_catalog, score

RATE = 100.0


def _synthetic(flags: list[str]) -> SimpleNamespace:
    """One rep: descent 1.0-4.0 s with a fall at 2.0-2.2 s, fastest at 3.5 s, stopped at 3.8 s."""
    t = np.arange(0, 6.0, 1 / RATE)
    acc = np.zeros_like(t)
    acc[(t >= 2.0) & (t < 2.2)] = -8.0  # > 0.5 g downward for 0.2 s
    acc[(t >= 1.2) & (t < 1.23)] = -8.0  # a shorter fall earlier: not the one to mark
    acc[np.argmin(np.abs(t - 3.8))] = 6.0  # the hard stop, inside the bottom window
    acc[np.argmin(np.abs(t - 1.5))] = 9.0  # larger, but before the bottom window
    velocity = np.where((t >= 1.0) & (t < 4.0), -0.1, 0.0)
    velocity[np.argmin(np.abs(t - 3.5))] = -0.9
    kin = Kinematics(
        time_s=t, sample_rate_hz=RATE, vertical_acc_mps2=acc, vertical_acc_lp_mps2=acc,
        velocity_m_s=velocity, displacement_m=np.cumsum(velocity) / RATE,
        horizontal_acc_mps2=np.zeros_like(t), still=velocity == 0, gap=np.zeros(t.size, bool),
    )
    reps = pd.DataFrame([{
        C.SET: 1, C.REP: 1, C.ECC_START_S: 1.0, C.ECC_END_S: 4.0, C.CON_START_S: 4.5, C.CON_END_S: 6.0,
        C.FLAGS: flags,
    }])
    return SimpleNamespace(reps=reps, kinematics=kin, catalog=load_catalog())


def test_each_flag_is_marked_at_its_moment():
    rules = ["uncontrolled_descent", "hard_bottom", "late_braking", "ecc_too_fast", "short_rom",
             "unsteady_handoff", "slow_concentric", "a_rule_from_elsewhere"]
    moments = flag_moments(_synthetic(rules)).set_index("rule")["time_s"]
    expected = {
        "uncontrolled_descent": 2.0,  # start of the longest fall, not the earlier short one
        "hard_bottom": 3.8,  # the stop inside the bottom window (last 0.9 s), not the 1.5 s peak
        "late_braking": 3.5,  # peak downward speed
        "ecc_too_fast": 4.0, "short_rom": 4.0,  # end of the descent
        "unsteady_handoff": 1.0,  # its start
        "slow_concentric": 5.25,  # middle of the lift
        "a_rule_from_elsewhere": 2.5,  # middle of the descent
    }
    assert list(moments.index) == rules
    for rule, when in expected.items():
        assert moments[rule] == pytest.approx(when, abs=0.5 / RATE), rule


def test_no_flags_no_moments():
    frame = flag_moments(_synthetic([]))
    assert frame.empty and list(frame.columns) == [C.SET, C.REP, "rule", "time_s", "where"]


def test_fall_threshold_comes_from_the_catalog():
    data = _synthetic(["uncontrolled_descent"])
    # 8 m/s^2 is below 1 g: with the threshold raised there is no fall to point at,
    # and the marker falls back to the middle of the descent.
    data.catalog = data.catalog.with_overrides(["uncontrolled_descent.acc_g=1.0"])
    assert flag_moments(data)["time_s"].iloc[0] == pytest.approx(2.5)


def test_ratio_protocol_targets_follow_each_rep_lift(scored):
    emphasized = score(scored.analysis, protocol="negative_emphasized", exercise="bench")
    ratio = emphasized.catalog.rule("ecc_too_fast").params["negative_emphasized"].value
    con = emphasized.reps[C.CON_DURATION_S].to_numpy(float)
    targets = descent_targets(emphasized)
    finite = np.isfinite(con)
    assert finite.sum() >= 2
    np.testing.assert_allclose(targets[finite], ratio * con[finite])


def test_targets_without_checks_are_nan():
    data = _synthetic([])
    assert np.isnan(descent_targets(data)).all()
