"""Drift-corrected integration: rests, slow descents and continuous sets (analytic signals)."""

import numpy as np
import pytest

from scipy.integrate import cumulative_trapezoid

from eccentric_sense.pipeline.drift import (
    DriftCorrectedIntegration,
    _cumtrapz,
    hold_rests,
    pin_reversals,
    refine_by_closure,
    turn_rests,
)

FS = 100.0


def _smooth_step(n: int) -> np.ndarray:
    x = (np.arange(n) + 0.5) / n
    return x * x * x * (10 - 15 * x + 6 * x * x)


def _slow_negative_velocity() -> np.ndarray:
    """Rest, speed up to 0.04 m/s in 0.5 s, cruise 8 s, brake in 0.5 s, rest, quick lift back."""
    rest = np.zeros(int(4 * FS))
    ramp = 0.04 * _smooth_step(int(0.5 * FS))
    cruise = np.full(int(8 * FS), 0.04)
    descent = -np.concatenate([ramp, cruise, ramp[::-1]])
    travel = -descent.sum() / FS
    n_lift = int(1.0 * FS)
    lift = travel * np.pi / 2 / 1.0 * np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift)
    return np.concatenate([rest, descent, rest, lift, rest])


def _quiet_where_no_acceleration(velocity: np.ndarray) -> np.ndarray:
    acc = np.gradient(velocity) * FS
    return np.abs(acc) < 0.01


def test_slow_descent_cruise_is_not_mistaken_for_a_rest():
    v_true = _slow_negative_velocity()
    acc = np.gradient(v_true) * FS + 0.004  # a residual bias of 0.4 mg
    acc += np.random.default_rng(0).normal(0, 0.01, acc.size)
    quiet = _quiet_where_no_acceleration(v_true)
    result = DriftCorrectedIntegration().estimate(acc, quiet, FS)
    cruise = slice(int(5 * FS), int(12 * FS))
    assert result.velocity_[cruise].mean() == pytest.approx(-0.04, abs=0.006)
    assert not result.still_[cruise].any()
    assert result.still_[: int(3 * FS)].all()


def test_known_motion_forbids_rests_and_known_rest_forces_them():
    v_true = _slow_negative_velocity()
    acc = np.gradient(v_true) * FS
    quiet = _quiet_where_no_acceleration(v_true)
    motion = np.zeros(acc.size, dtype=bool)
    motion[int(5 * FS) : int(12 * FS)] = True
    result = DriftCorrectedIntegration().estimate(acc, quiet, FS, known_motion=motion)
    assert not result.still_[motion].any()
    rest = np.zeros(acc.size, dtype=bool)
    rest[int(14 * FS) : int(16 * FS)] = True
    forced = DriftCorrectedIntegration().estimate(acc, quiet, FS, known_rest=rest)
    assert forced.still_[int(14.1 * FS) : int(15.9 * FS)].all()


