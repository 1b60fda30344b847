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


def _phase(kind: str, start: int, end: int) -> Phase:
    return Phase(kind, start, end, start / FS, end / FS)


def _one_rep(descent_end: int, lift_start: int):
    from eccentric_sense.pipeline.types import RepSegment, SetSegment

    rep = RepSegment(eccentric=_phase("eccentric", 0, descent_end), concentric=_phase("concentric", lift_start, lift_start + 60), first="eccentric")
    return [SetSegment(reps=(rep,), start_s=0.0, end_s=(lift_start + 60) / FS, first="eccentric")]


def _check_descent_start(kin, lift_phase, descent, push, moved, **settings):
    """Settle a lift-then-descent rep; the descent starts at the push (``moved``) or where it did."""
    from eccentric_sense.analysis import _settle_boundaries
    from eccentric_sense.pipeline.types import RepSegment, SetSegment

    sets = [SetSegment(reps=(RepSegment(eccentric=descent, concentric=lift_phase, first="concentric"),),
                       start_s=lift_phase.start_s, end_s=descent.end_s, first="concentric")]
    settled = _settle_boundaries(sets, kin, **settings)[0].reps[0].eccentric
    if moved:
        assert push / FS <= settled.start_s <= push / FS + 0.15
    else:
        assert settled.start_index == descent.start_index


def test_boundaries_drawn_into_the_bottom_pause_move_back_to_it():
    from eccentric_sense.analysis import _settle_boundaries

    # Descent braking ends at 2.4 s, calm pause until 2.7 s, then the lift's push.
    acc = _descent_then_lift(2.0, pause_s=0.3)  # upward braking (+), calm, upward push (+)
    acc = np.concatenate([acc, np.zeros(100)])
    kin = _kinematics(acc)
    # An offset in the pause made the descent end late and the lift start early (both at 2.6 s).
    settled = _settle_boundaries(_one_rep(int(2.6 * FS), int(2.45 * FS)), kin)[0].reps[0]
    # (where the braking has died down: the last 0.02 m/s of speed go in its tail)
    assert 2.3 <= settled.eccentric.end_s <= 2.4
    assert 2.7 <= settled.concentric.start_s <= 2.76
    # Boundaries already at the pause's edges stay where they are.
    again = _settle_boundaries(
        _one_rep(settled.eccentric.end_index, settled.concentric.start_index), kin
    )[0].reps[0]
    assert again.eccentric.end_index == settled.eccentric.end_index
    assert again.concentric.start_index == settled.concentric.start_index


def test_a_slow_descent_after_a_braked_drop_keeps_its_end():
    from eccentric_sense.analysis import _settle_boundaries

    # A drop braked at 1 s, then a 3 s calm cruise down to the bottom: the
    # calm begins long before the end, so it is the cruise, not the pause.
    acc = np.concatenate([np.zeros(50), -_hump(5.0, 0.2), _hump(4.0, 0.3), np.zeros(int(3 * FS)), np.zeros(100)])
    kin = _kinematics(acc)
    end = 50 + 20 + 30 + int(3 * FS)
    settled = _settle_boundaries(_one_rep(end, end + 20), kin)[0].reps[0]
    assert settled.eccentric.end_index == end


@pytest.mark.parametrize("detrend", [False, True])
def test_a_cruise_after_a_drops_catch_that_brakes_gently_keeps_its_end(detrend):
    from eccentric_sense.analysis import _settle_boundaries

    # A cruise at 7 cm/s, a drop (0.45 m/s gained in 0.15 s) caught as hard,
    # then 0.5 s of the same cruise and 0.4 s of braking at 0.175 m/s^2
    # (under the calm's 0.3 m/s^2): one calm from the catch to the bottom,
    # within a second of the descent's end.  Its speed changes by 7 cm/s
    # there, so the bar was moving (an offset holds a pause "moving" at a
    # steady speed) and the end stays, with a gyroscope or without.
    drop, catch = -_hump(6.0, 0.15), _hump(6.0, 0.15)
    acc = np.concatenate([np.zeros(50), drop, catch, np.zeros(50), np.full(40, 0.175), np.zeros(100)])
    kin = _kinematics(acc)
    end = 50 + 15 + 15 + 50 + 40
    settled = _settle_boundaries(_one_rep(end, end + 40), kin, detrend_calm=detrend)[0].reps[0]
    assert settled.eccentric.end_index == end


