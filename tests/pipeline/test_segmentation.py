"""Phases, reps and sets from analytic velocity profiles (the 0.02 m/s definition)."""

import numpy as np
import pytest

from eccentric_sense.pipeline.segmentation import CONCENTRIC, ECCENTRIC, PhaseSegmenter, find_phases

FS = 100.0


def _bump(duration_s: float, peak_m_s: float) -> np.ndarray:
    """Half-sine velocity bump (exact travel 2 * peak * duration / pi)."""
    n = int(round(duration_s * FS))
    return peak_m_s * np.sin(np.pi * (np.arange(n) + 0.5) / n)


def _rep_velocity(pause_s: float = 1.0) -> np.ndarray:
    rest = np.zeros(int(pause_s * FS))
    return np.concatenate([rest, -_bump(1.5, 0.5), rest, _bump(1.0, 0.7), rest])


def test_phases_of_one_rep_start_and_end_where_speed_crosses_threshold():
    v = _rep_velocity()
    t = np.arange(v.size) / FS
    starts, ends, kinds, travel = find_phases(t, v)
    assert kinds.tolist() == [-1, 1]
    # Descent: 0.5 sin(pi x / 1.5 s) exceeds 0.02 m/s from asin(0.04) * 1.5 / pi after its start.
    offset = np.arcsin(0.02 / 0.5) * 1.5 / np.pi
    assert t[starts[0]] == pytest.approx(1.0 + offset, abs=1.5 / FS)
    assert t[ends[0]] == pytest.approx(2.5 - offset, abs=1.5 / FS)
    assert travel[0] == pytest.approx(2 * 0.5 * 1.5 / np.pi, rel=0.02)
    assert travel[1] == pytest.approx(2 * 0.7 * 1.0 / np.pi, rel=0.02)


def test_short_stall_is_bridged_but_a_reversal_is_not():
    stall = np.full(int(0.3 * FS), 0.01)  # under 0.02 m/s for 0.3 s < 0.5 s
    down = np.concatenate([np.zeros(50), -_bump(1.0, 0.3), -stall, -_bump(1.0, 0.3), np.zeros(50)])
    t = np.arange(down.size) / FS
    assert find_phases(t, down)[2].tolist() == [-1]
    reversal = np.concatenate([np.zeros(50), -_bump(1.0, 0.3), _bump(0.2, 0.05), -_bump(1.0, 0.3), np.zeros(50)])
    assert find_phases(np.arange(reversal.size) / FS, reversal)[2].tolist() == [-1, 1, -1]


def test_segmenter_pairs_reps_drops_small_moves_and_splits_sets():
    wiggle = np.concatenate([_bump(0.4, 0.1), -_bump(0.4, 0.1)])  # 2.5 cm: unracking, not a rep
    one_set = np.concatenate([wiggle, _rep_velocity(), _rep_velocity(), _rep_velocity()])
    v = np.concatenate([one_set, np.zeros(int(30 * FS)), one_set])
    t = np.arange(v.size) / FS
    segmenter = PhaseSegmenter().detect(t, v)
    assert len(segmenter.sets_) == 2
    for set_segment in segmenter.sets_:
        assert set_segment.first == ECCENTRIC
        assert len(set_segment.reps) == 3
        for rep in set_segment.reps:
            assert rep.eccentric.kind == ECCENTRIC and rep.concentric.kind == CONCENTRIC
            assert rep.eccentric.end_s <= rep.concentric.start_s


def test_lift_first_sets_pair_concentric_then_eccentric():
    rest = np.zeros(100)
    v = np.concatenate([rest, _bump(1.0, 0.7), rest, -_bump(1.0, 0.6), rest] * 3)
    t = np.arange(v.size) / FS
    segmenter = PhaseSegmenter().detect(t, v)
    (only,) = segmenter.sets_
    assert only.first == CONCENTRIC
    assert len(only.reps) == 3
    assert all(rep.concentric.start_s < rep.eccentric.start_s for rep in only.reps)


