"""Both sides of the rep rules' thresholds on simulated lifts.

Each case simulates the same kind of set twice, once clearly inside and once
clearly outside the rule's default threshold (the margin is wide, so the
expected outcome follows from the specification, not from the output), and
runs it through the real pipeline: recording -> analysis -> scoring.
"""

from __future__ import annotations

import pytest

from eccentric_sense import columns as C
from eccentric_sense.simulate import RepSpec, SetSpec, simulate_session
from eccentric_sense.workflow import analyze_recording

CLEAN = dict(setup=False, impacts=False, roll_deg=0.0)


def scored(spec: SetSpec, protocol: str, seed: int = 3):
    sim = simulate_session([spec], sensor="icm42688", sample_rate_hz=200, mounting="flat", seed=seed)
    return analyze_recording(sim.recording, exercise=spec.exercise, protocol=protocol), sim


def flagged(result, rule: str) -> list[bool]:
    return [rule in flags for flags in result.reps[C.FLAGS]]


@pytest.mark.parametrize(("ecc_s", "expected"), [(1.8, True), (4.8, False)])
def test_ecc_too_fast_against_the_tempo_target_of_3_s(ecc_s: float, expected: bool) -> None:
    reps = [RepSpec(ecc_s=ecc_s, con_s=1.0, rom_m=0.42, pause_top_s=1.5) for _ in range(4)]
    result, sim = scored(SetSpec(exercise="bench", protocol="tempo", reps=reps, **CLEAN), "tempo")
    assert len(result.reps) == len(sim.truth_reps) == 4
    assert flagged(result, "ecc_too_fast") == [expected] * 4


@pytest.mark.parametrize(("flaw", "expected"), [(["hard_bottom"], True), ([], False)])
def test_hard_bottom_against_3_m_s2(flaw: list[str], expected: bool) -> None:
    spec = SetSpec(exercise="squat", protocol="tempo", n_reps=4, ecc_s=3.5, flaws={2: flaw}, **CLEAN)
    result, sim = scored(spec, "tempo")
    assert len(result.reps) == len(sim.truth_reps)
    truth = ["hard_bottom" in f for f in sim.truth_reps[C.FLAGS]]
    assert truth[2] is expected  # the simulator really did (or did not) stop hard
    assert flagged(result, "hard_bottom")[2] is expected


@pytest.mark.parametrize(("flaw", "expected"), [(["short_rom"], True), ([], False)])
def test_short_rom_against_85_percent_of_the_set_median(flaw: list[str], expected: bool) -> None:
    spec = SetSpec(exercise="bench", protocol="tempo", n_reps=5, ecc_s=3.5, flaws={3: flaw}, **CLEAN)
    result, sim = scored(spec, "tempo")
    assert len(result.reps) == 5
    assert flagged(result, "short_rom") == [False, False, False, expected, False]


@pytest.mark.parametrize(("con_s", "expected"), [(4.5, True), (1.0, False)])
def test_slow_concentric_of_a_negative_only_set_against_3_s(con_s: float, expected: bool) -> None:
    reps = [RepSpec(ecc_s=10.5, con_s=con_s, rom_m=0.5, pause_top_s=1.5, pause_bottom_s=0.5) for _ in range(3)]
    spec = SetSpec(exercise="press", protocol="negative_only", reps=reps, **CLEAN)
    result, sim = scored(spec, "negative_only")
    assert len(result.reps) == 3
    lifts = result.reps[C.CON_DURATION_S].dropna()
    assert len(lifts) >= 2
    assert all(flag is expected for flag, d in zip(flagged(result, "slow_concentric"), result.reps[C.CON_DURATION_S])
               if d == d)