def test_a_descent_held_on_into_a_touch_and_go_push_ends_where_the_calm_began():
    from eccentric_sense.analysis import _settle_boundaries

    # A descent braked at the floor, 0.2 s of calm, and the next lift's push
    # starting inside the calm (0.28 m/s^2 after 0.2 s, under the calm's
    # 0.3 m/s^2) before it takes off.  An offset kept the descent "moving"
    # until the push: its speed changed by 3 cm/s in the calm, but that is
    # the push, which goes on harder than the calm's limit right after the
    # end, so the end moves back to where the calm began (a speed change
    # alone would keep it).
    ramp = np.linspace(0.0, 0.28, 20)
    acc = np.concatenate([np.zeros(50), -_hump(3.0, 0.3), np.zeros(60), _hump(4.0, 0.3), np.zeros(20), ramp,
                          0.28 + _hump(3.0, 0.5), np.zeros(100)])
    kin = _kinematics(acc)
    calm_start = 50 + 30 + 60 + 30
    end = calm_start + 20 + 20
    settled = _settle_boundaries(_one_rep(end, end + 5), kin)[0].reps[0]
    assert calm_start - 15 <= settled.eccentric.end_index <= calm_start + 5


def test_a_lift_ending_late_in_the_pause_at_the_top_ends_where_the_pause_begins():
    from eccentric_sense.analysis import _settle_boundaries
    from eccentric_sense.pipeline.types import RepSegment, SetSegment

    # Lift: push up, brake (downward acceleration) until 1.2 s, then a calm pause at the top.
    acc = np.concatenate([np.zeros(50), _hump(5.0, 0.35), -_hump(4.0, 0.35), np.zeros(int(1.5 * FS))])
    kin = _kinematics(acc)
    lift = _phase("concentric", 50, int(1.6 * FS))  # an offset kept it "moving" 0.4 s into the pause
    sets = [SetSegment(reps=(RepSegment(eccentric=None, concentric=lift, first="concentric"),), start_s=0.5, end_s=1.6, first="concentric")]
    settled = _settle_boundaries(sets, kin)[0].reps[0].concentric
    assert 1.15 <= settled.end_s <= 1.2
    assert abs(settled.start_s - 0.5) <= 0.05  # where the push gets going


@pytest.mark.parametrize("cruise_m_s, cut", [(0.03, True), (0.08, True), (0.15, False)])
def test_a_lift_held_two_seconds_by_an_offset_is_cut_but_a_slow_grind_is_not(cruise_m_s, cut):
    # Push, brake, then 2.2 s of calm acceleration.  If the velocity there is
    # a 3 or 8 cm/s offset (some accelerometer-only lifts leave 8 cm/s), the
    # lift ended when the calm began; at 15 cm/s the bar is still grinding up
    # to lockout and the lift goes on.
    from eccentric_sense.analysis import _settle_boundaries
    from eccentric_sense.pipeline.types import RepSegment, SetSegment

    acc = np.concatenate([np.zeros(50), _hump(5.0, 0.35), -_hump(4.0, 0.35), np.zeros(int(2.4 * FS))])
    t = np.arange(acc.size) / FS
    velocity = np.cumsum(acc) / FS
    calm_start = 50 + int(0.7 * FS)
    velocity[calm_start:] = cruise_m_s
    zeros = np.zeros(acc.size)
    kin = Kinematics(t, FS, acc, acc, velocity, zeros, zeros, np.zeros(acc.size, bool), np.zeros(acc.size, bool))
    end = calm_start + int(2.2 * FS)
    lift = _phase("concentric", 50, end)
    sets = [SetSegment(reps=(RepSegment(eccentric=None, concentric=lift, first="concentric"),), start_s=0.5, end_s=end / FS, first="concentric")]
    settled = _settle_boundaries(sets, kin)[0].reps[0].concentric
    if cut:
        assert settled.end_s == pytest.approx(calm_start / FS, abs=0.06)
    else:
        assert settled.end_index == end


