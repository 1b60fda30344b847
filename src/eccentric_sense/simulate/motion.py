"""The motion model: a whole session of sets as exact, dense kinematics.

Coordinates are the *bar frame* (X along the bar, Y forward/back - the
direction of J-curves, walkouts and body swing - Z up); the session's
heading turns it into the world frame later (only Z matters for the truth).

Every coordinate is a sum of terms whose value, first and second time
derivative are computed in closed form:

* knot tracks (:mod:`._knots`): the vertical reps and setup moves, the
  horizontal walkouts and hand-off wobbles, sleeve spins and grip rolls;
* couplings ``E(t) * c * h(p(t))``: horizontal bar path, bar roll and tilt as
  functions of the rep depth ``p = (z_top - z) / rom`` inside a set window
  ``E(t)`` (a smooth 0-1 envelope);
* envelope-modulated sinusoids: body swing (with matching pitch), small
  sway, physiological tremor and plate ringing after impacts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._knots import KnotTrack, smoothstep
from ._shapes import PhaseShape, concentric_shape, eccentric_shape, move_shape, phase_knots
from .specs import EXERCISE_PROFILES, RepSpec, SetSpec, starts_at_top

__all__ = ["Motion", "IntendedPhase", "SetWindow", "build_motion", "Triple"]

#: value, first derivative, second derivative
Triple = tuple[np.ndarray, np.ndarray, np.ndarray]

#: Pendulum length from the hands to a belt-mounted sensor, m.
BODY_PENDULUM_M = 1.1
#: Radius of a 45 cm plate: a bar rolled on the floor turns by distance / radius.
PLATE_RADIUS_M = 0.225
#: Height a pull-up-negative lifter drops when letting go of the bar at dead hang, m.
RELEASE_DROP_M = 0.06


def _smooth_values(knot_t: np.ndarray, knot_v: np.ndarray, t: np.ndarray) -> Triple:
    """Smoothstep interpolation of *values* between knots, with exact derivatives."""
    if knot_t.size == 0:
        zero = np.zeros_like(t)
        return zero, zero.copy(), zero.copy()
    if knot_t.size == 1:
        return np.full_like(t, knot_v[0]), np.zeros_like(t), np.zeros_like(t)
    piece = np.clip(np.searchsorted(knot_t, t, side="right") - 1, 0, knot_t.size - 2)
    t0 = knot_t[piece]
    length = knot_t[piece + 1] - t0
    dv = knot_v[piece + 1] - knot_v[piece]
    u = np.clip((t - t0) / length, 0.0, 1.0)
    inside = (t >= knot_t[0]) & (t <= knot_t[-1])
    value = knot_v[piece] + dv * smoothstep(u)
    d1 = np.where(inside, dv / length * 30 * u**2 * (1 - u) ** 2, 0.0)
    d2 = np.where(inside, dv / length**2 * (60 * u - 180 * u**2 + 120 * u**3), 0.0)
    value = np.where(t < knot_t[0], knot_v[0], np.where(t > knot_t[-1], knot_v[-1], value))
    return value, d1, d2


def _product(a: Triple, b: Triple) -> Triple:
    return (a[0] * b[0], a[1] * b[0] + a[0] * b[1], a[2] * b[0] + 2 * a[1] * b[1] + a[0] * b[2])


def _sine(t: np.ndarray, amplitude: float, freq_hz: float, phase: float) -> Triple:
    w = 2 * np.pi * freq_hz
    arg = w * t + phase
    s, c = np.sin(arg), np.cos(arg)
    return amplitude * s, amplitude * w * c, -amplitude * w * w * s


def _poly_of(p: Triple, b1: float, b2: float, p_rest: float = 0.0) -> Triple:
    """``h(p) - h(p_rest)`` for ``h(p) = b1 p + b2 p^2``, with chain-rule derivatives.

    Subtracting the value at the rest position keeps a coupling at zero while
    the bar rests, so the set's envelope can fade in and out without motion.
    """
    value, d1, d2 = p
    slope = b1 + 2 * b2 * value
    offset = b1 * p_rest + b2 * p_rest**2
    return b1 * value + b2 * value**2 - offset, slope * d1, 2 * b2 * d1**2 + slope * d2


_PATHS = {"j": (0.4, 0.6), "arc": (4.3, -4.0), "linear": (1.0, 0.0)}


@dataclass
class IntendedPhase:
    """A rep phase as the simulator built it (the truth is measured, not copied from here)."""

    set_index: int
    rep_index: int
    kind: str  # "eccentric" | "concentric"
    start_s: float
    end_s: float
    rom_m: float


@dataclass
class SetWindow:
    """A set's time window and the constants of its couplings."""

    index: int
    spec: SetSpec
    reps: list[RepSpec]
    constants: dict[str, float]
    start_s: float  # first rep movement
    end_s: float  # last rep movement ends
    window: tuple[float, float, float, float]  # envelope: ramp-on start/end, ramp-off start/end
    z_top: float
    top_start: bool
    z_rest: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "set": self.index + 1,
            "exercise": self.spec.exercise,
            "protocol": self.spec.protocol,
            "top_start": self.top_start,
            "constants": dict(self.constants),
            "reps": [r.to_dict() for r in self.reps],
        }