def test_reestimate_gives_what_a_fresh_estimate_under_the_same_constraints_gives():
    v_true = np.concatenate([_slow_negative_velocity(), _slow_negative_velocity()])
    acc = np.gradient(v_true) * FS + 0.003 + np.random.default_rng(1).normal(0, 0.01, v_true.size)
    quiet = _quiet_where_no_acceleration(v_true)
    block = np.repeat([0, 1], [v_true.size // 2, v_true.size - v_true.size // 2])  # two gap-free blocks
    motion = np.zeros(acc.size, dtype=bool)
    motion[int(14 * FS) : int(16 * FS)] = True  # the rest after the first descent
    rest = np.zeros(acc.size, dtype=bool)
    rest[int(6 * FS) : int(9 * FS)] = True  # inside the first descent's cruise
    # The braking test is switched off (braked_max_m_s=0): it would rightly
    # refuse a rest forced into a cruise that brakes into the bottom rest.
    settings = dict(piece_s=0.4, braked_max_m_s=0.0)
    first = DriftCorrectedIntegration(**settings).estimate(acc, quiet, FS, block)
    # Twice, with constraints that add sure rests: the shared first-pass work must not keep them.
    for known_rest, known_motion in [(rest, motion), (None, motion), (rest, None), (None, None)]:
        again = first.reestimate(known_rest=known_rest, known_motion=known_motion)
        fresh = DriftCorrectedIntegration(**settings).estimate(acc, quiet, FS, block, known_rest, known_motion)
        assert again is not first and again.piece_s == 0.4 and again.braked_max_m_s == 0.0
        for name in ("velocity_", "displacement_", "still_", "bias_"):
            np.testing.assert_array_equal(getattr(again, name), getattr(fresh, name))
    # The constraints matter here (so the comparisons above have teeth).
    assert first.reestimate(known_rest=rest).still_[rest].mean() > 0.8
    assert not first.reestimate().still_[rest].any()
    assert not first.reestimate(known_motion=motion).still_[motion].any()
    assert first.reestimate().still_[motion].all()
    with pytest.raises(RuntimeError, match="previous estimate"):
        DriftCorrectedIntegration().reestimate()


@pytest.mark.parametrize("shape", [(1,), (2,), (501,), (300, 3)])
def test_cumulative_integral_matches_scipy_exactly(shape):
    x = np.random.default_rng(2).normal(size=shape)
    np.testing.assert_array_equal(_cumtrapz(x, 200.0), cumulative_trapezoid(x, dx=1 / 200.0, axis=0, initial=0.0))


def test_long_rest_follows_a_wandering_bias():
    n = int(120 * FS)
    t = np.arange(n) / FS
    bias = 0.003 * np.sin(2 * np.pi * t / 80.0)  # a bias that wanders, 0.3 mg
    result = DriftCorrectedIntegration().estimate(bias, np.ones(n, dtype=bool), FS)
    assert np.max(np.abs(result.velocity_)) < 0.005
    assert result.still_.all()


def test_reversals_of_a_continuous_set_pin_the_drift():
    # Eight touch-and-go reps (no rest at all) with a large drift that is not linear.
    period = 2.5
    n = int(8 * period * FS)
    t = np.arange(n) / FS
    v_true = 0.6 * np.sin(2 * np.pi * t / period)
    rest = np.zeros(int(3 * FS))
    drift = 0.2 * np.sin(np.pi * t / t[-1])  # zero at the rests around the set, curved in between
    velocity = np.concatenate([rest, v_true + drift, rest])
    still = np.concatenate([np.ones(rest.size, bool), np.zeros(n, bool), np.ones(rest.size, bool)])
    corrected = pin_reversals(velocity, still, np.ones(velocity.size, bool), FS)
    inner = slice(rest.size, rest.size + n)
    assert np.max(np.abs(corrected[inner] - v_true)) < 0.03
    assert np.max(np.abs(velocity[inner] - v_true)) > 0.15  # the test has something to correct


def test_reversal_pins_skip_the_flattened_cruise_of_a_negative():
    # Pull-up negatives with the body swinging: no rest from the first lift
    # to the last.  Each negative cruises at 6 cm/s for 4 s, then speeds up
    # and is caught at the bottom.  The high-pass flattens the cruise, so
    # the phases it yields are the lift and the fast end, 5 s apart; a knot
    # between them would sit in the cruise and pin it to zero.
    n_lift = int(1.0 * FS)
    ease = 0.06 * _smooth_step(int(0.4 * FS))
    speed_up = 0.06 + 0.29 * _smooth_step(int(0.6 * FS))
    descent = -np.concatenate([ease, np.full(int(4 * FS), 0.06), speed_up, np.full(int(0.4 * FS), 0.35),
                               0.35 * _smooth_step(int(0.3 * FS))[::-1]])
    lift = np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift) ** 2
    lift *= -descent.sum() / lift.sum()
    hold, pause, rest = np.zeros(int(0.8 * FS)), np.zeros(int(0.3 * FS)), np.zeros(int(3 * FS))
    rep = np.concatenate([lift, hold, descent, pause])
    v_true = np.concatenate([rest, rep, rep, rep, lift, rest])
    still = np.zeros(v_true.size, dtype=bool)
    still[: rest.size] = still[-rest.size :] = True
    velocity = v_true + 0.01  # the small offset the first pass left
    velocity[still] = 0.0
    corrected = pin_reversals(velocity, still, np.ones(v_true.size, bool), FS)
    for k in range(3):  # per negative
        cruise_start = rest.size + k * rep.size + n_lift + hold.size + int(1.0 * FS)
        cruise = slice(cruise_start, cruise_start + int(3 * FS))
        assert corrected[cruise].mean() == pytest.approx(-0.06, abs=0.015)


def test_closure_refinement_brings_tops_back_to_the_same_height():
    period = 2.0
    n = int(6 * period * FS)
    t = np.arange(n) / FS
    v_true = 0.5 * np.sin(2 * np.pi * t / period)
    velocity = v_true + 0.05 * np.sin(2 * np.pi * t / 15.0)  # a slow, non-linear drift
    still = np.zeros(n, dtype=bool)
    half = int(period / 2 * FS)
    reversal_index = np.arange(half, n - 1, half)
    reversal_kind = np.where(np.arange(reversal_index.size) % 2 == 0, 1, -1)
    refined = refine_by_closure(velocity, still, reversal_index, reversal_kind, FS)
    heights = np.cumsum(refined)[reversal_index[reversal_kind == 1]] / FS
    raw_heights = np.cumsum(velocity)[reversal_index[reversal_kind == 1]] / FS
    assert np.ptp(heights) < 0.5 * np.ptp(raw_heights)


def test_a_long_quiet_run_holding_a_rest_and_a_cruise_keeps_the_cruise():
    # The gentle start of a slow descent can stay under the quiet threshold,
    # so one quiet run of more than 15 s holds the rest before it and the cruise.
    rest = np.zeros(int(8 * FS))
    ramp = 0.05 * _smooth_step(int(0.8 * FS))
    descent = -np.concatenate([ramp, np.full(int(8 * FS), 0.05), ramp[::-1]])
    n_lift = int(1.0 * FS)
    lift = (-descent.sum() / FS) * np.pi / 2 * np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift)
    v_true = np.concatenate([rest, descent, np.zeros(int(1 * FS)), lift, rest])
    acc = np.gradient(v_true) * FS
    quiet = np.ones(acc.size, dtype=bool)
    lift_start = rest.size + descent.size + int(1 * FS)
    quiet[lift_start : lift_start + n_lift] = False
    result = DriftCorrectedIntegration().estimate(acc, quiet, FS)
    cruise = slice(rest.size + int(1.5 * FS), rest.size + int(8 * FS))
    assert not result.still_[cruise].any()
    assert result.velocity_[cruise].mean() == pytest.approx(-0.05, abs=0.006)