@pytest.mark.parametrize("top, moved", [("pause", True), ("ease", False), ("push_off", False)])
def test_a_descent_started_early_by_an_offset_pause_starts_at_the_push_but_a_slow_start_stays(top, moved):
    # A lift, 1 s at the top, then the push down into a 0.25 m/s descent.
    # "pause": nothing changes speed in the calm at the top (a pause that an
    # offset kept "moving"), so the descent starts where the calm ends, at
    # the push.  "ease": a slow negative eases into a 3 cm/s cruise in that
    # calm (its speed changes there), then speeds up.  "push_off": it pushes
    # off into a 6 cm/s cruise, calm again, then speeds up; that cruise is
    # the second calm after the lift.  Both keep their start.

    lift = np.concatenate([np.zeros(50), _hump(5.0, 0.35), -_hump(4.0, 0.35)])
    pause = np.zeros(100)
    if top == "pause":
        slow = np.zeros(60)
    elif top == "ease":
        slow = np.concatenate([-_hump(0.12, 0.5), np.zeros(10)])
    else:
        slow = np.concatenate([-_hump(0.8, 0.15), np.zeros(45)])
    fast = np.concatenate([-_hump(1.0, 0.5), np.zeros(100), _hump(1.0, 0.5), np.zeros(100)])
    acc = np.concatenate([lift, pause, slow, fast])
    kin = _kinematics(acc)
    lift_phase = _phase("concentric", 50, lift.size)
    start = lift.size + (10 if top != "push_off" else pause.size + 5)
    end = acc.size - 100
    descent = _phase("eccentric", start, end)
    push = lift.size + pause.size + slow.size
    _check_descent_start(kin, lift_phase, descent, push, moved)


@pytest.mark.parametrize("top, detrend, moved", [("pause", True, True), ("pause", False, False), ("ease", True, False)])
def test_an_accelerometer_offset_in_the_calm_is_taken_out_without_a_gyroscope(top, detrend, moved):
    # The same lift, 1 s pause (or ease into a 3 cm/s cruise) and push as
    # above, read with a 4 mg offset (0.04 m/s^2) all along: 10 cm/s over
    # the calm, which alone would say "the speed changed".  Without a
    # gyroscope such offsets are normal and the calm's median acceleration
    # is taken out, so the pause starts the descent at the push and the ease
    # still keeps its start; with a gyroscope the offset is not expected
    # and the plain change decides.

    lift = np.concatenate([np.zeros(50), _hump(5.0, 0.35), -_hump(4.0, 0.35)])
    pause = np.zeros(150)
    slow = np.zeros(60) if top == "pause" else np.concatenate([-_hump(0.12, 0.5), np.zeros(10)])
    fast = np.concatenate([-_hump(1.0, 0.5), np.zeros(100), _hump(1.0, 0.5), np.zeros(100)])
    acc = np.concatenate([lift, pause, slow, fast]) - 0.04
    kin = _kinematics(acc)
    lift_phase = _phase("concentric", 50, lift.size)
    start = lift.size + 40
    end = acc.size - 100
    push = lift.size + pause.size + slow.size
    descent = _phase("eccentric", start, end)
    _check_descent_start(kin, lift_phase, descent, push, moved, detrend_calm=detrend)


@pytest.mark.parametrize("detrend", [True, False])
@pytest.mark.parametrize("top, moved", [("offset", True), ("cruise", False)])
def test_a_long_offset_pause_before_a_descent_that_covers_the_lifts_travel_is_not_part_of_it(top, detrend, moved):
    # A 0.32 m lift, 3 s at the top, then the descent.  "offset": the bar
    # pauses, but an offset reads it at -3 cm/s (too long for the
    # steady-pause test), and the push then takes the bar down by the
    # lift's whole 0.32 m: the pause is no part of the descent, which
    # starts at the push, with or without a gyroscope.  "cruise": a slow
    # negative cruising at 4 cm/s (0.12 m) before a fast end of only
    # 0.20 m: a real part of the descent, kept.

    lift = np.concatenate([np.zeros(50), _hump(4.0, 0.4), -_hump(4.0, 0.4), np.zeros(20)])
    top_s = 3.0
    fast_peak = 4.0 if top == "offset" else 2.5
    fast = np.concatenate([-_hump(fast_peak, 0.4), _hump(fast_peak, 0.4), np.zeros(100)])
    acc = np.concatenate([lift, np.zeros(int(top_s * FS)), fast])
    velocity = np.cumsum(acc) / FS
    push = lift.size + int(top_s * FS)
    velocity[lift.size : push] += -0.03 if top == "offset" else -0.04
    if top == "cruise":
        velocity[push:] -= 0.04 * (velocity[push:] < 0)  # the fast end adds to the cruise speed
    t = np.arange(acc.size) / FS
    zeros = np.zeros(acc.size)
    kin = Kinematics(t, FS, acc, acc, velocity, np.cumsum(velocity) / FS, zeros, np.zeros(acc.size, bool), np.zeros(acc.size, bool))
    assert np.sum(velocity[50 : lift.size]) / FS == pytest.approx(0.32, abs=0.01)
    lift_phase = _phase("concentric", 50, lift.size - 20)
    start = lift.size + 10
    end = push + 80
    descent = _phase("eccentric", start, end)
    _check_descent_start(kin, lift_phase, descent, push, moved, detrend_calm=detrend)


