"""A slow descent erased by the rest logic is restored from the acceleration."""

import numpy as np
import pytest

from eccentric_sense.analysis import _restore_lost_phases
from eccentric_sense.pipeline._runs import remove_short_runs
from eccentric_sense.pipeline.segmentation import PhaseSegmenter
from eccentric_sense.pipeline.types import Kinematics
from eccentric_sense.pipeline.vertical import lowpass_zero_phase

from .conftest import development_draw

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


def _kinematics_for(v, acc, quiet):
    t = np.arange(v.size) / FS
    return Kinematics(t, FS, acc, lowpass_zero_phase(acc, 10.0, FS), v, np.cumsum(v) / FS,
                      np.zeros_like(v), quiet, np.zeros(v.size, bool))


def _slow_then_fast_descent(cruise_speed: float, cruise_s: float, fast_speed: float = 0.15, fast_s: float = 1.0):
    """A negative: ease into a slow cruise, then speed up and brake (the usual shape)."""
    ease = cruise_speed * _smooth_step(int(0.5 * FS))
    speed_up = cruise_speed + (fast_speed - cruise_speed) * _smooth_step(int(0.5 * FS))
    brake = fast_speed * _smooth_step(int(0.6 * FS))[::-1]
    fast = np.full(int(fast_s * FS), fast_speed)
    return -np.concatenate([ease, np.full(int(cruise_s * FS), cruise_speed), speed_up, fast, brake])


def _lift_slow_descent_lift() -> tuple[np.ndarray, int, slice]:
    """Rest, lift, rest, a 0.03 m/s negative with a fast end, rest, lift, rest: velocity, descent start, cruise."""
    n_lift = int(1.0 * FS)
    descent = _slow_then_fast_descent(0.03, 8.0)
    lift = np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift) ** 2
    lift *= -descent.sum() / lift.sum()  # the lift covers the descent's travel
    rest = np.zeros(int(2 * FS))
    v_true = np.concatenate([rest, lift, rest, descent, rest, lift, rest])
    start = 2 * rest.size + n_lift
    return v_true, start, slice(start + int(0.5 * FS), start + int(8.5 * FS))


def test_descent_whose_cruise_was_erased_but_fast_end_kept_comes_back():
    v_true, start, cruise = _lift_slow_descent_lift()
    acc = np.gradient(v_true) * FS
    quiet = np.abs(acc) < 0.005
    erased = v_true.copy()
    erased[start : cruise.stop] = 0.0  # the ease-in and cruise pinned as a rest
    t = np.arange(v_true.size) / FS
    phases = PhaseSegmenter().detect(t, erased).phases_
    assert phases[2].tolist() == [1, -1, 1]
    assert phases[3][1] < 0.6 * phases[3][0]  # only the fast end survived
    restored = _restore_lost_phases(_kinematics_for(erased, acc, quiet), phases, quiet, acc, FS, 20.0)
    assert restored is not None
    inner = slice(cruise.start + int(1 * FS), cruise.stop - int(1 * FS))
    assert restored[inner] == pytest.approx(-0.03, abs=0.003)
    again = PhaseSegmenter().detect(t, restored).phases_
    assert again[2].tolist() == [1, -1, 1]
    assert again[3][1] == pytest.approx(phases[3][0], rel=0.1)  # the whole descent now


def _set_opening(first: str):
    """Rest, then either a slow negative and the lift back, or a lift from rest (a jump)."""
    n_lift = int(1.0 * FS)
    descent = _slow_then_fast_descent(0.035, 9.0, fast_speed=0.05, fast_s=0.0)
    lift = np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift) ** 2
    lift *= -descent.sum() / lift.sum()
    rest = np.zeros(int(3 * FS))
    if first == "descent":
        v = np.concatenate([rest, descent, np.zeros(int(1 * FS)), lift, rest])
    else:
        v = np.concatenate([rest, np.zeros(descent.size), np.zeros(int(1 * FS)), lift, rest])
    return v, slice(rest.size, rest.size + descent.size)


def test_first_descent_of_a_set_erased_comes_back_only_where_there_was_one():
    for first in ("descent", "jump"):
        v_true, span = _set_opening(first)
        t = np.arange(v_true.size) / FS
        acc = np.gradient(v_true) * FS
        rng = np.random.default_rng(3)
        acc = acc + rng.normal(0.0, 0.003, acc.size)  # a few mm/s^2 of noise: real sensors are not silent
        quiet = np.abs(lowpass_zero_phase(acc, 2.0, FS)) < 0.02
        erased = v_true.copy()
        erased[span] = 0.0
        phases = PhaseSegmenter().detect(t, erased).phases_
        assert phases[2].tolist() == [1]  # the set seems to open with the lift
        kin = _kinematics_for(erased, acc, quiet)
        restored = _restore_lost_phases(kin, phases, quiet, acc, FS, 20.0, lead_kind=-1)
        if first == "descent":
            assert restored is not None
            inner = slice(span.start + int(1.5 * FS), span.stop - int(1.5 * FS))
            assert restored[inner] == pytest.approx(-0.035, abs=0.006)
            assert PhaseSegmenter().detect(t, restored).phases_[2].tolist() == [-1, 1]
        else:
            # Standing still before a jump: forcing the lift's travel onto the
            # rest would make a slow bulge, which is refused.
            assert restored is None
        # Off unless the set is known to start at the top.
        assert _restore_lost_phases(kin, phases, quiet, acc, FS, 20.0) is None


