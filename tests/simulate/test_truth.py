"""The truth follows the rep-table definitions, and the simulated reps are what was asked for."""

from __future__ import annotations

import numpy as np
import pytest

from eccentric_sense import columns as C
from eccentric_sense.constants import STANDARD_GRAVITY
from eccentric_sense.simulate import IDEAL, RepSpec, SetSpec, simulate_session
from eccentric_sense.simulate.truth import find_phases


def _index(truth, t_rec):
    return int(np.argmin(np.abs(truth.time_s - t_rec)))


@pytest.fixture(scope="module")
def tempo_set():
    reps = [
        RepSpec(ecc_s=4.0, con_s=1.0, rom_m=0.40, pause_bottom_s=1.0, pause_top_s=2.0),
        RepSpec(ecc_s=5.0, con_s=1.2, rom_m=0.42, pause_bottom_s=0.0, pause_top_s=1.5),
        RepSpec(ecc_s=3.5, con_s=0.9, rom_m=0.41, pause_bottom_s=2.0, pause_top_s=1.0),
    ]
    return simulate_session([SetSpec("bench", "tempo", reps=reps, roll_deg=30.0)], sensor=IDEAL, sample_rate_hz=100, seed=1)


def test_truth_table_has_the_contract_columns(tempo_set):
    assert list(tempo_set.truth_reps.columns) == list(C.REP_TABLE_COLUMNS)
    assert list(tempo_set.truth_sets.columns) == list(C.SET_TABLE_COLUMNS)
    assert tempo_set.truth_reps[C.CONTROL_SCORE].isna().all()


def test_specified_tempo_appears_in_the_truth(tempo_set):
    reps = tempo_set.truth_reps
    assert len(reps) == 3
    # Truth durations are measured between 0.02 m/s crossings, so a little
    # shorter than the movement time, never longer.
    for (_, row), ecc, con, rom in zip(reps.iterrows(), (4.0, 5.0, 3.5), (1.0, 1.2, 0.9), (0.40, 0.42, 0.41)):
        assert 0.8 * ecc < row[C.ECC_DURATION_S] <= ecc
        assert 0.75 * con < row[C.CON_DURATION_S] <= con
        assert row[C.ROM] == pytest.approx(rom, abs=0.005)
        assert row[C.ECC_MEAN_VELOCITY] == pytest.approx(row[C.ROM] / row[C.ECC_DURATION_S], rel=0.02)
    for (_, row) in reps.iterrows():
        parts = [int(p) for p in row[C.TEMPO].split("-")]
        measured = [row[C.ECC_DURATION_S], row[C.PAUSE_BOTTOM_S], row[C.CON_DURATION_S], row[C.PAUSE_TOP_S]]
        for part, value in zip(parts, measured):
            assert abs(part - (value if np.isfinite(value) else 0.0)) <= 0.5
    assert reps[C.PAUSE_BOTTOM_S].iloc[0] == pytest.approx(1.0, abs=0.4)
    assert reps[C.PAUSE_BOTTOM_S].iloc[2] == pytest.approx(2.0, abs=0.4)
    assert reps[C.PAUSE_TOP_S].iloc[0] == pytest.approx(2.0, abs=0.5)  # rep 1 holds 2 s before rep 2
    assert np.isnan(reps[C.PAUSE_TOP_S].iloc[2])
    assert reps[C.FLAGS].map(len).sum() == 0


def test_phase_boundaries_are_where_speed_crosses_the_threshold(tempo_set):
    truth = tempo_set.truth
    for _, row in tempo_set.truth_reps.iterrows():
        for start, end, sign in ((row[C.ECC_START_S], row[C.ECC_END_S], -1), (row[C.CON_START_S], row[C.CON_END_S], 1)):
            i, j = _index(truth, start), _index(truth, end)
            speed = sign * truth.v_m_s
            assert speed[i] > 0.02 >= speed[i - 1]
            assert speed[j] > 0.02 >= speed[j + 1]
            assert np.all(speed[i : j + 1] > 0.0)


def test_bottom_peak_decel_uses_the_10hz_lowpassed_acceleration_in_the_window(tempo_set):
    truth = tempo_set.truth
    for _, row in tempo_set.truth_reps.iterrows():
        end = row[C.ECC_END_S]
        window = max(0.3 * row[C.ECC_DURATION_S], 0.5)
        inside = (truth.time_s >= end - window) & (truth.time_s <= end + 1e-9)
        assert row[C.BOTTOM_PEAK_DECEL] == pytest.approx(truth.a_lp_m_s2[inside].max(), abs=1e-9)
        # A controlled 4 s descent ends gently.
        assert 0 < row[C.BOTTOM_PEAK_DECEL] < 3.0


