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


# Set rules: the same, with the number and length of the simulated reps on
# either side of the rule's default threshold.


def scored_set(reps: list[RepSpec], exercise: str, simulated_protocol: str, protocol: str, overrides=()):
    spec = SetSpec(exercise=exercise, protocol=simulated_protocol, reps=reps, **CLEAN)
    sim = simulate_session([spec], sensor="icm42688", sample_rate_hz=200, mounting="flat", seed=5)
    result = analyze_recording(sim.recording, exercise=exercise, protocol=protocol, rule_overrides=list(overrides))
    assert len(result.reps) == len(sim.truth_reps) == len(reps)
    assert len(result.sets) == 1
    return list(result.sets[C.SET_FLAGS].iloc[0])


def negatives(n: int, ecc_s: float = 5.0) -> list[RepSpec]:
    return [RepSpec(ecc_s=ecc_s, con_s=1.5, rom_m=0.45, pause_top_s=1.5, pause_bottom_s=0.5) for _ in range(n)]


@pytest.mark.parametrize(("n_reps", "expected"), [(5, False), (8, True)])
def test_too_many_heavy_negatives_against_6(n_reps: int, expected: bool) -> None:
    flags = scored_set(negatives(n_reps), "bench", "heavy_negatives", "heavy_negatives")
    assert ("too_many_reps" in flags) is expected


@pytest.mark.parametrize(("n_reps", "expected"), [(4, True), (8, False)])
def test_forced_repetitions_rep_range_against_6_to_10(n_reps: int, expected: bool) -> None:
    reps = [RepSpec(ecc_s=4.0, con_s=1.2, rom_m=0.45, pause_top_s=1.0, pause_bottom_s=0.3) for _ in range(n_reps)]
    flags = scored_set(reps, "bench", "tempo", "forced_positive")
    assert ("rep_range" in flags) is expected


@pytest.mark.parametrize(("n_negatives", "expected"), [(1, True), (3, False)])
def test_negatives_after_failure_against_2_to_5(n_negatives: int, expected: bool) -> None:
    lifts = [RepSpec(ecc_s=1.5, con_s=1.0, rom_m=0.45, pause_top_s=1.0, pause_bottom_s=0.2) for _ in range(6)]
    flags = scored_set(lifts + negatives(n_negatives, ecc_s=7.0), "bench", "tempo", "beyond_failure")
    assert ("negatives_count" in flags) is expected


@pytest.mark.parametrize(("last_ecc_s", "expected"), [(2.5, True), (5.0, False)])
def test_control_fading_against_70_percent_of_the_first_descent(last_ecc_s: float, expected: bool) -> None:
    # The descent target is lowered to 2 s so that no rep is too fast and
    # only the ratio of the last descent to the first decides.
    reps = negatives(3) + negatives(1, ecc_s=last_ecc_s)
    flags = scored_set(reps, "bench", "heavy_negatives", "heavy_negatives", overrides=["ecc_too_fast.heavy_negatives=2"])
    assert ("control_fading" in flags) is expected