def _restore_erased_lead(v_true, span, acc, quiet):
    """Erase a set's first descent (the symptom: the set opens with its lift) and restore it."""
    t = np.arange(v_true.size) / FS
    erased = v_true.copy()
    erased[span] = 0.0
    phases = PhaseSegmenter().detect(t, erased).phases_
    assert phases[2].tolist() == [1]
    restored = _restore_lost_phases(_kinematics_for(erased, acc, quiet), phases, quiet, acc, FS, 20.0, lead_kind=-1)
    assert restored is not None
    return restored


def test_first_descent_comes_back_when_an_unrack_with_quiet_moments_precedes_the_hold():
    # 0.6 s still, a 3 s unrack that wobbles the bar (its acceleration passes
    # through zero: scattered quiet moments), the 3 s hold at the top, then
    # the erased slow negative.  The stretch starts at the hold, the first
    # rest of a second, not at the first quiet sample.
    v_set, span = _set_opening("descent")
    wobble_t = np.arange(int(3 * FS)) / FS
    wobble = 0.05 * np.sin(2 * np.pi * 1.5 * wobble_t)
    lead = np.concatenate([np.zeros(int(0.6 * FS)), wobble])
    v_true = np.concatenate([lead, v_set])
    span = slice(span.start + lead.size, span.stop + lead.size)
    t = np.arange(v_true.size) / FS
    acc = np.gradient(v_true) * FS + np.random.default_rng(5).normal(0.0, 0.003, v_true.size)
    quiet = np.abs(lowpass_zero_phase(acc, 2.0, FS)) < 0.02
    assert 0 < quiet[: lead.size].sum() and not quiet[int(0.6 * FS) : lead.size].all()  # scattered, as meant
    restored = _restore_erased_lead(v_true, span, acc, quiet)
    inner = slice(span.start + int(1.5 * FS), span.stop - int(1.5 * FS))
    assert restored[inner] == pytest.approx(-0.035, abs=0.006)
    assert PhaseSegmenter().detect(t, restored).phases_[2].tolist() == [-1, 1]


def test_a_lost_first_descent_cruising_at_the_threshold_comes_back_from_its_push():
    # A negative-only row: a 6 s hold at the top, then 10 s at 2.1 cm/s (its
    # half-second pushes in and out are the only accelerations; hold and
    # cruise are one quiet stretch), the pause at the bottom and the lift.
    # The accelerometer's bias wanders by 2 mg over the stretch and back.
    # Fits that keep only the hold's first second at rest, or the whole
    # quiet stretch, find no descent; the push marks where the hold ends.
    ease = 0.021 * _smooth_step(int(0.5 * FS))
    descent = -np.concatenate([ease, np.full(int(9.5 * FS), 0.021), ease[::-1]])
    n_lift = int(1.2 * FS)
    lift = np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift) ** 2
    lift *= -descent.sum() / lift.sum()
    hold = np.zeros(int(6 * FS))
    v_true = np.concatenate([hold, descent, np.zeros(int(1.5 * FS)), lift, np.zeros(int(3 * FS))])
    span = slice(hold.size, hold.size + descent.size)
    t = np.arange(v_true.size) / FS
    motion = np.gradient(v_true) * FS
    acc = motion + 0.02 * np.sin(np.pi * t / t[-1]) + np.random.default_rng(7).normal(0.0, 0.003, t.size)
    # Quiet as the detector finds it: runs of at least 0.3 s (not the instant the lift peaks).
    quiet = remove_short_runs(np.abs(lowpass_zero_phase(motion, 2.0, FS)) < 0.1, int(0.3 * FS))
    assert quiet[: span.stop - int(0.5 * FS)].all()  # hold and cruise: one quiet stretch
    restored = _restore_erased_lead(v_true, span, acc, quiet)
    assert np.abs(restored[: hold.size - int(0.5 * FS)]).max() < 0.005
    inner = slice(span.start + int(1 * FS), span.stop - int(1 * FS))
    assert np.mean(restored[inner]) == pytest.approx(-0.021, abs=0.002)
    again = PhaseSegmenter().detect(t, restored).phases_
    assert again[2].tolist() == [-1, 1]
    assert again[0][0] / FS == pytest.approx(PhaseSegmenter().detect(t, v_true).phases_[0][0] / FS, abs=0.3)


def test_held_drift_keeps_the_hold_at_rest_and_moves_the_bar_by_exactly_the_travel():
    from eccentric_sense.analysis import _closure_drift_held

    ease = 0.021 * _smooth_step(int(0.5 * FS))
    descent = -np.concatenate([ease, np.full(int(9.5 * FS), 0.021), ease[::-1]])
    hold = np.zeros(int(5 * FS))
    v_true = np.concatenate([hold, descent, np.zeros(int(1 * FS))])
    t = np.arange(v_true.size) / FS
    acc = np.gradient(v_true) * FS + 0.02 * np.sin(np.pi * t / t[-1])  # 2 mg of wandering bias
    end_rest = np.arange(v_true.size - int(0.5 * FS), v_true.size - 1)
    travel = float(v_true.sum() / FS)
    held = _closure_drift_held(acc, end_rest, travel, FS, np.arange(hold.size))
    assert held.sum() / FS == pytest.approx(travel, abs=1e-9)  # the constraint is exact
    assert np.abs(held[: hold.size]).max() < 0.001
    cruise = slice(hold.size + int(1 * FS), hold.size + descent.size - int(1 * FS))
    assert held[cruise] == pytest.approx(v_true[cruise], abs=0.001)
    raw = np.cumsum(0.5 * (acc[:-1] + acc[1:]) / FS)
    assert np.abs(raw[: hold.size]).max() > 0.005  # without the drift the hold is not at rest