def _late_braking_set(cruise_m_s: float, n_reps: int = 4) -> tuple[np.ndarray, list[slice]]:
    """Hold, cruise down for 3 s, speed up to 0.2 m/s, brake, pause, lift back; the cruises' slices."""
    hold = np.zeros(int(3 * FS))
    ramp = _smooth_step(int(0.5 * FS))
    parts, cruises = [np.zeros(int(6 * FS))], []
    for _ in range(n_reps):
        start = sum(p.size for p in parts) + hold.size
        descent = -np.concatenate([
            cruise_m_s * ramp, np.full(int(3 * FS), cruise_m_s),
            cruise_m_s + (0.2 - cruise_m_s) * ramp, np.full(int(0.5 * FS), 0.2), 0.2 * ramp[::-1],
        ])
        cruises.append(slice(start + int(0.8 * FS), start + int(3.3 * FS)))
        n_lift = int(0.8 * FS)
        lift = (-descent.sum() / FS) * np.pi / 2 / 0.8 * np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift)
        parts += [hold, descent, np.zeros(int(1 * FS)), lift]
    parts.append(np.zeros(int(6 * FS)))
    return np.concatenate(parts), cruises


@pytest.mark.parametrize("cruise_m_s", [0.026, 0.028])
def test_a_quiet_glide_from_a_hold_into_a_slow_cruise_keeps_the_cruise(cruise_m_s):
    # A late-braking rep: 3 s at under 0.03 m/s, then faster.  The hold and
    # the cruise share one quiet run (the gentle start reads as quiet), and
    # the cruise lies within the first, loose tolerance of the rest level.
    # The first cruise shares its run with the opening rest and has no rests
    # of another run before it to judge it by; the others must stay motion.
    v_true, cruises = _late_braking_set(cruise_m_s)
    acc = np.gradient(v_true) * FS + 0.003
    acc += np.random.default_rng(1).normal(0, 0.01, acc.size)
    quiet = np.abs(np.gradient(v_true) * FS) < 0.15
    result = DriftCorrectedIntegration().estimate(acc, quiet, FS)
    for cruise in cruises[1:]:
        assert not result.still_[cruise].any()
        assert result.velocity_[cruise].mean() == pytest.approx(-cruise_m_s, abs=0.004)
    assert result.still_[: int(5 * FS)].all()