class _Track:
    """Accumulates non-overlapping knot bumps of one coordinate."""

    def __init__(self) -> None:
        self.t: list[float] = [0.0]
        self.a: list[float] = [0.0]

    @property
    def last(self) -> float:
        return self.t[-1]

    def add(self, t0: float, times: np.ndarray, accs: np.ndarray) -> float:
        """Append knots starting at ``t0`` (moved later if the track is busy); return the end time."""
        t0 = max(t0, self.last)
        for ti, ai in zip(times + t0, accs):
            if ti <= self.t[-1] + 1e-9:
                continue  # the shared zero end point of consecutive bumps
            self.t.append(float(ti))
            self.a.append(float(ai))
        return t0 + float(times[-1])

    def track(self, end_s: float) -> KnotTrack:
        t, a = list(self.t), list(self.a)
        if end_s > t[-1] + 1e-9:
            t.append(end_s)
            a.append(0.0)
        return KnotTrack(np.asarray(t), np.asarray(a))


@dataclass
class Motion:
    """A whole simulated session's motion (evaluate it at any times)."""

    vertical: KnotTrack
    forward: KnotTrack
    spin: KnotTrack
    sets: list[SetWindow]
    intended: list[IntendedPhase]
    swing_knots: tuple[np.ndarray, np.ndarray]
    ringing: list[dict[str, float]]
    body: bool
    duration_s: float
    tilt0_rad: float
    events: list[dict[str, Any]] = field(default_factory=list)

    def evaluate(self, t: np.ndarray) -> dict[str, Any]:
        """Bar-frame position/velocity/acceleration (n, 3) and roll/tilt angle triples at ``t``."""
        z = list(self.vertical.evaluate(t))
        y = list(self.forward.evaluate(t))
        x = [np.zeros_like(t) for _ in range(3)]
        phi = list(self.spin.evaluate(t))
        theta = [np.full_like(t, self.tilt0_rad), np.zeros_like(t), np.zeros_like(t)]
        z_track = tuple(c.copy() for c in z)  # coupling depth uses the rep motion, not tremor
        for window in self.sets:
            a0, a1, b0, b1 = window.window
            env = _smooth_values(np.array([a0, a1, b0, b1]), np.array([0.0, 1.0, 1.0, 0.0]), t)
            active = (t >= a0) & (t <= b1)
            if not np.any(active):
                continue
            c = window.constants
            rom = c["rom_m"]
            p = ((window.z_top - z_track[0]) / rom, -z_track[1] / rom, -z_track[2] / rom)
            p_rest = (window.z_top - window.z_rest) / rom
            profile = EXERCISE_PROFILES[window.spec.exercise]
            b1_, b2_ = _PATHS[profile.path]
            terms = [
                (y, _product(env, _poly_of(p, c["horizontal_m"] * b1_, c["horizontal_m"] * b2_, p_rest))),
                (phi, _product(env, _poly_of(p, c["roll_rad"], 0.0, p_rest))),
                (theta, _product(env, _poly_of(p, c["tilt_rad"] * 0.5, 0.0, p_rest))),
                (z, _product(env, _sine(t, c["tremor_m"], c["tremor_hz"], 0.3))),
                (x, _product(env, _sine(t, 0.002, 0.7, 1.1))),
            ]
            if not profile.body:
                terms.append((y, _product(env, _sine(t, 0.003, 0.9, 0.4))))
            for target, term in terms:
                for k in range(3):
                    target[k] = target[k] + np.where(active, term[k], 0.0)
        if self.swing_knots[0].size:
            swing_env = _smooth_values(*self.swing_knots, t)
            freq = self.sets[0].constants["swing_hz"] if self.sets else 0.5
            swing = _product(swing_env, _sine(t, 1.0, freq, 0.0))
            for k in range(3):
                y[k] = y[k] + swing[k]
                # A pendulum from the hands: the body pitches with the swing.
                phi[k] = phi[k] - swing[k] / BODY_PENDULUM_M
        for ring in self.ringing:
            start = ring["t0"]
            knots_t = start + np.array([0.0, 0.02, 0.08, 0.16, 0.3, 0.6])
            knots_v = np.array([0.0, 1.0, 0.5, 0.22, 0.06, 0.0])
            near = (t >= start) & (t <= knots_t[-1])
            if not np.any(near):
                continue
            env = _smooth_values(knots_t, knots_v, t[near])
            for target, amp, phase in ((z, ring["z_m"], 0.0), (y, ring["y_m"], 1.0), (x, ring["x_m"], 2.0)):
                term = _product(env, _sine(t[near] - start, amp, ring["hz"], phase))
                for k in range(3):
                    target[k][near] = target[k][near] + term[k]
        pos = np.stack([x[0], y[0], z[0]], axis=1)
        vel = np.stack([x[1], y[1], z[1]], axis=1)
        acc = np.stack([x[2], y[2], z[2]], axis=1)
        return {"pos": pos, "vel": vel, "acc": acc, "phi": tuple(phi), "theta": tuple(theta)}