def test_a_genuinely_short_descent_is_left_alone():
    # Lift 0.4 m, then a real half-range descent (0.16 m, the set's other
    # reps aside), a pause, the lift back: nothing was lost, and forcing the
    # lifts' travel onto the stretch would set the top pause moving.
    n_lift = int(1.0 * FS)
    lift = np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift) ** 2
    lift *= 0.4 / (lift.sum() / FS)
    short = -np.sin(np.pi * (np.arange(200) + 0.5) / 200) ** 2
    short *= 0.16 / (-short.sum() / FS)
    rest = np.zeros(int(2 * FS))
    v_true = np.concatenate([rest, lift, rest, short, rest, lift, rest])
    acc = np.gradient(v_true) * FS
    quiet = np.abs(acc) < 0.005
    t = np.arange(v_true.size) / FS
    phases = PhaseSegmenter().detect(t, v_true).phases_
    assert phases[2].tolist() == [1, -1, 1]
    assert phases[3][1] < 0.6 * phases[3][0]
    assert _restore_lost_phases(_kinematics_for(v_true, acc, quiet), phases, quiet, acc, FS, 20.0) is None


def test_first_descent_takes_the_sets_travel_not_one_overrun_lift():
    # A set that opens with a slow negative, then two more reps.  The first
    # lift's measured phase runs on (a drifting velocity after it adds 12 cm),
    # so its own travel would force a too long descent onto the stretch; the
    # set's median lift travel does not.
    v_open, span = _set_opening("descent")
    travel = -v_open[span].sum() / FS
    n_lift = int(1.0 * FS)
    lift = np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift) ** 2
    lift *= travel / (lift.sum() / FS)
    descent = -lift[::-1] / 3.0  # a 3 s descent of the same travel
    descent = np.repeat(descent, 3)
    rest = np.zeros(int(2 * FS))
    v_true = np.concatenate([v_open, descent, rest, lift, rest, descent, rest, lift, rest])
    acc = np.gradient(v_true) * FS
    quiet = np.abs(lowpass_zero_phase(acc, 2.0, FS)) < 0.02
    erased = v_true.copy()
    erased[span] = 0.0
    first_lift_end = int(np.flatnonzero(v_true > 0)[n_lift - 1]) + 1
    erased[first_lift_end : first_lift_end + int(2 * FS)] += 0.06  # the overrun: 12 cm
    t = np.arange(v_true.size) / FS
    phases = PhaseSegmenter().detect(t, erased).phases_
    assert phases[2].tolist()[:2] == [1, -1]  # the set seems to open with the lift
    assert phases[3][0] > travel + 0.1  # whose phase took in the overrun
    restored = _restore_lost_phases(_kinematics_for(erased, acc, quiet), phases, quiet, acc, FS, 20.0, lead_kind=-1)
    assert restored is not None
    assert -restored[span].sum() / FS == pytest.approx(travel, abs=0.02)


def _erased(v_true, span, *, offset_from=None, not_quiet=None):
    """What the analysis saw: the negative in ``span`` pinned to zero as a rest.

    Returns the acceleration, the quiet mask (``not_quiet`` samples taken out,
    as a moving-deviation detector would see a wobble whole), the erased
    velocity (with a +0.06 m/s offset for 1.5 s from ``offset_from``, which
    runs a lift's phase on) and its phases.
    """
    acc = np.gradient(v_true) * FS
    quiet = np.abs(acc) < 0.005
    if not_quiet is not None:
        quiet[not_quiet] = False
    erased = v_true.copy()
    erased[span] = 0.0
    if offset_from is not None:
        erased[offset_from : offset_from + int(1.5 * FS)] += 0.06
    phases = PhaseSegmenter().detect(np.arange(v_true.size) / FS, erased).phases_
    return acc, quiet, erased, phases


def _inner(span):
    """The cruise of a restored negative, a second in from either end."""
    return slice(span.start + int(1 * FS), span.stop - int(1 * FS))


def _assert_cruise_restored(erased, acc, quiet, phases, v_true, span, *, rel):
    """The erased negative comes back, its cruise at the true mean speed within ``rel``."""
    restored = _restore_lost_phases(_kinematics_for(erased, acc, quiet), phases, quiet, acc, FS, 20.0)
    assert restored is not None
    inner = _inner(span)
    assert np.mean(restored[inner]) == pytest.approx(np.mean(v_true[inner]), rel=rel)