def test_stall_does_not_end_the_phase():
    reps = [RepSpec(ecc_s=5.0, con_s=1.0, rom_m=0.5, flaws=["stall"], accel_fraction=0.15, brake_fraction=0.2)]
    sim = simulate_session([SetSpec("squat", "tempo", reps=reps)], sensor=IDEAL, sample_rate_hz=100, seed=2)
    assert len(sim.truth_reps) == 1
    row = sim.truth_reps.iloc[0]
    truth = sim.truth
    inside = (truth.time_s > row[C.ECC_START_S]) & (truth.time_s < row[C.ECC_END_S])
    slow = -truth.v_m_s[inside] < 0.02
    assert slow.any(), "the stall must dip below the threshold"
    assert slow.sum() / truth.rate_hz < 0.5
    assert row[C.ECC_DURATION_S] > 4.0


def test_find_phases_on_hand_made_velocity():
    rate = 1000.0
    t = np.arange(0, 12, 1 / rate)
    v = np.zeros_like(t)
    v[(t > 1) & (t < 3)] = -0.2  # 0.4 m down
    v[(t >= 3.0) & (t < 3.3)] = 0.005 * np.sin(2 * np.pi * 10 * t[(t >= 3.0) & (t < 3.3)])  # a 0.3 s stall with tremor
    v[(t >= 3.3) & (t < 4)] = -0.2  # continues: one phase
    v[(t > 5) & (t < 5.5)] = 0.1  # 5 cm up: not a rep
    v[(t > 6) & (t < 7)] = 0.5  # up
    v[(t >= 7) & (t < 7.8)] = 0.0  # a long stop
    v[(t >= 7.8) & (t < 8.5)] = 0.5  # a new phase
    v[(t >= 9) & (t < 9.5)] = 0.5  # up ...
    v[(t >= 9.5) & (t < 9.6)] = -0.05  # ... a short reversal ...
    v[(t >= 9.6) & (t < 10.1)] = 0.5  # ... and up again: two phases
    z = np.cumsum(v) / rate
    phases = find_phases(t, z, v)
    kinds = [(p.kind, round(t[p.start], 2), round(t[p.end], 2)) for p in phases]
    assert kinds == [
        ("eccentric", 1.0, 4.0),
        ("concentric", 6.0, 7.0),
        ("concentric", 7.8, 8.5),
        ("concentric", 9.0, 9.5),
        ("concentric", 9.6, 10.1),
    ]


def test_drop_has_a_half_g_downward_segment_and_is_flagged():
    reps = [
        RepSpec(ecc_s=4.0, con_s=1.0, rom_m=0.55),
        RepSpec(ecc_s=4.0, con_s=1.0, rom_m=0.55, flaws=["drop"], accel_fraction=0.15, brake_fraction=0.2),
    ]
    sim = simulate_session([SetSpec("squat", "tempo", reps=reps)], sensor=IDEAL, sample_rate_hz=100, seed=4)
    truth = sim.truth
    flags = sim.truth_reps[C.FLAGS].tolist()
    assert flags[0] == [] and C.UNCONTROLLED_DESCENT in flags[1]
    for k, expect in ((0, False), (1, True)):
        row = sim.truth_reps.iloc[k]
        inside = (truth.time_s >= row[C.ECC_START_S]) & (truth.time_s <= row[C.ECC_END_S])
        falling = truth.a_lp_m_s2[inside] <= -0.5 * STANDARD_GRAVITY
        longest = 0
        if falling.any():
            edges = np.diff(np.concatenate(([0], falling.astype(int), [0])))
            longest = int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())
        assert bool(longest / truth.rate_hz >= 0.1) is expect
        # The raw (unfiltered) acceleration agrees.
        assert bool(truth.a_m_s2[inside].min() < -0.5 * STANDARD_GRAVITY) is expect


def test_flawed_reps_get_their_truth_flags():
    flaws = {0: ["late_braking"], 1: ["hard_bottom"], 2: ["too_fast"], 3: ["short_rom"]}
    sim = simulate_session(
        [SetSpec("bench", "tempo", n_reps=6, flaws=flaws, rom_m=0.42)], sensor=IDEAL, sample_rate_hz=100, seed=6
    )
    flags = sim.truth_reps[C.FLAGS].tolist()
    assert "late_braking" in flags[0]
    assert "hard_bottom" in flags[1] and sim.truth_reps[C.BOTTOM_PEAK_DECEL].iloc[1] > 3.0
    assert "ecc_too_fast" in flags[2] and sim.truth_reps[C.ECC_DURATION_S].iloc[2] < 3.0
    assert "short_rom" in flags[3]
    assert flags[4] == [] and flags[5] == []
    late = sim.truth_reps.iloc[0]
    truth = sim.truth
    inside = (truth.time_s >= late[C.ECC_START_S]) & (truth.time_s <= late[C.ECC_END_S])
    peak_at = np.argmax(-truth.v_m_s[inside]) / inside.sum()
    assert peak_at > 0.75


