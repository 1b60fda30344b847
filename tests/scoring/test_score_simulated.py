"""End to end: simulated recordings -> analyze() -> score().

The simulator's flaws are produced on purpose with a wide margin around each
threshold, so the expected flags follow from the set specification.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from eccentric_sense import columns as C
from eccentric_sense.analysis import AnalysisSettings, analyze
from eccentric_sense.scoring import score
from eccentric_sense.simulate import SetSpec, simulate_set


def run(spec: SetSpec, protocol: str, seed: int = 1):
    sim = simulate_set(spec, seed=seed)
    # Negative-only sets start with the descent (what `analyze --protocol` tells the analysis).
    first = "eccentric" if protocol in ("negative_only", "pullup_negative") else None
    result = analyze(sim.recording, exercise=spec.exercise, settings=AnalysisSettings(first_phase=first))
    return result, score(result, protocol=protocol)


@pytest.fixture(scope="module")
def squat_with_flaws():
    spec = SetSpec(exercise="squat", protocol="heavy_negatives", n_reps=5, ecc_s=4.0,
                   flaws={3: ["late_braking"], 4: ["drop"]})
    return run(spec, "heavy_negatives")


def test_drop_and_late_braking_are_flagged(squat_with_flaws):
    _, scored = squat_with_flaws
    flags = [list(f) for f in scored.reps[C.FLAGS]]
    assert len(flags) == 5
    assert flags[:3] == [[], [], []]
    assert "late_braking" in flags[3]
    assert "uncontrolled_descent" in flags[4]


def test_flawed_reps_score_lower_than_clean_ones(squat_with_flaws):
    _, scored = squat_with_flaws
    score_ = scored.reps[C.CONTROL_SCORE].to_numpy()
    assert (score_[:3] == 100).all()
    assert score_[3] < 100 and score_[4] < 100
    # a fall (40 points, always in full) costs more than late braking (at most 20)
    assert score_[4] < score_[3]
    assert "control_fading" in scored.sets[C.SET_FLAGS].iloc[0]


def test_scoring_agrees_with_the_analysis_flag(squat_with_flaws):
    result, scored = squat_with_flaws
    from_analysis = ["uncontrolled_descent" in f for f in result.reps[C.FLAGS]]
    from_scoring = scored.checks["uncontrolled_descent"].broken.tolist()
    assert from_analysis == from_scoring


def true_phase_flags(spec: SetSpec, protocol: str, rule: str, seed: int) -> list[bool]:
    """``rule`` on the analysis's kinematics at the simulator's true phase boundaries.

    Keeps these tests about the rule and the signal, not about rep segmentation.
    """
    sim = simulate_set(spec, seed=seed)
    result = analyze(sim.recording, exercise=spec.exercise, settings=AnalysisSettings(first_phase="eccentric"))
    truth = dataclasses.replace(result, reps=sim.truth_reps.assign(**{C.FLAGS: [[]] * len(sim.truth_reps)}),
                                sets=sim.truth_sets)
    return [rule in f for f in score(truth, protocol=protocol).reps[C.FLAGS]]


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize(("unsteady", "expected"), [(False, False), (True, True)])
def test_negative_pullup_handoff(unsteady, expected, seed):
    spec = SetSpec(exercise="pullup", protocol="pullup_negative", n_reps=3, ecc_s=4.0,
                   unsteady_handoff=unsteady, swing_m=0.0)
    flagged = true_phase_flags(spec, "pullup_negative", "unsteady_handoff", seed)
    assert flagged == [expected] * 3


@pytest.mark.parametrize(("swing_m", "expected"), [(0.0, False), (0.08, True)])
def test_pullup_swinging(swing_m, expected):
    spec = SetSpec(exercise="pullup", protocol="pullup_negative", n_reps=3, ecc_s=4.0, swing_m=swing_m)
    assert true_phase_flags(spec, "pullup_negative", "swinging", 1) == [expected] * 3


def test_json_of_a_scored_analysis_is_the_rep_table_shape(squat_with_flaws):
    _, scored = squat_with_flaws
    doc = scored.to_dict()
    assert set(doc) == {"recording", "sets", "reps"}
    assert all(list(r) == list(C.REP_TABLE_COLUMNS) for r in doc["reps"])
    assert all(isinstance(r[C.FLAGS], list) and 0 <= r[C.CONTROL_SCORE] <= 100 for r in doc["reps"])
    assert doc["sets"][0][C.SET_FLAGS] == ["control_fading"]
    import json

    json.dumps(doc, allow_nan=False)
    assert np.isnan(scored.analysis.reps[C.CONTROL_SCORE]).sum() == 0
