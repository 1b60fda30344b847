"""Phase shapes: acceleration knots of one eccentric or concentric phase.

A phase is a chain of non-overlapping acceleration *bumps* (rise, optional
plateau, fall, all smoothstep-shaped) separated by cruise stretches of zero
acceleration.  Bumps are either *scaled* (the lifter's own motion, scaled so
the phase covers exactly its range of motion) or *absolute* (a drop keeps its
physical acceleration whatever the range).  Because position is linear in the
accelerations, the scale factor is solved in closed form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..constants import STANDARD_GRAVITY
from ._knots import KnotTrack

__all__ = ["Bump", "PhaseShape", "eccentric_shape", "concentric_shape", "move_shape", "phase_knots"]


@dataclass(frozen=True)
class Bump:
    """One acceleration bump: 0 -> ``amp`` over ``rise``, hold ``plateau``, -> 0 over ``fall``."""

    start: float
    rise: float
    plateau: float
    fall: float
    amp: float
    scaled: bool = True

    @property
    def end(self) -> float:
        return self.start + self.rise + self.plateau + self.fall

    @property
    def area(self) -> float:
        """Velocity change of the bump."""
        return self.amp * (self.rise / 2 + self.plateau + self.fall / 2)

    def knots(self, scale: float) -> tuple[list[float], list[float]]:
        amp = self.amp * (scale if self.scaled else 1.0)
        t = [self.start, self.start + self.rise]
        a = [0.0, amp]
        if self.plateau > 0:
            t.append(self.start + self.rise + self.plateau)
            a.append(amp)
        t.append(self.end)
        a.append(0.0)
        return t, a


@dataclass(frozen=True)
class PhaseShape:
    """The bumps of one phase of duration ``duration`` (before scaling)."""

    duration: float
    bumps: tuple[Bump, ...]


def _knots(shape: PhaseShape, scale: float, absolute: bool = True) -> tuple[np.ndarray, np.ndarray]:
    times: list[float] = [0.0]
    accs: list[float] = [0.0]
    for bump in sorted(shape.bumps, key=lambda b: b.start):
        t, a = bump.knots(scale if bump.scaled else (1.0 if absolute else 0.0))
        if not bump.scaled and not absolute:
            a = [0.0] * len(a)
        for ti, ai in zip(t, a):
            if ti <= times[-1] + 1e-9:
                # Shared zero end point of consecutive bumps.
                continue
            times.append(ti)
            accs.append(ai)
    if shape.duration > times[-1] + 1e-9:
        times.append(shape.duration)
        accs.append(0.0)
    return np.asarray(times), np.asarray(accs)


def phase_knots(shape: PhaseShape, displacement_m: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Knots of ``shape`` scaled so the phase moves exactly ``displacement_m``.

    Returns the knot times (from 0), the accelerations and the scale factor.
    Raises ``ValueError`` when the absolute bumps alone overshoot the range.
    """
    t_scaled, a_scaled = _knots(shape, 1.0, absolute=False)
    scaled_part = KnotTrack(t_scaled, a_scaled).end_position
    t_abs, a_abs = _knots(shape, 0.0, absolute=True)
    absolute_part = KnotTrack(t_abs, a_abs).end_position
    if scaled_part == 0:
        raise ValueError("phase shape has no scaled motion")
    scale = (displacement_m - absolute_part) / scaled_part
    if scale <= 0:
        raise ValueError("absolute bumps exceed the phase's range of motion")
    t, a = _knots(shape, scale, absolute=True)
    return t, a, scale


def move_shape(duration: float, direction: float, peak_fraction: float = 0.5, accel_skew: float = 0.4) -> PhaseShape:
    """A smooth point-to-point move: one accelerating and one braking bump, no cruise.

    ``peak_fraction`` is where the speed peaks (as a fraction of the duration).
    """
    t_acc = duration * peak_fraction
    t_brk = duration - t_acc
    acc = Bump(0.0, accel_skew * t_acc, 0.0, (1 - accel_skew) * t_acc, direction * 1.0)
    brake_amp = -acc.area / (t_brk / 2)
    brk = Bump(t_acc, 0.5 * t_brk, 0.0, 0.5 * t_brk, brake_amp)
    return PhaseShape(duration, (acc, brk))


def concentric_shape(
    duration: float, peak_fraction: float, direction: float = 1.0, *, skew: float = 0.3, sticking: float = 0.0
) -> PhaseShape:
    """A lift: accelerate until ``peak_fraction`` of the phase, then brake to the lockout.

    ``skew`` near 1 concentrates the push late (peak/mean speed ~1.9, squat- and
    deadlift-like); ``sticking`` > 0 adds a bench-press sticking region: the
    speed dips by that fraction after a first push, then rises to the peak.
    """
    if sticking <= 0:
        return move_shape(duration, direction, peak_fraction=peak_fraction, accel_skew=skew)
    push = 0.35 * peak_fraction * duration
    first = Bump(0.0, 0.35 * push, 0.0, 0.65 * push, direction)
    v1 = first.area
    dip_len = 0.3 * peak_fraction * duration
    dip = Bump(push, 0.5 * dip_len, 0.0, 0.5 * dip_len, -sticking * v1 / (dip_len / 2))
    rise_len = peak_fraction * duration - push - dip_len
    rise = Bump(push + dip_len, 0.5 * rise_len, 0.0, 0.5 * rise_len, (sticking + 0.25) * v1 / (rise_len / 2))
    brake_len = duration - peak_fraction * duration
    brake = Bump(peak_fraction * duration, 0.5 * brake_len, 0.0, 0.5 * brake_len, -1.25 * v1 / (brake_len / 2))
    return PhaseShape(duration, (first, dip, rise, brake))