class _Builder:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.t = 0.0
        self.z = 0.0
        self.vertical = _Track()
        self.forward = _Track()
        self.spin = _Track()
        self.intended: list[IntendedPhase] = []
        self.ringing: list[dict[str, float]] = []
        self.swing_events: list[tuple[float, float]] = []
        self.events: list[dict[str, Any]] = []

    # -- primitives ----------------------------------------------------------------------
    def hold(self, seconds: float) -> None:
        self.t += max(0.0, float(seconds))

    def vertical_phase(self, shape: PhaseShape, displacement: float) -> tuple[float, float]:
        times, accs, _ = phase_knots(shape, displacement)
        start = max(self.t, self.vertical.last)
        end = self.vertical.add(start, times, accs)
        self.t = end
        self.z += displacement
        return start, end

    def vertical_move(self, displacement: float, duration: float) -> tuple[float, float]:
        return self.vertical_phase(move_shape(duration, np.sign(displacement) or 1.0), displacement)

    def forward_move(self, t0: float, distance: float, duration: float) -> float:
        times, accs, _ = phase_knots(move_shape(duration, np.sign(distance) or 1.0), distance)
        return self.forward.add(t0, times, accs)

    def spin_move(self, t0: float, angle: float, duration: float) -> float:
        times, accs, _ = phase_knots(move_shape(duration, np.sign(angle) or 1.0), angle)
        return self.spin.add(t0, times, accs)

    def ring(self, t0: float, strength: float = 1.0) -> None:
        hz = float(self.rng.uniform(35.0, 80.0))
        w = 2 * np.pi * hz
        # Vertical ringing velocity stays below the 0.02 m/s phase threshold.
        z_amp = min(0.008 / w, strength * 6.0 / w**2)
        self.ringing.append(
            {
                "t0": float(t0),
                "hz": hz,
                "z_m": float(z_amp),
                "y_m": float(strength * self.rng.uniform(8.0, 25.0) / w**2),
                "x_m": float(strength * self.rng.uniform(3.0, 10.0) / w**2),
            }
        )
        self.events.append({"kind": "impact", "t": float(t0)})

    def wobble(self, duration: float) -> None:
        """Hand-off hold that is not motionless: small horizontal sway, bar rocking, tiny bobbing."""
        t0 = self.t
        n = max(1, int(duration / 0.6))
        seg = duration / n
        for k in range(n):
            start = t0 + k * seg
            amp = float(self.rng.uniform(0.008, 0.02)) * (1 if k % 2 == 0 else -1)
            angle = float(np.deg2rad(self.rng.uniform(2, 5))) * (1 if k % 2 else -1)
            self.forward_move(start, amp, 0.45 * seg)
            self.forward_move(start + 0.5 * seg, -amp, 0.45 * seg)
            self.spin_move(start, angle, 0.45 * seg)
            self.spin_move(start + 0.5 * seg, -angle, 0.45 * seg)
        self.events.append({"kind": "unsteady_hold", "t": float(t0), "duration": float(duration)})
        # Vertical bobbing of 2 mm: peak speed about 0.015 m/s, below the phase threshold.
        for k in range(n + n % 2):
            self.vertical_move(0.002 * (1 if k % 2 == 0 else -1), 0.45 * seg)
            self.hold(0.05 * seg)
        self.t = max(self.t, t0 + duration)

    def walk(self, distance: float) -> None:
        """A walkout: horizontal travel with a small vertical bob per step."""
        steps = int(self.rng.integers(2, 5))
        duration = 0.7 * steps
        t0 = self.t
        self.forward_move(t0, distance, duration)
        for _ in range(steps):
            self.vertical_move(0.012, 0.35)
            self.vertical_move(-0.012, 0.35)
        self.t = max(self.t, t0 + duration)
        self.events.append({"kind": "walkout", "t": float(t0), "distance_m": float(distance)})

    def grip_adjust(self) -> None:
        t0 = self.t
        self.spin_move(t0, np.deg2rad(self.rng.uniform(-35, 35)), 0.6)
        self.vertical_move(0.015, 0.4)
        self.vertical_move(-0.015, 0.4)
        self.hold(0.5)
        self.events.append({"kind": "grip_adjust", "t": float(t0)})

    def sleeve_spin(self) -> None:
        t0 = self.t
        turns = float(self.rng.uniform(0.5, 2.0)) * float(self.rng.choice([-1.0, 1.0]))
        duration = float(self.rng.uniform(0.6, 1.4))
        end = self.spin_move(t0, 2 * np.pi * turns, duration)
        self.t = max(self.t, end) + 0.3
        self.events.append({"kind": "sleeve_spin", "t": float(t0), "turns": turns, "duration": duration})