@pytest.mark.parametrize("hint", [None, ECCENTRIC])
def test_a_top_start_set_that_lost_its_first_descent_keeps_its_order(hint):
    # A bench set (descent, lift) x 3 whose first descent was lost: the data
    # open and close with a lift.  Read alone they look like a lift-first set;
    # with the exercise's order the lifts pair with the descents before them.
    rest = np.zeros(100)
    rep = np.concatenate([rest, -_bump(1.5, 0.5), rest, _bump(1.0, 0.7), rest])
    v = np.concatenate([rest, rest, rest, _bump(1.0, 0.7), rest, rep, rep])
    t = np.arange(v.size) / FS
    (only,) = PhaseSegmenter(order_hint=hint).detect(t, v).sets_
    assert len(only.reps) == 3
    if hint is None:
        assert only.first == CONCENTRIC  # nothing says otherwise
    else:
        assert only.first == ECCENTRIC
        lone, *full = only.reps
        assert lone.eccentric is None and lone.concentric is not None  # the first rep's surviving lift
        assert all(r.eccentric.end_s < r.concentric.start_s for r in full)


def test_slow_drift_after_the_last_rep_is_not_a_rep_but_a_real_last_lift_is():
    rest = np.zeros(100)
    reps = np.concatenate([np.concatenate([rest, _bump(1.0, 0.7), rest, -_bump(1.0, 0.6)]) for _ in range(3)])
    drift = np.concatenate([rest, np.full(int(8 * FS), 0.05), rest])  # 0.4 m "up" over 8 s
    lift = np.concatenate([rest, _bump(1.0, 0.7), rest])
    for tail, expected in ((drift, 3), (lift, 4)):
        v = np.concatenate([reps, tail])
        (only,) = PhaseSegmenter().detect(np.arange(v.size) / FS, v).sets_
        assert len(only.reps) == expected


@pytest.mark.parametrize("closing_descent", [False, True])
def test_a_lone_descent_after_a_top_start_set_s_last_lift_is_a_rep_only_where_sets_may_end_so(closing_descent):
    # Three negatives, each lifted back, then a 0.3 m descent like the others:
    # with a bar that is the bar put down (closing_descent False, a bench or
    # a curl); a pull-up negative set ends with its last negative.
    rest = np.zeros(100)
    reps = np.concatenate([np.concatenate([rest, -_bump(1.5, 0.3), rest, _bump(1.0, 0.5)]) for _ in range(3)])
    v = np.concatenate([reps, rest, -_bump(1.5, 0.3), rest])
    segmenter = PhaseSegmenter(first_phase=ECCENTRIC, closing_descent=closing_descent)
    (only,) = segmenter.detect(np.arange(v.size) / FS, v).sets_
    assert all(r.eccentric is not None and r.concentric is not None for r in only.reps[:3])
    if closing_descent:
        assert len(only.reps) == 4 and only.reps[3].concentric is None
    else:
        assert len(only.reps) == 3


def test_slow_drift_before_the_first_rep_is_not_a_rep():
    rest = np.zeros(100)
    drift = np.concatenate([rest, np.full(int(8 * FS), -0.05), rest])  # 0.4 m "down" over 8 s
    reps = np.concatenate([np.concatenate([rest, _bump(1.0, 0.7), rest, -_bump(1.0, 0.6)]) for _ in range(3)])
    v = np.concatenate([drift, reps, rest])
    (only,) = PhaseSegmenter().detect(np.arange(v.size) / FS, v).sets_
    assert only.first == CONCENTRIC
    assert len(only.reps) == 3