def test_restored_negative_covers_the_lifts_whole_travel_not_only_the_part_over_0_02():
    # A lift spends its first and last 0.1 s under the 0.02 m/s phase
    # threshold, where the bar still travels nearly 1 % of the range; the
    # negative brings that back too.  Closing the stretch on the phases'
    # travel alone reads the cruise slow by as much (enough to drop a
    # 0.0201 m/s cruise under the threshold); on the whole travel it comes
    # back within 0.6 % (it was 1.1 % slow).
    n_lift = int(1.2 * FS)
    lift = 0.3 * np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift) ** 2
    whole = lift.sum() / FS
    cruise_speed = 0.025
    ramp = cruise_speed * _smooth_step(int(0.5 * FS))
    cruise_s = whole / cruise_speed - 0.5
    descent = -np.concatenate([ramp, np.full(int(round(cruise_s * FS)), cruise_speed), ramp[::-1]])
    descent *= whole / (-descent.sum() / FS)  # whole samples: make the travel exact
    rest = np.zeros(int(2 * FS))
    v_true = np.concatenate([rest, lift, rest, descent, rest, lift, rest])
    start = 2 * rest.size + lift.size
    span = slice(start, start + descent.size)
    acc, quiet, erased, phases = _erased(v_true, span)
    assert phases[2].tolist() == [1, 1]
    assert phases[3][0] < 0.995 * whole  # the phase leaves the tails out
    _assert_cruise_restored(erased, acc, quiet, phases, v_true, span, rel=0.006)


def test_lift_that_ran_on_through_an_offset_hold_is_measured_from_the_acceleration():
    # The velocity the phases were found on holds +0.06 m/s for 1.5 s in the
    # hold after the first lift (a cruise taken for a rest shifts the
    # level), so that lift's phase runs on and claims 9 cm more than the bar
    # rose.  The negative is closed on the lifts' travel integrated afresh
    # from the acceleration between the rests around their peaks, which the
    # offset does not touch.
    v_true, span = _negative_only()
    first_lift_end = int(np.flatnonzero(np.diff((v_true > 0).astype(int)) == -1)[0]) + 1
    acc, quiet, erased, phases = _erased(v_true, span, offset_from=first_lift_end)
    assert phases[2].tolist() == [1, 1]
    lift_travel = np.sum(v_true[v_true > 0]) / FS / 2
    assert phases[3][0] > lift_travel + 0.08  # the first lift's phase took in the offset
    _assert_cruise_restored(erased, acc, quiet, phases, v_true, span, rel=0.02)


def test_lift_without_rests_around_it_takes_its_sets_travel():
    # Three negative-only reps.  After the second lift the lifter re-grips
    # for 2 s (the bar wobbles at +-1 cm/s: no quiet sample near the lift's
    # peak) and an offset of +0.06 m/s ran that lift's phase on by 9 cm.
    # With no rests of its own to integrate between, it takes the median
    # travel of the set's other lifts, and the negative after it comes back
    # at its true speed.
    v_one, span = _negative_only()
    rest = np.zeros(int(2 * FS))
    n_lift = int(1.0 * FS)
    lift = v_one[rest.size : rest.size + n_lift]
    descent = v_one[span]
    t_wobble = np.arange(int(2 * FS)) / FS
    wobble = 0.01 * np.sin(2 * np.pi * 3.0 * t_wobble)
    v_true = np.concatenate([rest, lift, rest, descent, rest, lift, wobble, descent, rest, lift, rest])
    second_lift_end = 3 * rest.size + 2 * n_lift + descent.size
    second = slice(second_lift_end + wobble.size, second_lift_end + wobble.size + descent.size)
    wobbling = slice(second_lift_end, second_lift_end + wobble.size)
    acc, quiet, erased, phases = _erased(v_true, second, offset_from=second_lift_end, not_quiet=wobbling)
    assert phases[2].tolist() == [1, -1, 1, 1]
    _assert_cruise_restored(erased, acc, quiet, phases, v_true, second, rel=0.03)


def test_burst_travel_is_the_lifts_travel_between_rests_and_refused_between_quiet_samples_inside_it():
    from eccentric_sense.analysis import _burst_travel

    v_true, _ = _negative_only()
    acc = np.gradient(v_true) * FS
    t = np.arange(v_true.size) / FS
    quiet = np.abs(acc) < 0.005
    phases = PhaseSegmenter().detect(t, v_true).phases_
    lifts = np.flatnonzero(phases[2] == 1)
    gap = np.zeros(v_true.size, dtype=bool)
    travel = _burst_travel(phases, v_true, acc, quiet, gap, FS)
    true_travel = np.sum(v_true[v_true > 0]) / FS / lifts.size
    assert travel[lifts] == pytest.approx(true_travel, rel=0.01)
    # Quiet samples near the peak of the first lift (the top of a slow lift
    # can read quiet): integrating between them gives a sliver of the lift,
    # which is refused rather than used.
    peak = int(phases[0][lifts[0]] + np.argmax(v_true[phases[0][lifts[0]] : phases[1][lifts[0]]]))
    inner = quiet.copy()
    inner[[peak - 5, peak + 5]] = True
    sliver = _burst_travel(phases, v_true, acc, inner, gap, FS)
    assert np.isnan(sliver[lifts[0]])
    assert sliver[lifts[1]] == pytest.approx(true_travel, rel=0.01)