def _eccentric(rep: RepSpec, rng: np.random.Generator) -> PhaseShape:
    """The rep's descent; a drop that does not fit the range is shortened, then left out."""
    drop_g = float(rng.uniform(0.68, 0.8)) if "drop" in rep.flaws else 0.0
    if not drop_g:
        return _eccentric_with(rep, rng, 0.0, 0.14)
    # The drop eats part of the range: keep the rest of the descent at a
    # controlled speed (>= 0.04 m/s) by shortening the drop, then the descent.
    for duration_factor in (1.0, 0.7, 0.5, 0.35):
        for drop_s in (0.14, 0.11):
            shape = _eccentric_with(rep, rng, drop_g, drop_s, duration_factor)
            try:
                _, _, scale = phase_knots(shape, -rep.rom_m)
            except ValueError:
                continue
            if abs(shape.bumps[0].area) * scale >= 0.04:
                return shape
    return _eccentric_with(rep, rng, 0.0, 0.14)


def _eccentric_with(
    rep: RepSpec, rng: np.random.Generator, drop_g: float, drop_s: float, duration_factor: float = 1.0
) -> PhaseShape:
    flaws = rep.flaws
    return eccentric_shape(
        rep.ecc_s * duration_factor,
        accel_fraction=rep.accel_fraction,
        brake_fraction=rep.brake_fraction,
        brake_peak_position=rep.brake_peak_position,
        late_braking="late_braking" in flaws or ("hard_bottom" in flaws and rep.ecc_s * duration_factor > 1.6),
        hard_stop="hard_bottom" in flaws,
        stalls=int("stall" in flaws),
        waver=2 * int("waver" in flaws) + rep.natural_waver,
        waver_depth=(0.15, 0.35) if "waver" in flaws else (0.08, 0.18),
        drop_g=drop_g,
        drop_s=drop_s,
        rng=rng,
    )