def eccentric_shape(
    duration: float,
    *,
    direction: float = -1.0,
    accel_fraction: float = 0.3,
    brake_fraction: float = 0.3,
    brake_peak_position: float = 0.5,
    late_braking: bool = False,
    hard_stop: bool = False,
    stalls: int = 0,
    waver: int = 0,
    waver_depth: tuple[float, float] = (0.15, 0.35),
    drop_g: float = 0.0,
    drop_s: float = 0.14,
    rng: np.random.Generator | None = None,
) -> PhaseShape:
    """An asymmetric lowering: early acceleration, cruise (with stalls, wavering or a drop), late braking.

    Parameters
    ----------
    duration
        Phase duration, s.
    direction
        -1 for a descent.
    accel_fraction, brake_fraction
        Shares of the duration spent speeding up and braking.
    brake_peak_position
        Where within the braking window the deceleration peaks (0.5
        symmetric; near 1 = braking left to the end: a hard bottom).
    late_braking
        Keep speeding up through ~80 % of the phase, then stop abruptly.
    hard_stop
        With ``late_braking``: brake in the last 0.15 s only (a hard bottom).
    stalls
        Number of brief near-stops (speed down to ~5 % of the cruise) in the cruise.
    waver
        Number of speed modulations in the cruise ...
    waver_depth
        ... each by a random fraction of the cruise speed in this range.
    drop_g, drop_s
        A drop: extra downward acceleration of ``drop_g`` g held for
        ``drop_s`` s, then a catch back to the cruise speed.  0 = none.
    rng
        For the placement of stalls and modulations.
    """
    rng = rng or np.random.default_rng(0)
    bumps: list[Bump] = []
    if late_braking and hard_stop:
        # Controlled at first, then the weight is let go over the last ~30 %
        # (to about six times the cruise speed) and stopped within 0.12 s.
        acc = Bump(0.0, 0.06 * duration, 0.0, 0.09 * duration, direction)
        brake_len = 0.12
        brake_start = duration - brake_len
        push_start = 0.7 * duration
        push_len = brake_start - push_start
        push = Bump(push_start, 0.7 * push_len, 0.0, 0.3 * push_len, 5.0 * acc.area / (push_len / 2))
        bumps.extend([acc, push])
        bumps.append(Bump(brake_start, 0.6 * brake_len, 0.0, 0.4 * brake_len, -(acc.area + push.area) / (brake_len / 2)))
        cruise = (acc.end, push_start)
    elif late_braking:
        brake_len = 0.2 * duration
        brake_start = duration - brake_len
        fall = 0.1 * duration
        acc = Bump(0.0, 0.15 * duration, brake_start - 0.15 * duration - fall, fall, direction)
        bumps.append(acc)
        bumps.append(Bump(brake_start, 0.65 * brake_len, 0.0, 0.35 * brake_len, -acc.area / (brake_len / 2)))
        cruise = (acc.end, acc.end)
    else:
        t_acc = accel_fraction * duration
        t_brk = brake_fraction * duration
        acc = Bump(0.0, 0.4 * t_acc, 0.0, 0.6 * t_acc, direction)
        brake_start = duration - t_brk
        q = float(np.clip(brake_peak_position, 0.05, 0.95))
        bumps.append(acc)
        bumps.append(Bump(brake_start, q * t_brk, 0.0, (1 - q) * t_brk, -acc.area / (t_brk / 2)))
        cruise = (t_acc, brake_start)
    cruise_speed = acc.area  # signed, in scaled units
    features: list[tuple[str, float]] = [("stall", 0.0)] * stalls + [("waver", 0.0)] * waver
    if drop_g > 0:
        features.append(("drop", 0.0))
    if features and cruise[1] - cruise[0] > 0.2:
        order = rng.permutation(len(features))
        slot = (cruise[1] - cruise[0]) / len(features)
        for n, index in enumerate(order):
            kind = features[index][0]
            lo = cruise[0] + n * slot
            if kind == "stall":
                # Below 0.02 m/s for well under the 0.5 s stall tolerance: a stall, not a stop.
                width = min(0.2, 0.3 * slot)
                hold = min(rng.uniform(0.08, 0.2), 0.3 * slot)
                start = lo + 0.5 * (slot - 2 * width - hold)
                depth = 0.95 * cruise_speed
                amp = depth / (width / 2)
                bumps.append(Bump(start, width / 2, 0.0, width / 2, -amp))
                bumps.append(Bump(start + width + hold, width / 2, 0.0, width / 2, amp))
            elif kind == "waver":
                width = min(0.8, 0.45 * slot)
                start = lo + 0.5 * (slot - 2 * width)
                depth = rng.choice([-1.0, 1.0]) * rng.uniform(*waver_depth) * cruise_speed
                amp = depth / (width / 2)
                bumps.append(Bump(start, width / 2, 0.0, width / 2, -amp))
                bumps.append(Bump(start + width, width / 2, 0.0, width / 2, amp))
            else:  # drop: absolute acceleration, a fixed physical event
                ramp = 0.03
                drop_amp = direction * drop_g * STANDARD_GRAVITY
                first = Bump(lo + 0.05 * slot, ramp, drop_s, ramp, drop_amp, scaled=False)
                catch_len = 0.2
                catch_amp = -first.area / (catch_len - 0.05)
                bumps.append(first)
                bumps.append(Bump(first.end, 0.05, catch_len - 0.1, 0.05, catch_amp, scaled=False))
    return PhaseShape(duration, tuple(bumps))