def _settle_second_descent(acc, velocity, first_lift_end, start, end, next_lift_start, *, detrend):
    """Settle the descent of a lift / descent / lift set (lifts from sample 50 and to 50 before the end)."""
    from eccentric_sense.analysis import _settle_boundaries
    from eccentric_sense.pipeline.types import RepSegment, SetSegment

    t = np.arange(acc.size) / FS
    zeros = np.zeros(acc.size)
    kin = Kinematics(t, FS, acc, acc, velocity, np.cumsum(velocity) / FS, zeros, np.zeros(acc.size, bool), np.zeros(acc.size, bool))
    reps = (RepSegment(eccentric=None, concentric=_phase("concentric", 50, first_lift_end), first="concentric"),
            RepSegment(eccentric=_phase("eccentric", start, end), concentric=_phase("concentric", next_lift_start, acc.size - 50),
                       first="concentric"))
    sets = [SetSegment(reps=reps, start_s=0.5, end_s=acc.size / FS, first="concentric")]
    return _settle_boundaries(sets, kin, detrend_calm=detrend)[0].reps[1].eccentric


@pytest.mark.parametrize("bottom, detrend, moved", [("offset", True, True), ("offset", False, False), ("creep", True, False)])
def test_a_descent_held_on_by_an_offset_in_the_bottom_pause_ends_where_the_pause_began(bottom, detrend, moved):
    # A 0.32 m lift, a pause, a descent braked after 0.20 m or 0.32 m, then
    # 3 s that read -3 cm/s before the next lift.  "offset": the braked
    # descent had come down by the lift's whole travel, so the 3 s are a
    # pause held "moving" by an accelerometer offset: the descent ends where
    # the calm begins (not with a gyroscope, where such offsets are not
    # expected).  "creep": braked after only 0.20 m, the bar then really
    # creeps down the rest of the way: that is still the descent.
    lift = np.concatenate([np.zeros(50), _hump(4.0, 0.4), -_hump(4.0, 0.4), np.zeros(100)])
    peak = 4.0 if bottom == "offset" else 2.5
    descent_acc = np.concatenate([-_hump(peak, 0.4), _hump(peak, 0.4)])
    acc = np.concatenate([lift, descent_acc, np.zeros(300), _hump(4.0, 0.4), -_hump(4.0, 0.4), np.zeros(50)])
    velocity = np.cumsum(acc) / FS
    calm_start = lift.size + descent_acc.size
    velocity[calm_start : calm_start + 300] -= 0.03
    end = calm_start + 290
    settled = _settle_second_descent(acc, velocity, lift.size - 100, lift.size, end, end + 10, detrend=detrend)
    if moved:
        assert calm_start / FS - 0.15 <= settled.end_s <= calm_start / FS + 0.05
    else:
        assert settled.end_index == end


def test_a_fast_descent_that_eases_and_cruises_before_braking_keeps_its_braking():
    # A 0.85 s descent: a drop, a slight easing off (0.6 m/s^2), 0.15 s of
    # cruise at 0.42 m/s (calm: no acceleration), then a hard stop.  The
    # cruise has a push before it and the braking after it, like a pause at
    # the bottom, but the bar is moving fast there: it is not where it stopped.
    acc = np.concatenate([_hump(-3.0, 0.3), _hump(0.6, 0.1), np.zeros(int(0.15 * FS)), _hump(2.8, 0.3)])
    velocity = np.cumsum(acc) / FS
    assert abs(velocity[-1]) < 0.01 and velocity[int(0.47 * FS)] < -0.4  # stopped at the end, fast in the cruise
    t = np.arange(acc.size) / FS
    zeros = np.zeros(acc.size)
    kin = Kinematics(t, FS, acc, acc, velocity, np.cumsum(velocity) / FS, zeros, np.zeros(acc.size, bool),
                     np.zeros(acc.size, bool))
    phase = Phase("eccentric", 0, acc.size, 0.0, acc.size / FS)
    assert _bottom_decel(kin, phase) == pytest.approx(2.8, rel=0.01)