def _build_set(b: _Builder, index: int, spec: SetSpec, reps: list[RepSpec], constants: dict[str, float]) -> SetWindow:
    rng = b.rng
    profile = EXERCISE_PROFILES[spec.exercise]
    top_start = starts_at_top(spec.exercise, spec.protocol)
    rom = constants["rom_m"]
    ramp_on = (b.t, b.t + 0.8)
    b.hold(1.0)
    base_z = b.z
    walk = 0.0
    # --- setup -------------------------------------------------------------------------
    if spec.setup:
        if profile.floor:
            roll = float(rng.uniform(0.03, 0.06)) * float(rng.choice([-1, 1]))
            end = b.forward_move(b.t, roll, 0.8)
            b.spin_move(b.t, roll / PLATE_RADIUS_M, 0.8)
            b.t = end + 0.5
        elif profile.body and spec.protocol == "pullup_negative":
            b.hold(1.0)  # standing under the bar; the first jump belongs to the set
        elif profile.body:
            if spec.exercise == "dip":
                b.vertical_move(0.10, 0.6)
            else:
                b.vertical_move(-0.03, 0.5)
            b.swing_events.append((b.t, max(constants["swing_m"], 0.02)))
            b.hold(float(rng.uniform(1.0, 2.0)))
        else:
            b.vertical_move(float(rng.uniform(0.04, 0.07)), float(rng.uniform(0.6, 1.0)))
            if spec.walkout_m is not None:
                walk = spec.walkout_m
            else:
                walk = float(rng.uniform(0.15, 0.3)) if spec.exercise == "bench" else float(rng.uniform(0.3, 0.7))
            if spec.exercise == "bench":
                end = b.forward_move(b.t, walk, 1.0)
                b.t = end + 0.3
            else:
                b.walk(-walk)
            b.hold(float(rng.uniform(0.8, 1.6)))
    for _ in range(spec.spins):
        b.sleeve_spin()
    if spec.grip_adjust:
        b.grip_adjust()
    b.hold(float(rng.uniform(0.5, 1.2)))
    # --- reps --------------------------------------------------------------------------
    # z_top is where the reps start (top) or end the lift (bottom start).
    if spec.protocol == "pullup_negative":
        # Standing under the bar: the first jump is the set's first (unpaired) lift.
        z_top = b.z + rom + RELEASE_DROP_M
    elif top_start or profile.floor:
        z_top = b.z if top_start else b.z + rom
    else:
        z_top = b.z + rom
    first_move = b.t
    negative = spec.protocol in ("negative_only", "pullup_negative", "heavy_negatives")
    for i, rep in enumerate(reps):
        last = i == len(reps) - 1
        ecc = _eccentric(rep, rng)
        con = concentric_shape(rep.con_s, rep.peak_fraction, skew=profile.con_skew, sticking=profile.sticking)
        if spec.protocol in ("negative_only", "heavy_negatives"):
            con = concentric_shape(rep.con_s, 0.5)  # the partner's smooth lift
        if top_start:
            if spec.protocol == "pullup_negative" and i == 0:
                s, e = b.vertical_phase(concentric_shape(rep.con_s, 0.55), rep.rom_m + RELEASE_DROP_M)
                b.swing_events.append((e, max(constants["swing_m"], 0.01)))
                b.intended.append(IntendedPhase(index, -1, "concentric", s, e, rep.rom_m + RELEASE_DROP_M))
            # The hold at the top before this descent (the hand-off hold in negative protocols).
            hold = max(rep.pause_top_s, 1.0) if i == 0 else reps[i - 1].pause_top_s
            if rep.unsteady and negative:
                b.wobble(max(hold, 0.6))
            else:
                b.hold(hold)
            s, e = b.vertical_phase(ecc, -rep.rom_m)
            b.intended.append(IntendedPhase(index, i, "eccentric", s, e, rep.rom_m))
            if profile.body:
                b.swing_events.append((s, constants["swing_m"]))
            b.hold(rep.pause_bottom_s)
            if spec.protocol == "pullup_negative":
                b.vertical_move(-RELEASE_DROP_M, 0.22)
                b.ring(b.t, 0.3)
                b.hold(float(rng.uniform(1.2, 2.5)))
                if last:
                    break
                s, e = b.vertical_phase(concentric_shape(reps[i + 1].con_s, 0.55), reps[i + 1].rom_m + RELEASE_DROP_M)
                b.swing_events.append((e, max(constants["swing_m"], 0.01)))
                b.intended.append(IntendedPhase(index, i, "concentric", s, e, reps[i + 1].rom_m + RELEASE_DROP_M))
                # The next descent covers the next rep's range from this new top.
            else:
                s, e = b.vertical_phase(con, rep.rom_m)
                b.intended.append(IntendedPhase(index, i, "concentric", s, e, rep.rom_m))
        else:
            s, e = b.vertical_phase(con, rep.rom_m)
            b.intended.append(IntendedPhase(index, i, "concentric", s, e, rep.rom_m))
            if profile.body:
                b.swing_events.append((s, constants["swing_m"]))
            b.hold(rep.pause_top_s)
            s, e = b.vertical_phase(ecc, -rep.rom_m)
            b.intended.append(IntendedPhase(index, i, "eccentric", s, e, rep.rom_m))
            if profile.floor and spec.impacts:
                b.ring(e, 0.6 if "hard_bottom" in rep.flaws else 0.3)
            if not last:
                b.hold(rep.pause_bottom_s)
    last_move = b.t
    # --- end of the set ----------------------------------------------------------------
    b.hold(float(rng.uniform(0.5, 1.2)))
    if spec.setup:
        if profile.floor:
            pass
        elif profile.body:
            if spec.protocol != "pullup_negative":
                if spec.exercise == "dip":
                    b.vertical_move(-0.10, 0.6)
                else:
                    b.vertical_move(-RELEASE_DROP_M, 0.22)
                if spec.impacts:
                    b.ring(b.t, 0.3)
        else:
            if spec.exercise == "bench":
                end = b.forward_move(b.t, -walk, 1.0)
                b.t = end + 0.2
            else:
                b.walk(walk)
            b.vertical_move(base_z - b.z, 0.5)
            if spec.impacts:
                b.ring(b.t, 1.0)
    b.hold(1.0)
    ramp_off = (b.t - 0.8, b.t)
    return SetWindow(
        index=index,
        spec=spec,
        reps=reps,
        constants=constants,
        start_s=first_move,
        end_s=last_move,
        window=(ramp_on[0], ramp_on[1], ramp_off[0], ramp_off[1]),
        z_top=z_top,
        top_start=top_start,
        z_rest=base_z,
    )