def test_a_long_rest_before_a_lost_first_descent_pins_a_wandering_bias():
    # 8 s of rest, then a slow negative (2.5 cm/s cruise, fast end), then
    # the pause before the lift; the accelerometer's bias wanders by 2 mg
    # over those 18 s, not in a straight line.  Keeping the whole initial
    # rest at rest pins that wander: the restored cruise is right to a
    # millimetre per second.  The fit that only keeps the first second at
    # rest and puts the bias on a line is off by several mm/s, in the rest
    # (a descent that creeps off early) and in the cruise.
    from eccentric_sense.analysis import _closure_drift, _closure_drift_pinned

    descent = _slow_then_fast_descent(0.025, 8.0, fast_speed=0.1, fast_s=0.5)
    rest = np.zeros(int(8 * FS))
    v_true = np.concatenate([rest, descent, np.zeros(int(1 * FS))])
    t = np.arange(v_true.size) / FS
    acc = np.gradient(v_true) * FS + 0.02 * (t / t[-1]) ** 2
    end_rest = np.arange(v_true.size - int(0.5 * FS), v_true.size - 1)
    travel = float(v_true.sum() / FS)
    cruise = slice(rest.size + int(1 * FS), rest.size + int(8 * FS))
    pinned = _closure_drift_pinned(acc, end_rest, travel, FS, np.arange(rest.size))
    assert np.abs(pinned[: rest.size]).max() < 0.001
    assert pinned[cruise] == pytest.approx(v_true[cruise], abs=0.001)
    plain = _closure_drift(acc, end_rest, travel, FS, np.arange(int(FS)), 6.0)
    assert np.abs(plain[: rest.size]).max() > 0.004


def test_cruise_under_an_offset_comes_back_when_the_bottom_is_a_hard_stop_without_a_quiet_pause():
    # A tempo rep: a short hold at the top (only 0.4 s of it quiet), a
    # 5 cm/s cruise, a fast end stopped hard on the chest, a pause that
    # rings for its first 0.3 s.  The velocity the phases were found on
    # carries a +6 cm/s offset from the start of the descent to the end of
    # the pause: the cruise reads +1 cm/s (no phase), and the pause reads
    # moving up, so the next lift's phase starts the moment the fast end has
    # braked past -0.02 m/s.  Anchored there, the bar is still braking
    # (about -4 cm/s): the turn is where the acceleration brings the
    # restored velocity to zero.
    n_lift = int(1.0 * FS)
    cruise_speed = 0.05
    ease = cruise_speed * _smooth_step(int(0.4 * FS))
    speed_up = cruise_speed + (0.3 - cruise_speed) * _smooth_step(int(0.4 * FS))
    brake = 0.3 * _smooth_step(int(0.08 * FS))[::-1]
    descent = -np.concatenate([ease, np.full(int(2.8 * FS), cruise_speed), speed_up, np.full(int(0.5 * FS), 0.3), brake])
    lift = np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift) ** 2
    lift *= -descent.sum() / lift.sum()
    rest, hold, pause = np.zeros(int(2 * FS)), np.zeros(int(0.9 * FS)), np.zeros(int(0.9 * FS))
    v_true = np.concatenate([rest, lift, hold, descent, pause, lift, rest])
    hold_start = rest.size + n_lift
    start = hold_start + hold.size
    span = slice(start, start + descent.size)
    acc = np.gradient(v_true) * FS
    quiet = np.abs(acc) < 0.005
    quiet[hold_start : hold_start + int(0.25 * FS)] = False  # the moving window eats the hold's edges
    quiet[start - int(0.25 * FS) : start] = False
    quiet[span.stop : span.stop + int(0.3 * FS)] = False  # the pause rings
    erased = v_true.copy()
    erased[start : span.stop + pause.size] += 0.06
    t = np.arange(v_true.size) / FS
    phases = PhaseSegmenter().detect(t, erased).phases_
    assert phases[2].tolist() == [1, -1, 1]
    assert phases[3][1] < 0.6 * phases[3][0]  # only the fast end survived
    assert phases[0][2] - phases[1][1] < 3  # no pause between it and the next lift
    restored = _restore_lost_phases(_kinematics_for(erased, acc, quiet), phases, quiet, acc, FS, 20.0)
    assert restored is not None
    assert restored[_inner(slice(span.start, span.start + int(3.2 * FS)))] == pytest.approx(-cruise_speed, abs=0.003)
    again = PhaseSegmenter().detect(t, restored).phases_
    assert again[2].tolist() == [1, -1, 1]
    truth = PhaseSegmenter().detect(t, v_true).phases_
    assert again[0][1] == pytest.approx(truth[0][1], abs=0.03 * FS)  # the whole descent, from where it left the hold
    assert again[1][1] == pytest.approx(truth[1][1], abs=0.03 * FS)


def _drop_then_cruise():
    """Lift, then a negative that drops mid-way (0.6 m/s) and cruises on at 4 cm/s to the bottom, pause, lift."""
    n_lift = int(1.0 * FS)
    drop = 0.6 * np.sin(np.pi * (np.arange(int(0.8 * FS)) + 0.5) / int(0.8 * FS)) ** 2
    ease = 0.04 * _smooth_step(int(0.4 * FS))
    cruise = np.full(int(2.0 * FS), 0.04)
    descent = -np.concatenate([ease, np.full(int(1.0 * FS), 0.04), drop, cruise, ease[::-1]])
    lift = np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift) ** 2
    lift *= -descent.sum() / lift.sum()
    rest = np.zeros(int(2 * FS))
    v_true = np.concatenate([rest, lift, rest, descent, rest, lift, rest])
    start = 2 * rest.size + n_lift
    after_drop = start + ease.size + int(1.0 * FS) + drop.size
    return v_true, slice(start, start + descent.size), slice(after_drop, after_drop + cruise.size)


