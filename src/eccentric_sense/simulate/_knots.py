"""Exact piecewise kinematics from acceleration knots.

A :class:`KnotTrack` is one coordinate (a position in metres or an angle in
radians) whose acceleration is given at knots and interpolated between them
with the quintic smoothstep ``s(u) = 10u^3 - 15u^4 + 6u^5``.  Velocity and
position follow by *exact* integration (closed-form antiderivatives of ``s``),
so the simulated acceleration, velocity and position are consistent to
floating-point precision, and the acceleration is continuous with continuous
jerk (``s'`` vanishes at every knot).  Every motion of the simulator (reps,
walkouts, sleeve spins) is such a track.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["KnotTrack", "smoothstep", "smoothstep_integral", "smoothstep_integral2"]

#: Integral of the smoothstep over [0, 1].
S1_AT_1 = 0.5
#: Double integral of the smoothstep over [0, 1].
S2_AT_1 = 1.0 / 7.0


def smoothstep(u: np.ndarray) -> np.ndarray:
    """Quintic smoothstep ``10u^3 - 15u^4 + 6u^5`` (0 -> 1 with zero slope and curvature at both ends)."""
    return u * u * u * (10.0 + u * (-15.0 + 6.0 * u))


def smoothstep_integral(u: np.ndarray) -> np.ndarray:
    """``S1(u) = integral_0^u s = 2.5u^4 - 3u^5 + u^6``."""
    return u**4 * (2.5 + u * (-3.0 + u))


def smoothstep_integral2(u: np.ndarray) -> np.ndarray:
    """``S2(u) = integral_0^u S1 = u^5/2 - u^6/2 + u^7/7``."""
    return u**5 * (0.5 + u * (-0.5 + u / 7.0))


@dataclass(frozen=True)
class KnotTrack:
    """One coordinate driven by smoothstep-interpolated acceleration knots.

    Attributes
    ----------
    t
        Knot times, strictly increasing, shape ``(k,)``.
    a
        Acceleration at the knots, shape ``(k,)``.  Before the first knot and
        after the last the acceleration is held at the end values (normally 0).
    x0, v0
        Position and velocity at ``t[0]``.
    """

    t: np.ndarray
    a: np.ndarray
    x0: float = 0.0
    v0: float = 0.0

    def __post_init__(self) -> None:
        t = np.asarray(self.t, dtype=float)
        a = np.asarray(self.a, dtype=float)
        if t.ndim != 1 or t.shape != a.shape or t.size < 1:
            raise ValueError("knot times and accelerations must be 1-D arrays of equal, non-zero length")
        if np.any(np.diff(t) <= 0):
            raise ValueError("knot times must be strictly increasing")
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "a", a)
        # Exact velocity and position at every knot (cumulative closed forms).
        dt = np.diff(t)
        a0, a1 = a[:-1], a[1:]
        dv = dt * (a0 + (a1 - a0) * S1_AT_1)
        v_knots = self.v0 + np.concatenate(([0.0], np.cumsum(dv)))
        dx = v_knots[:-1] * dt + a0 * dt**2 / 2.0 + (a1 - a0) * dt**2 * S2_AT_1
        x_knots = self.x0 + np.concatenate(([0.0], np.cumsum(dx)))
        object.__setattr__(self, "_v_knots", v_knots)
        object.__setattr__(self, "_x_knots", x_knots)

    @property
    def end_velocity(self) -> float:
        """Velocity at the last knot."""
        return float(self._v_knots[-1])  # type: ignore[attr-defined]

    @property
    def end_position(self) -> float:
        """Position at the last knot."""
        return float(self._x_knots[-1])  # type: ignore[attr-defined]

    def evaluate(self, time_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Position, velocity and acceleration at ``time_s`` (vectorised, exact)."""
        time_s = np.asarray(time_s, dtype=float)
        t, a = self.t, self.a
        v_k: np.ndarray = self._v_knots  # type: ignore[attr-defined]
        x_k: np.ndarray = self._x_knots  # type: ignore[attr-defined]
        if t.size == 1:
            tau = time_s - t[0]
            return x_k[0] + v_k[0] * tau + a[0] * tau**2 / 2, v_k[0] + a[0] * tau, np.full_like(tau, a[0])
        piece = np.clip(np.searchsorted(t, time_s, side="right") - 1, 0, t.size - 2)
        start = t[piece]
        length = t[piece + 1] - start
        a0 = a[piece]
        da = a[piece + 1] - a0
        elapsed = time_s - start
        u = np.clip(elapsed / length, 0.0, 1.0)
        acc = a0 + da * smoothstep(u)
        vel = v_k[piece] + a0 * elapsed + da * length * smoothstep_integral(u)
        pos = x_k[piece] + v_k[piece] * elapsed + a0 * elapsed**2 / 2 + da * length**2 * smoothstep_integral2(u)
        # Beyond the last knot: constant acceleration (normally zero) continuation.
        after = elapsed > length
        if np.any(after):
            extra = elapsed[after] - length[after]
            a_end = a[piece[after] + 1]
            v_end = v_k[piece[after] + 1]
            x_end = x_k[piece[after] + 1]
            acc[after] = a_end
            vel[after] = v_end + a_end * extra
            pos[after] = x_end + v_end * extra + a_end * extra**2 / 2
        before = time_s < t[0]
        if np.any(before):
            back = time_s[before] - t[0]
            acc[before] = a[0]
            vel[before] = v_k[0] + a[0] * back
            pos[before] = x_k[0] + v_k[0] * back + a[0] * back**2 / 2
        return pos, vel, acc


def concatenate_knots(pieces: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Join knot lists that share end points (equal time, equal acceleration) into one."""
    times: list[np.ndarray] = []
    accs: list[np.ndarray] = []
    last_t = -np.inf
    for t, a in pieces:
        t = np.asarray(t, dtype=float)
        a = np.asarray(a, dtype=float)
        keep = t > last_t + 1e-12
        times.append(t[keep])
        accs.append(a[keep])
        if t.size:
            last_t = max(last_t, float(t[-1]))
    return np.concatenate(times), np.concatenate(accs)