def _lift(travel: float, duration_s: float) -> np.ndarray:
    n = int(duration_s * FS)
    return travel * np.pi / 2 / duration_s * np.sin(np.pi * (np.arange(n) + 0.5) / n)


@pytest.mark.parametrize("bias", [0.0, 0.02, -0.03])
def test_turn_rests_mark_the_stops_around_a_lift_and_never_a_cruise(bias):
    # Rest, lift 0.5 m, hold 1.5 s, slow descent (speed up into a 0.1 m/s
    # cruise, brake), pause, lift, rest.  Only the hold and the pauses next
    # to a lift are turns; the quiet cruise is not, nor are the quiet ends
    # of the bursts that start and stop the cruise.
    rest = np.zeros(int(3 * FS))
    hold = np.zeros(int(1.5 * FS))
    ramp = 0.1 * _smooth_step(int(0.6 * FS))
    descent = -np.concatenate([ramp, np.full(int(4 * FS), 0.1), ramp[::-1]])
    travel = -descent.sum() / FS
    v_true = np.concatenate([rest, _lift(travel, 0.8), hold, descent, hold, _lift(travel, 0.8), rest])
    acc = np.gradient(v_true) * FS + bias + np.random.default_rng(1).normal(0, 0.01, v_true.size)
    quiet = _quiet_where_no_acceleration(v_true)
    turns = turn_rests(acc, quiet, FS)
    first_lift_end = int(3.8 * FS)
    cruise = slice(int(5.9 * FS), int(9.9 * FS))
    second_lift_start = int((3 + 0.8 + 1.5 + 5.2 + 1.5) * FS)
    assert turns[first_lift_end + 5 : first_lift_end + int(0.35 * FS)].all()  # the hold after the lift
    assert turns[second_lift_start - int(0.35 * FS) : second_lift_start - 5].all()  # the pause before the next
    assert turns[int(2.7 * FS) : int(2.95 * FS)].all()  # the rest before the set
    assert not turns[cruise].any()
    assert not turns[~quiet].any()


def test_turn_rests_ignore_bursts_that_change_the_speed():
    # A fast drop into a cruise: the burst leaves the bar moving, so the
    # quiet samples after it are motion, not a stop.
    rest = np.zeros(int(3 * FS))
    ramp = 0.3 * _smooth_step(int(0.8 * FS))
    v_true = -np.concatenate([rest, ramp, np.full(int(3 * FS), 0.3)])
    acc = np.gradient(v_true) * FS
    quiet = _quiet_where_no_acceleration(v_true)
    assert not turn_rests(acc, quiet, FS).any()


def _bob(seconds: float) -> np.ndarray:
    """The vertical velocity of an unsteady hold: a 2 mm bob, about 0.01 m/s."""
    n = int(seconds * FS)
    return 0.01 * np.sin(2 * np.pi * np.arange(n) / (0.6 * FS))