def test_cruise_after_a_drop_comes_back_when_the_drop_covered_two_thirds_of_the_travel():
    # Only the drop survived as a phase (the cruise after it was taken for
    # the bottom pause), and it covers about 0.65 of the lifts' travel: a
    # short phase under 0.7 of its neighbours is the surviving part of a
    # descent, and the stretch comes back if the bar is then at rest at the
    # top and before the next lift.
    v_true, span, after = _drop_then_cruise()
    acc = np.gradient(v_true) * FS
    quiet = np.abs(acc) < 0.005
    erased = v_true.copy()
    erased[after.start : span.stop] = 0.0
    erased[span.start : after.start - int(0.8 * FS)] = 0.0  # the slow start, too
    t = np.arange(v_true.size) / FS
    phases = PhaseSegmenter().detect(t, erased).phases_
    assert phases[2].tolist() == [1, -1, 1]
    assert 0.6 * phases[3][0] < phases[3][1] < 0.7 * phases[3][0]
    restored = _restore_lost_phases(_kinematics_for(erased, acc, quiet), phases, quiet, acc, FS, 20.0)
    assert restored is not None
    inner = slice(after.start + int(0.5 * FS), after.stop - int(0.5 * FS))
    assert restored[inner] == pytest.approx(-0.04, abs=0.004)


def test_a_real_two_thirds_descent_is_left_alone():
    # The same shape of set, but the descent really covers only 0.65 of the
    # lifts' travel and the bar rests at the bottom: forcing the lifts'
    # travel onto the stretch would set the top or the bottom moving.
    n_lift = int(1.0 * FS)
    lift = np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift) ** 2
    lift *= 0.45 / (lift.sum() / FS)
    short = -np.sin(np.pi * (np.arange(150) + 0.5) / 150) ** 2
    short *= 0.65 * 0.45 / (-short.sum() / FS)
    rest = np.zeros(int(2 * FS))
    v_true = np.concatenate([rest, lift, rest, short, np.zeros(int(3 * FS)), lift, rest])
    acc = np.gradient(v_true) * FS
    quiet = np.abs(acc) < 0.005
    t = np.arange(v_true.size) / FS
    phases = PhaseSegmenter().detect(t, v_true).phases_
    assert phases[2].tolist() == [1, -1, 1]
    assert 0.6 * phases[3][0] < phases[3][1] < 0.7 * phases[3][0]
    assert _restore_lost_phases(_kinematics_for(v_true, acc, quiet), phases, quiet, acc, FS, 20.0) is None


def test_a_lost_first_descent_after_stepping_up_onto_the_bars_takes_only_the_descents_travel():
    # Dips: the lifter steps up onto the bars (the sensor rises 10 cm), holds
    # 5 s at the top, then lowers slowly (3.5 cm/s) into the set's first
    # negative, whose cruise was erased; the accelerometer's bias wanders by
    # 2 mg over the stretch.  The first fit keeps only the first second at
    # rest and creeps off early (refused); pinning the rest must pin the hold
    # after the step, and the stretch must start after the step, or the
    # step's 10 cm is forced into the descent too.
    n_lift = int(1.0 * FS)
    descent = _slow_then_fast_descent(0.035, 9.0, fast_speed=0.05, fast_s=0.0)
    lift = np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift) ** 2
    lift *= -descent.sum() / lift.sum()
    step = np.sin(np.pi * (np.arange(int(0.5 * FS)) + 0.5) / int(0.5 * FS)) ** 2
    step *= 0.10 / (step.sum() / FS)
    before, hold = np.zeros(int(2 * FS)), np.zeros(int(5 * FS))
    v_true = np.concatenate([before, step, hold, descent, np.zeros(int(1.5 * FS)), lift, np.zeros(int(3 * FS))])
    start = before.size + step.size + hold.size
    span = slice(start, start + descent.size)
    t = np.arange(v_true.size) / FS
    motion = np.gradient(v_true) * FS
    acc = motion + 0.02 * (t / t[span.stop]) ** 2
    quiet = np.abs(lowpass_zero_phase(motion, 2.0, FS)) < 0.01
    erased = v_true.copy()
    erased[span] = 0.0
    phases = PhaseSegmenter().detect(t, erased).phases_
    assert phases[2].tolist() == [1]  # the step is under the rep travel: the set seems to open with the lift
    restored = _restore_lost_phases(_kinematics_for(erased, acc, quiet), phases, quiet, acc, FS, 20.0, lead_kind=-1)
    assert restored is not None
    inner = slice(span.start + int(1.5 * FS), span.stop - int(1.5 * FS))
    assert np.mean(restored[inner]) == pytest.approx(-0.035, abs=0.002)
    again = PhaseSegmenter().detect(t, restored).phases_
    assert again[2].tolist() == [-1, 1]
    assert again[0][0] / FS == pytest.approx(PhaseSegmenter().detect(t, v_true).phases_[0][0] / FS, abs=0.3)