def test_pairing_order_and_sets():
    deadlift = simulate_session(
        [SetSpec("deadlift", "normal", n_reps=3), SetSpec("deadlift", "normal", n_reps=2)], rest_s=30.0, sensor=IDEAL, seed=9
    )
    reps = deadlift.truth_reps
    assert reps[C.SET].tolist() == [1, 1, 1, 2, 2]
    assert reps[C.REP].tolist() == [1, 2, 3, 1, 2]
    # Bottom start: the lift comes first within a rep.
    assert np.all(reps[C.CON_END_S] <= reps[C.ECC_START_S])
    assert deadlift.truth_sets[C.SET_FIRST_PHASE].tolist() == ["concentric", "concentric"]
    assert deadlift.truth_sets[C.SET_REPS].tolist() == [3, 2]
    gap = deadlift.truth_sets[C.SET_START_S].iloc[1] - deadlift.truth_sets[C.SET_END_S].iloc[0]
    assert gap >= 30.0
    squat = simulate_session([SetSpec("squat", "normal", n_reps=2)], sensor=IDEAL, seed=9)
    assert np.all(squat.truth_reps[C.ECC_END_S] <= squat.truth_reps[C.CON_START_S])


def test_setup_moves_are_not_reps():
    # Long walkouts, grip adjustments, spins and rack impacts: only the reps count.
    sim = simulate_session(
        [SetSpec("squat", "normal", n_reps=4, walkout_m=0.9, grip_adjust=True, spins=2)], sensor=IDEAL, seed=11
    )
    assert len(sim.truth_reps) == 4
    kinds = {e["kind"] for e in sim.spec["realised"]["events"]}
    assert {"walkout", "grip_adjust", "sleeve_spin", "impact"} <= kinds


def test_negative_pullups_pair_each_descent_with_the_next_jump():
    sim = simulate_session([SetSpec("pullup", "pullup_negative", n_reps=3)], sensor=IDEAL, seed=12)
    reps = sim.truth_reps
    assert len(reps) == 3
    assert reps[C.ECC_DURATION_S].min() > 3.0
    assert np.all(reps[C.ECC_END_S].iloc[:2].to_numpy() < reps[C.CON_START_S].iloc[:2].to_numpy())
    assert np.isnan(reps[C.CON_START_S].iloc[2])  # the lifter lets go after the last one


def test_mid_motion_start_drops_the_cut_phase():
    sim = simulate_session([SetSpec("bench", "tempo", n_reps=3)], sensor=IDEAL, seed=13, start_mid_motion=True)
    assert len(sim.truth_reps) == 2
    assert sim.truth_reps[C.ECC_START_S].iloc[0] > sim.recording.time_s[0]
    assert abs(sim.truth.v_m_s[0]) > 0.02  # the recording starts moving


@pytest.mark.parametrize(
    "exercise, mean_range, ratio_range",
    # OpenBarbell LPT medians (shared/data): bench 0.43 m/s, squat 0.61, deadlift 0.48;
    # peak/mean about 1.3, 1.8 and 1.85.
    [("bench", (0.36, 0.52), (1.25, 1.6)), ("squat", (0.5, 0.72), (1.6, 2.0)), ("deadlift", (0.42, 0.62), (1.6, 2.05))],
)
def test_concentric_velocities_match_load_velocity_data(exercise, mean_range, ratio_range):
    means, ratios, cvs, losses = [], [], [], []
    for seed in range(4):
        sim = simulate_session([SetSpec(exercise, "normal", n_reps=6, setup=False)], sensor=IDEAL, sample_rate_hz=50, seed=seed)
        v = sim.truth_reps[C.CON_MEAN_VELOCITY].to_numpy()
        means.append(v.mean())
        ratios.extend(sim.truth_reps[C.CON_PEAK_VELOCITY].to_numpy() / v)
        cvs.append(np.std(np.diff(v)) / np.sqrt(2) / v.mean())  # rep-to-rep noise without the trend
        losses.append(sim.truth_sets[C.SET_VELOCITY_LOSS_PCT].iloc[0])
    assert mean_range[0] < np.mean(means) < mean_range[1]
    assert ratio_range[0] < np.median(ratios) < ratio_range[1]
    assert 0.02 < np.mean(cvs) < 0.12
    assert 5.0 < np.mean(losses) < 35.0


def test_unsteady_handoff_truth_follows_the_simulated_hold():
    steady = simulate_session([SetSpec("bench", "negative_only", n_reps=2)], sensor=IDEAL, seed=14)
    shaky = simulate_session([SetSpec("bench", "negative_only", n_reps=2, unsteady_handoff=True)], sensor=IDEAL, seed=14)
    assert all("unsteady_handoff" not in f for f in steady.truth_reps[C.FLAGS])
    assert all("unsteady_handoff" in f for f in shaky.truth_reps[C.FLAGS])
    # The unsteady hold really moves: horizontal acceleration well above 0.05 m/s^2 before each descent.
    truth = shaky.truth
    for start in shaky.truth_reps[C.ECC_START_S]:
        hold = (truth.time_s > start - 1.0) & (truth.time_s < start)
        assert np.sqrt(np.mean(truth.horizontal_m_s2[hold] ** 2)) > 0.2