def _unsteady_negative_only(bias: float):
    """Rest, lift, unsteady hand-off, negative (speed-up, cruise, brake), unsteady pause, lift, rest.

    The sway of the unsteady stretches keeps them from being quiet, and so
    does the speed-up into the cruise and the braking out of it: each lift
    lies in a burst that ends (or starts) in the cruise.  Returns the
    measured acceleration, the quiet mask and the slices of the stretches.
    """
    rest, hold, pause = np.zeros(int(3 * FS)), _bob(2.0), _bob(1.5)
    ramp = 0.04 * _smooth_step(int(0.5 * FS))
    descent = -np.concatenate([ramp, np.full(int(8 * FS), 0.04), ramp[::-1]])
    travel = -descent.sum() / FS
    parts = [rest, _lift(travel, 0.8), hold, descent, pause, _lift(travel, 0.8), rest]
    v_true = np.concatenate(parts)
    edges = np.cumsum([0] + [p.size for p in parts])
    acc = np.gradient(v_true) * FS + bias + np.random.default_rng(2).normal(0, 0.01, v_true.size)
    quiet = _quiet_where_no_acceleration(v_true)
    for k in (2, 4):  # the sway
        quiet[edges[k] : edges[k + 1]] = False
    names = ["rest", "lift", "hold", "descent", "pause", "lift2", "rest2"]
    stretch = {name: slice(edges[k], edges[k + 1]) for k, name in enumerate(names)}
    return acc, quiet, stretch


@pytest.mark.parametrize("bias", [0.0, 0.004, -0.006])
def test_hold_rests_find_an_unsteady_hand_off_and_pause_that_turn_rests_cannot(bias):
    acc, quiet, stretch = _unsteady_negative_only(bias)
    hold, pause, descent = stretch["hold"], stretch["pause"], stretch["descent"]
    cruise = slice(descent.start + int(0.6 * FS), descent.stop - int(0.6 * FS))
    # Each lift's burst runs into (or out of) the cruise: no turn is found there.
    turns = turn_rests(acc, quiet, FS)
    assert not turns[hold].any() and not turns[pause].any()
    holds = hold_rests(acc, quiet, FS)
    # The hold once the lift's braking leaves the flat window (0.25 s), and
    # the pause until the next lift enters it.
    assert holds[hold.start + int(0.3 * FS) : hold.start + int(0.6 * FS)].all()
    assert holds[pause.stop - int(0.6 * FS) : pause.stop - int(0.3 * FS)].all()
    assert holds[stretch["rest"].stop - int(0.3 * FS) : stretch["rest"].stop - 2].all()  # the rest before the lift
    assert holds[stretch["rest2"].start + 2 : stretch["rest2"].start + int(0.3 * FS)].all()  # and after it
    assert not holds[descent].any()
    assert not holds[cruise].any()
    assert not holds[stretch["lift"]].any() and not holds[stretch["lift2"]].any()


def test_hold_rests_ignore_a_cruise_a_missed_catch_brings_back_to_the_starting_speed():
    # A negative that drops and is caught hard: the integration misses
    # 0.07 m/s of the fall (50 Hz, an impact), so the cruise after the catch
    # reads as "back at the starting speed" after 20 cm of travel.  Down,
    # not up: no lift, so no hold.
    rest = np.zeros(int(3 * FS))
    ease = 0.07 * _smooth_step(int(0.4 * FS))
    fall = 1.2 * np.sin(np.pi * (np.arange(int(0.3 * FS)) + 0.5) / int(0.3 * FS))
    cruise = np.full(int(3 * FS), 0.07)
    v_true = -np.concatenate([rest, ease, np.full(int(0.5 * FS), 0.07), 0.07 + fall, cruise, ease[::-1], rest])
    acc = np.gradient(v_true) * FS
    catch = rest.size + ease.size + int(0.5 * FS) + int(0.2 * FS)
    acc[catch : catch + int(0.1 * FS)] += 0.07 / 0.1  # the fall the integration misses (an impact at 50 Hz)
    quiet = np.zeros(v_true.size, dtype=bool)
    quiet[: rest.size] = quiet[-rest.size :] = True  # rocking all the way down
    assert not hold_rests(acc, quiet, FS).any()