@pytest.mark.parametrize("bottom, moved", [("jolt", True), ("creep", False), ("speeds_up", False)])
def test_a_bottom_pause_ended_by_a_jolt_is_not_part_of_the_descent(bottom, moved):
    # Without a gyroscope: a 0.32 m lift, a descent, 1.1 s of pause that an
    # offset reads as -4 cm/s, a jolt (down and back up, as when a hanging
    # body settles), 1.2 s more of pause, the next lift.  The descent found
    # runs on through the pause to the jolt's end.  "jolt": braked after the
    # lift's whole travel and as still after the jolt as before, so it ends
    # where the pause began.  "creep": braked after 0.20 m, the bar really
    # creeps on.  "speeds_up": after the jolt the bar moves at 12 cm/s, so
    # the calm before it was not a rest.  Both keep their end.
    lift = np.concatenate([np.zeros(50), _hump(4.0, 0.4), -_hump(4.0, 0.4), np.zeros(100)])
    peak = 2.5 if bottom == "creep" else 4.0
    descent_acc = np.concatenate([-_hump(peak, 0.4), _hump(peak, 0.4)])
    pause_1, pause_2 = int(1.1 * FS), int(1.2 * FS)
    jolt = np.concatenate([-_hump(6.0, 0.1), _hump(6.0, 0.1)])
    acc = np.concatenate([lift, descent_acc, np.zeros(pause_1), jolt, np.zeros(pause_2),
                          _hump(4.0, 0.4), -_hump(4.0, 0.4), np.zeros(50)])
    velocity = np.cumsum(acc) / FS
    calm_start = lift.size + descent_acc.size
    after_jolt = calm_start + pause_1 + jolt.size
    velocity[calm_start:after_jolt] -= 0.04
    velocity[after_jolt : after_jolt + pause_2] -= 0.12 if bottom == "speeds_up" else 0.03
    end = after_jolt
    settled = _settle_second_descent(acc, velocity, lift.size - 100, lift.size, end, after_jolt + pause_2, detrend=True)
    if moved:
        assert calm_start / FS - 0.15 <= settled.end_s <= calm_start / FS + 0.05
    else:
        assert settled.end_s >= end / FS - 0.05  # at the jolt's end


@pytest.mark.parametrize("covered, moved", [(1.0, True), (0.5, False)])
def test_a_sets_last_descent_ends_at_the_bottom_not_after_the_set_down(covered, moved):
    # A 0.32 m lift, then the set's last descent: braked after the lift's
    # whole travel (or half of it, a pause half-way down), 0.8 s of calm at
    # the bottom, then the bar is set down 0.15 m further.  Velocity reads
    # true (with a gyroscope too), so the descent found runs on through the
    # set-down.  It ends where the calm began when the lift's travel was
    # covered by then; a pause half-way down is part of the descent.
    from eccentric_sense.analysis import _settle_boundaries
    from eccentric_sense.pipeline.types import RepSegment, SetSegment

    lift = np.concatenate([np.zeros(50), _hump(4.0, 0.4), -_hump(4.0, 0.4), np.zeros(100)])
    lift_travel = np.sum(np.cumsum(lift) / FS) / FS
    peak = 4.0 * covered
    descent_acc = np.concatenate([-_hump(peak, 0.4), _hump(peak, 0.4)])
    calm = np.zeros(int(0.8 * FS))
    set_down = np.concatenate([-_hump(1.875, 0.4), _hump(1.875, 0.4)])
    acc = np.concatenate([lift, descent_acc, calm, set_down, np.zeros(100)])
    velocity = np.cumsum(acc) / FS
    moved_by = -np.sum(velocity[lift.size : lift.size + descent_acc.size]) / FS
    assert moved_by == pytest.approx(covered * lift_travel, rel=0.05)  # the test is built as described
    t = np.arange(acc.size) / FS
    zeros = np.zeros(acc.size)
    kin = Kinematics(t, FS, acc, acc, velocity, np.cumsum(velocity) / FS, zeros, np.zeros(acc.size, bool), np.zeros(acc.size, bool))
    calm_start = lift.size + descent_acc.size
    end = calm_start + calm.size + set_down.size
    reps = (RepSegment(eccentric=None, concentric=_phase("concentric", 50, lift.size - 100), first="concentric"),
            RepSegment(eccentric=_phase("eccentric", lift.size, end), concentric=None, first="concentric"))
    sets = [SetSegment(reps=reps, start_s=0.5, end_s=acc.size / FS, first="concentric")]
    settled = _settle_boundaries(sets, kin)[0].reps[1].eccentric
    if moved:
        assert calm_start / FS - 0.15 <= settled.end_s <= calm_start / FS + 0.05
    else:
        assert settled.end_s >= end / FS - 0.1  # after the set-down


def _ease(delta_m_s: float, duration_s: float) -> np.ndarray:
    """Velocity easing by ``delta_m_s`` over ``duration_s`` (a smooth step: no jerk at either end)."""
    x = (np.arange(int(duration_s * FS)) + 0.5) / int(duration_s * FS)
    return delta_m_s * x * x * x * (10 - 15 * x + 6 * x * x)