@pytest.mark.parametrize("at_start", [True, False])
def test_drift_that_runs_into_the_first_or_last_rep_is_cut_off_and_the_rep_kept(at_start):
    # After a walk-out the velocity drifts at a few cm/s and runs straight into
    # the set's first descent (or a negative-only set's last descent runs on
    # into the drift after it): one long, slow phase, unlike the set's others.  The drift is not a
    # rep; the phase's own burst is, from where its speed passes a fifth of
    # its peak (within a tenth of a second of the 0.02 m/s crossing here).
    rest = np.zeros(100)
    drift = np.full(int(4 * FS), -0.04)
    descent = -_bump(1.5, 0.4)
    if at_start:
        reps = [np.concatenate([descent, rest, _bump(1.0, 0.7), rest]) for _ in range(4)]
        v = np.concatenate([rest, drift, *reps])
        hint, burst_start = ECCENTRIC, rest.size + drift.size
    else:  # a negative-only set: its last descent has no lift after it
        reps = [np.concatenate([rest, descent, rest, _bump(1.0, 0.7)]) for _ in range(3)] + [np.concatenate([rest, descent])]
        v = np.concatenate([*reps, drift, rest])
        hint, burst_end = ECCENTRIC, sum(r.size for r in reps)
    t = np.arange(v.size) / FS
    (only,) = PhaseSegmenter(order_hint=hint).detect(t, v).sets_
    assert len(only.reps) == 4
    fifth = np.arcsin(0.2) * 1.5 / np.pi  # where the half-sine passes a fifth of its peak
    if at_start:
        first = only.reps[0].eccentric
        assert first is not None
        assert first.start_s == pytest.approx(t[burst_start] + fifth, abs=0.02)
    else:
        last = only.reps[-1].eccentric
        assert last is not None
        assert last.end_s == pytest.approx(t[burst_end] - fifth, abs=0.02)


def test_drift_into_a_move_before_a_lift_first_set_is_not_cut_back_into_a_rep():
    # The same drift running into a descent before a set known to start with
    # a lift (a row) is a setup move: cut back to its burst it would look like
    # a rep, and the set would be read descent-first, every lift paired with
    # the wrong descent.
    rest = np.zeros(100)
    reps = [np.concatenate([rest, _bump(1.0, 0.7), rest, -_bump(1.5, 0.4)]) for _ in range(4)]
    v = np.concatenate([rest, np.full(int(4 * FS), -0.04), -_bump(1.5, 0.4), *reps, rest])
    (only,) = PhaseSegmenter(order_hint=CONCENTRIC).detect(np.arange(v.size) / FS, v).sets_
    assert only.first == CONCENTRIC
    assert len(only.reps) == 4
    assert all(rep.concentric is not None and rep.eccentric is not None for rep in only.reps)


def test_phase_boundaries_between_samples_follow_the_curve_not_the_chord():
    # A lift sampled at 25 Hz: 0.8 sin^2 profile over 0.6 s (steep, convex near zero).
    fs = 25.0
    t = np.arange(int(3 * fs)) / fs + 0.013  # grid not aligned with the motion
    lift = np.clip((t - 1.0) / 0.6, 0.0, 1.0)
    v = 0.8 * np.sin(np.pi * lift) ** 2
    exact_start = 1.0 + 0.6 * np.arcsin(np.sqrt(0.02 / 0.8)) / np.pi
    exact_end = 1.6 - (exact_start - 1.0)
    (only,) = PhaseSegmenter(min_travel_m=0.1).detect(t, v).sets_
    phase = only.reps[0].concentric
    assert phase.start_s == pytest.approx(exact_start, abs=0.004)
    assert phase.end_s == pytest.approx(exact_end, abs=0.004)


def test_a_noisy_dip_in_a_slow_cruise_is_bridged_but_a_stop_is_not():
    rest = np.zeros(int(2 * FS))
    cruise = np.full(int(3 * FS), -0.025)

    def descent(dip: np.ndarray) -> np.ndarray:
        return np.concatenate([rest, cruise, dip, cruise, rest])

    # 1.5 s at 0.015 m/s: under the threshold for longer than a stall, but the
    # bar keeps moving at more than half the threshold (an estimate wavering
    # around a 0.025 m/s cruise): one phase.
    wavering = descent(np.full(int(1.5 * FS), -0.015))
    t = np.arange(wavering.size) / FS
    assert find_phases(t, wavering)[2].tolist() == [-1]
    # The same time at a standstill (or creeping at under half the threshold) is a stop.
    for speed in (0.0, -0.008):
        stopped = descent(np.full(int(1.5 * FS), speed))
        assert find_phases(t, stopped)[2].tolist() == [-1, -1]
    # Longer than the bridge allows (3 s), but the bar creeps on at half the
    # threshold or more for less than 8 s from the first cruise's end, second
    # cruise included: one movement measured low (the creeping tail, see below).
    long_dip = descent(np.full(int(3.5 * FS), -0.015))
    assert find_phases(np.arange(long_dip.size) / FS, long_dip)[2].tolist() == [-1]
    # 9 s of it is a slower movement of its own: a stop even at 0.015 m/s.
    crawl = descent(np.full(int(9.0 * FS), -0.015))
    assert find_phases(np.arange(crawl.size) / FS, crawl)[2].tolist() == [-1, -1]