@pytest.mark.parametrize("after_hold", ["rerack_then_rest", "more_motion"])
def test_the_hold_after_a_sets_last_lift_is_a_rest_when_the_rerack_follows(after_hold):
    # Phases (samples): a descent 100-500, the set's last lift 520-620.  The
    # bar is quiet 660-800 (the hold at the top), moves 800-950 (the rerack),
    # then rests.  The hold is a rest whatever level the first integration
    # gave it.  If no rest comes within 3 s after the quiet run, it may be
    # the cruise of a descent the first pass lost, and is left alone.
    from eccentric_sense.analysis import _reversal_rests

    n = 2000
    starts, ends, kinds = np.array([100, 520]), np.array([500, 620]), np.array([-1, 1])
    phases = (starts, ends, kinds, np.array([0.3, 0.3]))
    quiet = np.zeros(n, dtype=bool)
    quiet[:90] = quiet[505:515] = quiet[660:800] = True
    still = np.zeros(n, dtype=bool)
    still[:90] = True
    if after_hold == "rerack_then_rest":
        quiet[950:] = still[950:] = True
    known = _reversal_rests(phases, quiet, still, FS, set_break_s=20.0)
    assert known[505:515].all()  # between the descent and the lift, as before
    assert known[660:800].all() == (after_hold == "rerack_then_rest")
    assert not known[800:950].any()


def test_a_cruise_after_an_unsteady_hand_off_comes_back_in_a_set_that_starts_at_the_top():
    # As above, but the hold between the lift and the descent wobbles (an
    # unsteady hand-off): not one sample of it is quiet, so the top cannot
    # be checked for rest.  In a set that starts at the top the descent is
    # restored all the same; elsewhere a short descent may be a real one.
    v_true, start, cruise = _lift_slow_descent_lift()
    acc = np.gradient(v_true) * FS
    quiet = np.abs(acc) < 0.005
    quiet[int(2 * FS) : start] = False  # the lift and the wobbling hold after it
    erased = v_true.copy()
    erased[start : cruise.stop] = 0.0
    t = np.arange(v_true.size) / FS
    phases = PhaseSegmenter().detect(t, erased).phases_
    assert phases[2].tolist() == [1, -1, 1]
    kin = _kinematics_for(erased, acc, quiet)
    assert _restore_lost_phases(kin, phases, quiet, acc, FS, 20.0) is None
    restored = _restore_lost_phases(kin, phases, quiet, acc, FS, 20.0, lead_kind=-1)
    assert restored is not None
    inner = slice(cruise.start + int(1 * FS), cruise.stop - int(1 * FS))
    assert restored[inner] == pytest.approx(-0.03, abs=0.003)


def test_negatives_after_unsteady_hand_offs_are_restored_end_to_end():
    # A development draw (never a held-out seed): curls, negative-only, a
    # 50 Hz MPU-6050, hand-offs that wobble.  Two flawed negatives of
    # 7.6-7.7 s were read from their fast ends only (3.0 and 4.0 s): their
    # restoration was refused because the wobbling top had no quiet sample.
    from eccentric_sense.analysis import AnalysisSettings, analyze
    from eccentric_sense.simulate import heldout_suite

    case = heldout_suite(23, 3)[2]
    sim = case.simulate()
    reps = analyze(sim.recording, exercise="curl", settings=AnalysisSettings(first_phase="eccentric")).reps
    truth = sim.truth_reps
    assert len(reps) == len(truth)
    # Every rep found, in order: pair them by order, each within 2 s of its start.
    assert np.all(np.abs(reps["ecc_start_s"].to_numpy() - truth["ecc_start_s"].to_numpy()) < 2.0)
    errors = reps["ecc_duration_s"].to_numpy() - truth["ecc_duration_s"].to_numpy()
    assert np.all(np.abs(errors) < 2.0)
    assert np.sum(np.abs(errors) < 0.3) >= 10


def test_first_descent_starts_after_the_hold_that_follows_a_walkout_end_to_end():
    # A development draw (never a held-out seed): squats, tempo, 200 Hz with
    # host time stamps, no gyroscope.  The walk-out left a velocity offset of
    # 5 cm/s, which ran on through the 2.8 s hold into the first descent: it
    # started 6.5 s early, at the unrack.
    reps, truth, _ = development_draw(24, 0, exercise="squat", gyroscope="no")
    assert len(reps) == len(truth)
    start_errors = reps["ecc_start_s"].to_numpy() - truth["ecc_start_s"].to_numpy()
    assert np.all(np.abs(start_errors) < 0.3)


def test_negatives_stopped_hard_before_a_short_quiet_pause_are_restored_end_to_end():
    # Flaw-rich rows like the scoring benchmark's (a development draw: its
    # seed 15, case 14), forced negatives at 0.04 m/s, 200 Hz with a
    # gyroscope.  Three descents end in a hard stop whose ringing leaves
    # 0.45 s of the 1 s pause quiet; the restoration asked for 0.5 s, and two
    # cruises taken for rests stayed lost (their reps had no descent).
    from eccentric_sense.analysis import analyze
    from eccentric_sense.simulate import SetSpec, simulate_session

    flaws = {1: ["hard_bottom"], 2: ["too_fast"], 4: ["hard_bottom"], 5: ["hard_bottom"], 6: ["late_braking"]}
    spec = SetSpec("row", "forced_negative", n_reps=7, flaws=flaws, roll_deg=30.1)
    sim = simulate_session([spec], seed=465286025, sample_rate_hz=200.0, sensor="icm42688")
    reps = analyze(sim.recording).reps
    truth = sim.truth_reps
    assert len(reps) == len(truth)
    for k in (1, 5):  # the two lost before
        assert reps["ecc_start_s"].iloc[k] == pytest.approx(truth["ecc_start_s"].iloc[k], abs=0.3)
        assert reps["ecc_end_s"].iloc[k] == pytest.approx(truth["ecc_end_s"].iloc[k], abs=0.3)