def _read_as(acc: np.ndarray, velocity: np.ndarray) -> Kinematics:
    """Kinematics of acceleration ``acc`` (also its low-passed version) with the velocity read as ``velocity``."""
    t = np.arange(acc.size) / FS
    no = np.zeros(acc.size, bool)
    return Kinematics(t, FS, acc, acc, velocity, np.cumsum(velocity) / FS, np.zeros(acc.size), no, no)


def _lift_and_gently_braked_descent() -> tuple[np.ndarray, np.ndarray, int]:
    """Velocity of a 0.32 m lift (with 0.5 s before and 1 s after), of a descent of its travel, and the braking's length.

    The descent eases into 0.1 m/s over 1 s and brakes over 1.2 s: 0.16 m/s^2
    at most, under the calm's 0.3 m/s^2 limit (a tempo curl's stop).
    """
    lift_acc = np.concatenate([np.zeros(50), _hump(4.0, 0.4), -_hump(4.0, 0.4), np.zeros(100)])
    lift_v = np.cumsum(lift_acc) / FS
    speed = 0.1
    ease_in, brake = -_ease(speed, 1.0), -speed + _ease(speed, 1.2)
    cruise_s = (np.sum(lift_v) / FS + np.sum(ease_in) / FS + np.sum(brake) / FS) / speed
    return lift_v, np.concatenate([ease_in, np.full(int(cruise_s * FS), -speed), brake]), brake.size


def test_a_sets_last_descent_braked_gently_ends_at_the_bottom_not_after_the_set_down():
    # A 0.32 m lift, then the set's last descent, a tempo curl's: eased into
    # 0.1 m/s and braked over 1.2 s (0.16 m/s^2 at most, under the calm's
    # 0.3 m/s^2 limit), 1.5 s at the bottom, then the bar is set down 0.15 m
    # further.  An offset of -5 cm/s from the braking on carries the descent
    # found through the pause to the set-down.  It ends where the bar stopped.
    from eccentric_sense.analysis import _settle_boundaries
    from eccentric_sense.pipeline.types import RepSegment, SetSegment

    lift_v, descent_v, brake_size = _lift_and_gently_braked_descent()
    lift_travel = np.sum(lift_v) / FS
    set_down_v = -np.cumsum(np.concatenate([_hump(1.875, 0.4), -_hump(1.875, 0.4)])) / FS
    velocity = np.concatenate([lift_v, descent_v, np.zeros(int(1.5 * FS)), set_down_v, np.zeros(100)])
    acc = np.gradient(velocity) * FS
    descent_start = lift_v.size
    assert -np.sum(descent_v) / FS == pytest.approx(lift_travel, rel=0.03)  # the test is built as described
    stopped = descent_start + int(np.flatnonzero(descent_v < -0.02)[-1]) + 1  # where the true descent ends
    braking = descent_start + descent_v.size - brake_size
    assert 0.1 < np.max(acc[braking:stopped]) < 0.3  # braked, under the calm's limit
    end = descent_start + descent_v.size + int(1.5 * FS) + set_down_v.size
    read = velocity.copy()
    read[braking:end] -= 0.05  # the offset holds the pause "moving"
    kin = _read_as(acc, read)
    reps = (RepSegment(eccentric=None, concentric=_phase("concentric", 50, lift_v.size - 100), first="concentric"),
            RepSegment(eccentric=_phase("eccentric", descent_start, end), concentric=None, first="concentric"))
    sets = [SetSegment(reps=reps, start_s=0.5, end_s=acc.size / FS, first="concentric")]
    for detrend_calm in (False, True):  # with a gyroscope and without
        settled = _settle_boundaries(sets, kin, detrend_calm=detrend_calm)[0].reps[1].eccentric
        assert settled.end_s == pytest.approx(stopped / FS, abs=0.15)