def test_hold_rests_ignore_a_cruise_below_a_lift_out_of_a_hard_bottom():
    # Searching back from a lift: the pause at the bottom is too short to
    # judge (0.3 s), and the hard bottom's impact lost 0.06 m/s, so the
    # cruise before it reads as "at the end speed" with the lift's 40 cm
    # climbed since.  It lies 10-20 cm below where the lift started.
    rest = np.zeros(int(3 * FS))
    ease = 0.06 * _smooth_step(int(0.4 * FS))
    brake = 0.06 + 0.25 * np.sin(np.pi * (np.arange(int(0.8 * FS)) + 0.5) / int(0.8 * FS)) ** 2
    stop = 0.06 * (1 - _smooth_step(int(0.1 * FS)))
    v_true = np.concatenate(
        [rest, -ease, np.full(int(3 * FS), -0.06), -brake, -stop, np.zeros(int(0.3 * FS)), _lift(0.4, 0.8), rest]
    )
    acc = np.gradient(v_true) * FS
    impact = rest.size + ease.size + int(3 * FS) + brake.size
    acc[impact : impact + int(0.1 * FS)] -= 0.06 / 0.1  # the speed the integration loses in the impact
    quiet = np.zeros(v_true.size, dtype=bool)
    quiet[: rest.size] = quiet[-rest.size :] = True
    assert not hold_rests(acc, quiet, FS).any()


def test_hold_rests_ignore_a_lift_straight_into_a_descent():
    # Nothing flat at the starting speed after the lift: the bar goes on
    # down at 0.05 m/s, rocking (not quiet), so no hold is declared.
    rest = np.zeros(int(3 * FS))
    ramp = 0.05 * _smooth_step(int(0.5 * FS))
    v_true = np.concatenate([rest, _lift(0.4, 0.8), -ramp, np.full(int(3 * FS), -0.05), -ramp[::-1], rest])
    acc = np.gradient(v_true) * FS
    quiet = _quiet_where_no_acceleration(v_true)
    quiet[rest.size : v_true.size - rest.size] = False
    assert not hold_rests(acc, quiet, FS).any()


def test_reversal_pins_skip_a_turn_the_filter_moved_onto_a_lift():
    # A pull-up negative-only pair without a rest from the first negative to
    # the last (the body swings).  The first pass left an offset of -4 cm/s
    # from the first cruise on.  The high-pass turns the pause at the bottom
    # into part of the first descent, so that descent (a flattened cruise and
    # the catch) abuts the lift, and the turn found sits on the lift's flank,
    # where the velocity is far from zero: a knot there bends both negatives.
    descent_1 = -np.concatenate([0.056 * _smooth_step(int(0.3 * FS)), np.full(int(4.5 * FS), 0.056),
                                 0.056 + 0.444 * _smooth_step(int(0.8 * FS)), 0.5 * _smooth_step(int(0.2 * FS))[::-1]])
    descent_2 = -np.concatenate([0.09 * _smooth_step(int(0.4 * FS)), np.full(int(2.5 * FS), 0.09),
                                 0.09 + 0.25 * _smooth_step(int(0.6 * FS)), 0.34 * _smooth_step(int(0.2 * FS))[::-1]])
    lift = _lift(-descent_1.sum() / FS, 0.7)
    top, bottom, rest = np.zeros(int(1.5 * FS)), np.zeros(int(2.5 * FS)), np.zeros(int(3 * FS))
    v_true = np.concatenate([rest, descent_1, bottom, lift, top, descent_2, bottom, rest])
    still = np.zeros(v_true.size, dtype=bool)
    still[: rest.size] = still[-rest.size :] = True
    offset = -0.04 * np.clip(np.arange(v_true.size) - rest.size, 0, descent_1.size) / descent_1.size
    velocity = np.where(still, 0.0, v_true + offset)
    corrected = pin_reversals(velocity, still, np.ones(v_true.size, bool), FS)
    moving = ~still
    # No worse than what came in, anywhere between the rests.
    assert np.max(np.abs(corrected - v_true)[moving]) <= np.max(np.abs(velocity - v_true)[moving]) + 1e-9