def _negative_that_speeds_up_and_stops_hard():
    """Rest, lift, rest, a 0.03 m/s negative that speeds up and stops hard, a ringing pause, lift, rest.

    Velocity, the quiet samples, where the descent starts, its cruise, and
    where it stops.  The fast end covers under 0.1 m (no phase of its own at
    the 0.15 m minimum); the start of the speed-up is quiet (a gentle
    acceleration under the detector's tolerance); the pause after the hard
    stop rings, so it is never quiet.
    """
    n_lift = int(1.0 * FS)
    ease = 0.03 * _smooth_step(int(0.5 * FS))
    speed_up = 0.03 + 0.09 * ((np.arange(int(1.5 * FS)) + 0.5) / (1.5 * FS)) ** 2  # speeding up to the stop
    stop = 0.12 * _smooth_step(int(0.12 * FS))[::-1]
    descent = -np.concatenate([ease, np.full(int(8.0 * FS), 0.03), speed_up, stop])
    n_pause = int(0.6 * FS)
    ringing = 0.002 * np.sin(2 * np.pi * 20.0 * np.arange(n_pause) / FS) * np.exp(-np.arange(n_pause) / (0.5 * FS))
    lift = np.sin(np.pi * (np.arange(n_lift) + 0.5) / n_lift) ** 2
    lift *= -descent.sum() / lift.sum()  # the lifts cover the descent's travel
    rest = np.zeros(int(2 * FS))
    v_true = np.concatenate([rest, lift, rest, descent, ringing, lift, rest])
    start = 2 * rest.size + n_lift
    cruise = slice(start + ease.size, start + ease.size + int(8.0 * FS))
    quiet = np.abs(np.gradient(v_true) * FS) < 0.005
    quiet[cruise.stop : cruise.stop + int(0.5 * FS)] = True
    return v_true, quiet, start, cruise, start + descent.size


def test_a_hard_stop_after_a_lost_cruise_is_the_bottom_not_the_quiet_speed_up_before_it():
    # A negative-only row (development draw 50, case 17) whose last negative
    # crawled, sped up and stopped hard before a ringing pause: the last
    # quiet samples before the lift were the start of the speed-up, the
    # whole travel went into the crawl, and the descent read 0.41 m.
    v_true, quiet, start, cruise, bottom = _negative_that_speeds_up_and_stops_hard()
    acc = np.gradient(v_true) * FS
    assert not quiet[bottom : bottom + int(0.6 * FS)].any()  # the pause rings
    erased = v_true.copy()
    erased[start : cruise.stop] = 0.0  # the cruise pinned as a rest; the fast end kept
    t = np.arange(v_true.size) / FS
    phases = PhaseSegmenter().detect(t, erased).phases_
    assert phases[2].tolist() == [1, 1]  # the fast end is no phase of its own
    restored = _restore_lost_phases(_kinematics_for(erased, acc, quiet), phases, quiet, acc, FS, 20.0)
    assert restored is not None
    inner = slice(cruise.start + int(1 * FS), cruise.stop - int(1 * FS))
    assert restored[inner] == pytest.approx(-0.03, abs=0.003)
    lowered = restored[start:bottom].sum() / FS
    assert lowered == pytest.approx(v_true[start:bottom].sum() / FS, abs=0.01)


def test_a_hard_stop_after_a_lost_cruise_is_the_bottom_end_to_end():
    reps, truth, _ = development_draw(50, 17, exercise="row", gyroscope="yes", first_phase="eccentric")
    assert len(reps) == len(truth)
    # The last negative sped up and was stopped hard; its end (where the
    # truth's short descent ends too) was read 4 s early before.
    assert reps["ecc_end_s"].to_numpy() == pytest.approx(truth["ecc_end_s"].to_numpy(), abs=0.3)


def test_first_negatives_after_stepping_up_and_a_swaying_hand_off_come_back_end_to_end():
    # A development draw (never a held-out seed): dips, negative-only, 50 Hz,
    # no gyroscope.  Each set's stretch to restore started at the first rest
    # of a second, before the step up onto the bars and (first set) a
    # swaying hand-off; the fit over both moves refused a descent, and both
    # sets lost their first negative.  From the hold after the moves it is
    # found.
    reps, truth, _ = development_draw(60, 3, exercise="dip", gyroscope="no", first_phase="eccentric")
    assert len(reps) == len(truth) == 10
    start_errors = reps["ecc_start_s"].to_numpy() - truth["ecc_start_s"].to_numpy()
    duration_errors = reps["ecc_duration_s"].to_numpy() - truth["ecc_duration_s"].to_numpy()
    first_of_set = [0, 5]
    assert np.all(np.abs(start_errors[first_of_set]) < 0.3)
    assert np.all(np.abs(duration_errors[first_of_set]) < 0.3)