@pytest.mark.parametrize("not_after_fall", [False, True])
def test_the_calm_cruise_after_a_caught_fall_is_no_pause_at_the_bottom(not_after_fall):
    # A descent at 0.1 m/s that falls (to -0.8 g, 0.25 s), is caught at
    # 0.05 m/s and lowered on for 0.8 s (calm), then brakes, pauses and is
    # set down.
    # Both calms come after an upward acceleration, and the lift's travel
    # (counted here as 0.3 m) was covered by either; the first is no pause.
    from eccentric_sense.analysis import _calm_runs, _end_at_bottom_pause

    cruise = np.full(int(2.0 * FS), -0.1)
    drop = -0.1 + np.cumsum(-_hump(8.0, 0.25)) / FS
    caught = drop[-1] + (-0.05 - drop[-1]) * np.cumsum(_hump(1.0, 0.15)) / np.sum(_hump(1.0, 0.15))
    lowered = np.full(int(0.8 * FS), -0.05)
    brake = -0.05 + _ease(0.05, 0.3)
    set_down = -np.cumsum(np.concatenate([_hump(1.875, 0.4), -_hump(1.875, 0.4)])) / FS
    velocity = np.concatenate([-_ease(0.1, 0.5), cruise, drop, caught, lowered, brake, np.zeros(int(1.0 * FS)), set_down,
                               np.zeros(50)])
    acc = np.gradient(velocity) * FS
    displacement = np.concatenate([[0.0], np.cumsum(velocity)]) / FS
    calm = _calm_runs(acc, FS)
    after_catch = 50 + cruise.size + drop.size + caught.size
    paused = after_catch + lowered.size + brake.size
    assert displacement[0] - displacement[after_catch + 5] > 0.3  # covered by the first calm after the catch
    end = _end_at_bottom_pause(calm, acc, velocity, displacement, 0, velocity.size - 50, FS, earliest=0, travel=0.3,
                               max_change_m_s=None, not_after_fall=not_after_fall)
    if not_after_fall:
        assert abs(end - paused) <= 0.15 * FS
    else:
        assert end < paused - 0.5 * FS  # what it guards against: the cruise after the catch taken for the pause


def test_a_descent_braked_gently_ends_at_the_pause_before_the_next_lift_without_a_gyroscope():
    # A 0.32 m lift, a 0.1 m/s descent braked over 1.2 s (0.16 m/s^2, under
    # the calm's limit), 1.0 s of pause at the bottom, the next lift.  An
    # offset of -5 cm/s from the braking on (without a gyroscope the offset
    # depends on the pose) holds the pause "moving", and the descent found
    # runs on to the lift.  It ends where the bar stopped.
    from eccentric_sense.analysis import _settle_boundaries
    from eccentric_sense.pipeline.types import RepSegment, SetSegment

    lift_v, descent_v, brake_size = _lift_and_gently_braked_descent()
    velocity = np.concatenate([lift_v, descent_v, np.zeros(int(1.0 * FS)), lift_v])
    acc = np.gradient(velocity) * FS
    descent_start = lift_v.size
    stopped = descent_start + int(np.flatnonzero(descent_v < -0.02)[-1]) + 1  # where the true descent ends
    braking = descent_start + descent_v.size - brake_size
    next_lift = descent_start + descent_v.size + int(1.0 * FS) + 50
    read = velocity.copy()
    read[braking:next_lift] -= 0.05
    kin = _read_as(acc, read)
    reps = (RepSegment(eccentric=_phase("eccentric", descent_start, next_lift),
                       concentric=_phase("concentric", 50, lift_v.size - 100), first="concentric"),
            RepSegment(eccentric=None, concentric=_phase("concentric", next_lift, next_lift + 80), first="concentric"))
    sets = [SetSegment(reps=reps, start_s=0.5, end_s=acc.size / FS, first="concentric")]
    settled = _settle_boundaries(sets, kin, detrend_calm=True)[0].reps[0].eccentric
    assert settled.end_s == pytest.approx(stopped / FS, abs=0.15)
    # With a gyroscope the rule is not applied (it was no better there).
    assert _settle_boundaries(sets, kin)[0].reps[0].eccentric.end_index == next_lift