def test_closure_refinement_keeps_the_bar_at_rest_where_it_turns_when_one_rep_is_shallower():
    # A continuous dip set: lifts of 0.38 m, but the fourth rep goes only
    # 0.28 m deep (a short rep).  Closure wants every bottom at one height and
    # can buy that with a drift of several cm/s, which would set the bar
    # moving in the hold at the top.  The bar is at rest where it turns, so
    # the drift there is what the velocity reads (with a gyroscope that is
    # a few mm/s), within a tolerance, against closure alone.
    def descent(depth: float, duration_s: float) -> np.ndarray:
        n = int(duration_s * FS)
        shape = np.sin(np.pi * (np.arange(n) + 0.5) / n) ** 2
        return -depth * shape / (shape.sum() / FS)

    hold, pause, rest = np.zeros(int(1.2 * FS)), np.zeros(int(0.6 * FS)), np.zeros(int(3 * FS))
    depths = [0.38, 0.38, 0.38, 0.28, 0.38, 0.38]
    pieces, turns, kinds = [rest], [], []
    for depth in depths:  # per rep
        start = sum(p.size for p in pieces)
        pieces += [descent(depth, 3.5), pause, _lift(depth, 0.7), hold]
        turns += [start + int(3.5 * FS) + pause.size // 2, start + int(3.5 * FS) + pause.size + int(0.7 * FS) + hold.size // 2]
        kinds += [-1, 1]
    pieces.append(rest)
    v_true = np.concatenate(pieces)
    still = np.zeros(v_true.size, dtype=bool)
    still[: rest.size] = still[-rest.size :] = True
    velocity = v_true + np.where(still, 0.0, 0.004)  # what pin_reversals leaves with a gyroscope
    index, kind = np.array(turns[:-1]), np.array(kinds[:-1])
    refined = refine_by_closure(velocity, still, index, kind, FS)
    closure_only = refine_by_closure(velocity, still, index, kind, FS, turn_tolerance_m_s=None)
    error_at_turns = np.mean(np.abs(refined[index] - v_true[index]))
    assert error_at_turns < 0.6 * np.mean(np.abs(closure_only[index] - v_true[index]))
    assert error_at_turns < 0.03  # within the tolerance the turns are given


def _negatives_caught_after_a_drop(catch_error_m_s: float, n_reps: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Acceleration, quiet mask and true velocity of negatives that fall 0.12 m, are caught and lowered on at 5 cm/s.

    ``catch_error_m_s`` is how much the catch is over-read (the norm method
    over-reads hard catches): the raw velocity after it is that much higher.
    """
    def lift(travel: float, seconds: float) -> np.ndarray:
        n = int(seconds * FS)
        return travel * np.pi / 2 / seconds * np.sin(np.pi * (np.arange(n) + 0.5) / n)

    n_drop = int(0.3 * FS)
    drop = -0.8 * np.sin(np.pi * (np.arange(n_drop) + 0.5) / n_drop)
    brake = 0.05 * _smooth_step(int(0.3 * FS))[::-1]
    cruise = np.full(int((0.4 + drop.sum() / FS) / 0.05 * FS), 0.05)
    descent = np.concatenate([drop, -cruise, -brake])
    top, bottom = np.zeros(int(1.5 * FS)), np.zeros(int(1.0 * FS))
    rep = np.concatenate([top, descent, bottom, lift(-descent.sum() / FS, 0.8)])
    error = np.zeros(rep.size)
    catch = slice(top.size + n_drop // 2, top.size + n_drop)
    error[catch] = catch_error_m_s / (n_drop // 2 / FS)
    lead, tail = np.zeros(int(3 * FS)), np.zeros(int(5 * FS))
    v_true = np.concatenate([lead, *[rep] * n_reps, tail])
    error = np.concatenate([lead, *[error] * n_reps, tail])
    acc = np.gradient(v_true) * FS + error + np.random.default_rng(1).normal(0, 0.01, v_true.size)
    return acc, _quiet_where_no_acceleration(v_true), v_true


def test_a_cruise_that_brakes_into_a_rest_is_not_a_rest_itself():
    # The over-read catch leaves each cruise's raw velocity at the rest
    # level, so by level alone it is a rest; but 5 cm/s of braking separates
    # it from the bottom pause, and two rests cannot lie either side of that.
    acc, quiet, v_true = _negatives_caught_after_a_drop(0.05)
    result = DriftCorrectedIntegration().estimate(acc, quiet, FS)
    cruise = np.abs(v_true + 0.05) < 1e-9
    assert not result.still_[cruise].any()
    assert result.velocity_[cruise].mean() < -0.02  # the drift line takes part of the catch's error
    pauses = (v_true == 0) & np.roll(v_true == 0, int(0.4 * FS)) & np.roll(v_true == 0, -int(0.4 * FS))
    assert result.still_[pauses].mean() > 0.9


def test_a_small_catch_error_or_a_lift_between_two_holds_leaves_both_rests():
    # Under twice the rests' tolerance of speed change: the cruise reads
    # 2 cm/s, and it is judged by its level alone (as before).
    acc, quiet, v_true = _negatives_caught_after_a_drop(0.03)
    result = DriftCorrectedIntegration().estimate(acc, quiet, FS)
    cruise = np.abs(v_true + 0.05) < 1e-9
    assert result.velocity_[cruise].mean() < -0.015
    # A fast descent between two holds whose integral errs by 4 cm/s: the
    # later hold reads higher, as after braking, but across a burst that
    # moved the bar, not a mere change of speed; both holds stay rests.
    n = int(0.8 * FS)
    lift = 0.3 * np.pi / 2 / 0.8 * np.sin(np.pi * (np.arange(n) + 0.5) / n)
    hold = np.zeros(int(2.0 * FS))
    v_true = np.concatenate([np.zeros(int(3 * FS)), lift, hold, -lift, hold, lift, np.zeros(int(3 * FS))])
    descent = slice(int(3 * FS) + n + hold.size, int(3 * FS) + 2 * n + hold.size)
    error = np.zeros(v_true.size)
    error[descent] = 0.04 / 0.8
    acc = np.gradient(v_true) * FS + error
    quiet = _quiet_where_no_acceleration(v_true)
    first_hold = slice(int(3 * FS) + n + int(0.3 * FS), descent.start - int(0.3 * FS))
    assert DriftCorrectedIntegration().estimate(acc, quiet, FS).still_[first_hold].all()
    # Without the burst's test the hold would be taken for a cruise.
    unguarded = DriftCorrectedIntegration(braked_peak_m_s=10.0).estimate(acc, quiet, FS)
    assert not unguarded.still_[first_hold].any()


def test_a_cruise_handed_in_as_a_known_rest_still_falls_to_the_braking_test():
    # turn_rests takes the quiet after an over-read catch for the rest after
    # a burst; the braking to the bottom pause shows it was moving.  Only
    # the data's own sure rests (here the stillness before and after the
    # set) are beyond the test.
    acc, quiet, v_true = _negatives_caught_after_a_drop(0.05)
    cruise = np.abs(v_true + 0.05) < 1e-9
    result = DriftCorrectedIntegration().estimate(acc, quiet, FS, known_rest=cruise)
    assert not result.still_[cruise].any()
    assert result.still_[: int(2.5 * FS)].all() and result.still_[-int(4.5 * FS) :].all()


@pytest.mark.parametrize("burst_offset", [0.005, 0.01])
def test_a_block_after_lost_data_finds_its_rests_before_its_only_sure_rest(burst_offset):
    # The data is lost in the middle of a move, so the next block begins in
    # motion and its only sure rest is at its end.  Each rep's burst
    # over-reads by an offset (the force's length over an arc), so the
    # rests' levels climb rep by rep; judged against the end's level held
    # flat, the early rests were not accepted and read 0.1-0.2 m/s off.
    fs = 50.0
    t = np.arange(int(70 * fs)) / fs
    acc = np.zeros(t.size)
    quiet = np.ones(t.size, dtype=bool)
    lost = (t >= 5.0) & (t < 6.0)
    block = np.where(lost, -1, np.where(t < 5.0, 0, 1))
    quiet[lost] = False
    for start, duration, speed in [(6.0, 1.0, 0.3)] + [(s, 2.0, 0.5) for s in np.arange(9.0, 59.0, 4.0)]:
        inside = (t >= start) & (t < start + duration)
        # Down and back up (no net travel), plus the burst's over-read.
        acc[inside] = speed * 2 * np.pi / duration * np.cos(2 * np.pi * (t[inside] - start) / duration) + burst_offset
        quiet[inside] = False
    result = DriftCorrectedIntegration().estimate(acc, quiet, fs, block, lost=lost)
    rests = quiet & (t > 7.5)  # every rest of the second block after its opening move
    assert np.max(np.abs(result.velocity_[rests])) < 0.01
    assert result.still_[rests].mean() > 0.9