def _slow_negative(creep_s: float, braking_s: float = 0.4) -> np.ndarray:
    """Rest, a 4 s cruise at 0.025 m/s, ``creep_s`` at 0.015 m/s, a braking ramp to rest, rest."""
    rest = np.zeros(int(2 * FS))
    cruise = np.full(int(4 * FS), -0.025)
    creep = np.full(int(round(creep_s * FS)), -0.015)
    braking = np.linspace(-0.015 if creep_s else -0.025, 0.0, int(braking_s * FS))
    return np.concatenate([rest, cruise, creep, braking, rest])


@pytest.mark.parametrize("creep_s", [2.0, 5.0, 7.0])
def test_a_cruise_that_sinks_under_the_threshold_until_the_bottom_is_one_descent(creep_s):
    # A 0.02-0.025 m/s negative whose estimate sinks to 0.015 m/s and stays
    # there until the braking: the bar kept moving, so the descent ends at
    # the braking, not where the estimate first dipped (there is no second
    # cruise to bridge to): where the braking takes it under half the
    # threshold, a third of the way down the 0.4 s ramp from 0.015 m/s.
    v = _slow_negative(creep_s)
    t = np.arange(v.size) / FS
    starts, ends, kinds, _ = find_phases(t, v)
    assert kinds.tolist() == [-1]
    assert t[starts[0]] == pytest.approx(2.0, abs=0.02)
    assert t[ends[0]] == pytest.approx(6.0 + creep_s + 0.4 / 3, abs=0.03)


@pytest.mark.parametrize("creep_s", [0.0, 0.5, 10.0])
def test_an_ordinary_braking_or_a_long_crawl_ends_the_descent_at_the_threshold(creep_s):
    # Braking straight from the cruise, or a brief 0.5 s dip before it, ends
    # where the speed falls under 0.02 m/s; so does a crawl of more than 8 s
    # (a slower movement of its own, not the same cruise measured low).
    v = _slow_negative(creep_s)
    t = np.arange(v.size) / FS
    starts, ends, kinds, _ = find_phases(t, v)
    assert kinds[0] == -1
    crossing = 6.0 + (0.4 * 0.2 if creep_s == 0.0 else 0.0)  # the ramp from 0.025 crosses 0.02 after a fifth
    assert t[ends[0]] == pytest.approx(crossing, abs=0.05)


def test_a_poke_over_the_threshold_while_creeping_to_the_bottom_stays_in_the_descent():
    # The estimate sinks to 0.015 m/s, pokes over 0.02 m/s for 0.2 s and sinks
    # again until the braking: one movement, one descent to the braking.
    rest = np.zeros(int(2 * FS))
    v = np.concatenate([
        rest, np.full(int(4 * FS), -0.025), np.full(int(1.5 * FS), -0.015), np.full(int(0.2 * FS), -0.022),
        np.full(int(1.5 * FS), -0.015), np.linspace(-0.015, 0.0, int(0.4 * FS)), rest,
    ])
    t = np.arange(v.size) / FS
    starts, ends, kinds, _ = find_phases(t, v)
    assert kinds.tolist() == [-1]
    assert t[ends[0]] == pytest.approx(2.0 + 4.0 + 1.5 + 0.2 + 1.5 + 0.4 / 3, abs=0.03)