@pytest.mark.parametrize("fell", [False, True])
def test_a_gentle_calm_after_a_caught_fall_does_not_end_the_descent(fell):
    # The end of a descent lies in a calm of 0.8 s that followed an upward
    # acceleration, and the next lift pushes right after.  After gentle
    # braking (0.2 m/s^2) it is the pause at the bottom, held "moving" by an
    # offset; after a fall caught at 5 cm/s it is the cruise the negative
    # went on at (a touch-and-go bottom), and the descent keeps its end.
    from eccentric_sense.analysis import _end_at_calm, _PhaseSignals

    if fell:
        slowing = -0.1 + np.cumsum(-_hump(8.0, 0.25)) / FS
        slowing = np.concatenate([slowing, slowing[-1] + (-0.05 - slowing[-1]) * np.cumsum(_hump(1.0, 0.15)) / np.sum(_hump(1.0, 0.15))])
    else:
        slowing = -0.1 + _ease(0.05, 0.5)  # 0.19 m/s^2 at most
    velocity = np.concatenate([np.full(int(2.0 * FS), -0.1), slowing, np.full(int(0.8 * FS), -0.05), -0.05 + _ease(0.55, 0.5)])
    acc = np.gradient(velocity) * FS
    end = velocity.size - 50  # where the lift's push begins
    speed_change = np.concatenate([[0.0], np.cumsum(acc)]) / FS
    displacement = np.concatenate([[0.0], np.cumsum(velocity)]) / FS
    gentle = np.array([[int(2.0 * FS) + slowing.size + 5, end + 10]])
    assert np.all(np.abs(acc[gentle[0, 0] : end - 1]) < 0.1)  # the calm is as described
    signals = _PhaseSignals(acc, acc, speed_change, velocity, displacement, FS)
    settled = _end_at_calm(gentle, signals, 0, end, sign=-1.0, concentric=False, reach=15, late=int(FS),
                           late_end=int(4 * FS), braked_m_s2=0.1, onset_m_s=0.02, hold_m_s=0.1, travel=0.1,
                           not_after_fall=True)
    assert settled == (end if fell else gentle[0, 0])


def _lift_hold_and_gentle_negative(spike: bool):
    """Lift, a 1.5 s hold at the top, a 0.12 m/s negative eased into over 0.8 s (0.28 m/s^2 at most), pause, lift.

    Velocity, acceleration, where the descent starts and the index of the
    hold's end.  With ``spike``, a 20 ms jolt of -0.3 m/s^2 half-way
    through the hold (noise, a knock on the bar).
    """
    lift_acc = np.concatenate([np.zeros(50), _hump(4.0, 0.4), -_hump(4.0, 0.4), np.zeros(50)])
    lift_v = np.cumsum(lift_acc) / FS
    ease_in = -_ease(0.12, 0.8)
    brake = -0.12 + _ease(0.12, 0.5)
    cruise_s = (np.sum(lift_v) / FS + np.sum(ease_in) / FS + np.sum(brake) / FS) / 0.12
    hold = np.zeros(int(1.5 * FS))
    velocity = np.concatenate([lift_v, hold, ease_in, np.full(int(cruise_s * FS), -0.12), brake, np.zeros(100), lift_v])
    acc = np.gradient(velocity) * FS
    hold_end = lift_v.size + hold.size
    if spike:
        acc[lift_v.size + 75 : lift_v.size + 77] -= 0.3
    descent_end = hold_end + ease_in.size + int(cruise_s * FS) + brake.size
    return velocity, acc, lift_v.size, hold_end, descent_end


@pytest.mark.parametrize("spike", [False, True])
def test_a_negative_eased_into_gently_starts_after_the_hold_not_at_a_jolt_in_it(spike):
    # A velocity offset of -3 cm/s in the hold at the top makes the descent
    # found start when the hold begins.  The ease-in pushes at 0.28 m/s^2 at
    # most, under the calm's limit, so the hold's calm runs on into the
    # cruise: the start moves to the end of the gentle calm (under
    # 0.1 m/s^2) that the push ends.  A jolt half-way through the hold ends
    # a gentle calm too, but it is no push on average: the start stays.
    from eccentric_sense.analysis import _settle_boundaries
    from eccentric_sense.pipeline.types import RepSegment, SetSegment

    velocity, acc, hold_start, hold_end, descent_end = _lift_hold_and_gentle_negative(spike)
    assert np.max(np.abs(acc[hold_end : hold_end + 80])) < 0.3  # eased in under the calm's limit
    read = velocity.copy()
    read[hold_start:hold_end] -= 0.03
    kin = _read_as(acc, read)
    reps = (RepSegment(eccentric=_phase("eccentric", hold_start, descent_end),
                       concentric=_phase("concentric", 50, hold_start - 50), first="concentric"),
            RepSegment(eccentric=None, concentric=_phase("concentric", descent_end + 150, descent_end + 230), first="concentric"))
    sets = [SetSegment(reps=reps, start_s=0.5, end_s=acc.size / FS, first="concentric")]
    for detrend_calm in (False, True):  # with a gyroscope and without
        settled = _settle_boundaries(sets, kin, detrend_calm=detrend_calm)[0].reps[0].eccentric
        if spike:
            assert settled.start_index < hold_start + 70  # not at the jolt (75)
        else:
            moving = hold_end + int(np.flatnonzero(velocity[hold_end:] < -0.02)[0])  # where the true descent starts
            assert settled.start_s == pytest.approx(moving / FS, abs=0.15)