def _swing_envelope(events: list[tuple[float, float]], end_s: float) -> tuple[np.ndarray, np.ndarray]:
    if not events:
        return np.zeros(0), np.zeros(0)
    step = 0.5
    grid = np.arange(0.0, end_s + step, step)
    excitation = np.zeros(grid.size)
    for t, amp in events:
        k = min(int(np.ceil(t / step)) + 1, grid.size - 1)
        excitation[k] = max(excitation[k], amp)
    # A swing decays with a time constant of ~4 s (a discrete exponential on a 0.5 s grid).
    decay = np.exp(-step / 4.0)
    from scipy.signal import lfilter

    envelope = lfilter([1.0], [1.0, -decay], excitation)
    envelope = np.maximum(envelope, 0.0)
    envelope[0] = 0.0
    return grid, envelope


def build_motion(
    sets: list[SetSpec],
    realised: list[tuple[list[RepSpec], dict[str, float]]],
    rest_s: list[float],
    rng: np.random.Generator,
    *,
    lead_in_s: float = 3.0,
    tail_s: float = 3.0,
) -> Motion:
    """Lay the sets out on one time axis and return the session's :class:`Motion`."""
    b = _Builder(rng)
    b.hold(lead_in_s)
    windows: list[SetWindow] = []
    for index, (spec, (reps, constants)) in enumerate(zip(sets, realised)):
        if index > 0:
            b.hold(rest_s[index - 1])
        windows.append(_build_set(b, index, spec, reps, constants))
    b.hold(tail_s)
    duration = b.t
    body = any(EXERCISE_PROFILES[s.exercise].body for s in sets)
    swing_knots = _swing_envelope(b.swing_events, duration) if body else (np.zeros(0), np.zeros(0))
    return Motion(
        vertical=b.vertical.track(duration),
        forward=b.forward.track(duration),
        spin=b.spin.track(duration),
        sets=windows,
        intended=b.intended,
        swing_knots=swing_knots,
        ringing=b.ringing,
        body=body,
        duration_s=duration,
        tilt0_rad=float(np.deg2rad(rng.uniform(-2.0, 2.0))),
        events=b.events,
    )
