"""Vertical velocity and displacement with drift correction.

The difficulty this module exists for: during a slow (3-10 s) descent the
bar moves at almost constant speed, so the accelerometer reads exactly 1 g
and looks "still".  Zeroing the velocity wherever the signal is quiet (the
usual zero-velocity update) erases the descent.  We therefore separate two
questions:

1. *Is the acceleration zero here?*  Quiet periods answer yes, whether the bar
   rests or cruises.  They calibrate the slowly drifting accelerometer bias
   (:func:`estimate_bias_drift`), because a cruise has zero acceleration too.
2. *Is the velocity zero here?*  A quiet period is a rest only if its velocity
   level, after integrating through the bursts of motion around it, equals the
   level of the rests nearby.  A cruise sits at a clearly different level
   (0.03-0.2 m/s away).  The still level is found without assuming any single
   quiet period is a rest: over a long window the bar returns to where it was,
   so the window-average velocity *is* the rest level; it is then refined on
   the quiet pieces that agree with it.

Velocity is then corrected by a drift that is pinned to zero on the confirmed
rests and linear between them (the piecewise-linear dedrift of gaitmap, with
rests chosen as above).  Stretches with no rest in them (continuous sets)
are additionally constrained by position closure: the bar returns to the same
height at the top of every rep.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import integrate

from ._runs import mask_to_runs, moving_average, runs_to_mask

__all__ = ["DriftCorrectedIntegration", "estimate_bias_drift"]


def _cumtrapz(x: np.ndarray, fs: float) -> np.ndarray:
    return integrate.cumulative_trapezoid(x, dx=1.0 / fs, initial=0.0)


def estimate_bias_drift(
    acc: np.ndarray, quiet: np.ndarray, sample_rate_hz: float, *, window_s: float = 20.0
) -> np.ndarray:
    """Slowly varying accelerometer bias from the quiet samples.

    The bias at each time is the mean acceleration over the quiet samples in a
    ``window_s`` window around it (zero acceleration is true there, rest or
    cruise).  The long window averages out the tiny start/stop accelerations of
    very slow descents that may themselves fall under the quiet threshold.
    """
    if window_s <= 0 or not np.isfinite(window_s):
        overall = float(np.median(acc[quiet])) if quiet.any() else 0.0
        return np.full(acc.shape, overall)
    width = max(int(round(window_s * sample_rate_hz)), 1)
    q = quiet.astype(float)
    numerator = moving_average(acc * q, width)
    denominator = moving_average(q, width)
    overall = float(acc[quiet].mean()) if quiet.any() else 0.0
    enough = denominator * width >= 0.5 * sample_rate_hz
    bias = np.where(enough, numerator / np.maximum(denominator, 1e-12), np.nan)
    if not enough.any():
        return np.full(acc.shape, overall)
    idx = np.arange(acc.size)
    return np.interp(idx, idx[enough], bias[enough])


@dataclass
class DriftCorrectedIntegration:
    """Integrate vertical acceleration into drift-free velocity and displacement.

    Parameters
    ----------
    bias_window_s
        Window of the bias-drift estimate.
    level_window_s
        Window whose average velocity gives the first guess of the rest level.
    piece_s
        Quiet runs are judged in pieces of at most this length.
    still_tolerance_m_s
        A quiet piece is a rest when its velocity level is within this of the
        rest level (cruises of slow negatives sit at 0.03 m/s and faster).
    rest_margin_s
        The drift line of a rest is fitted without this much at either end.

    Attributes
    ----------
    velocity_ : (m,) m/s
    displacement_ : (m,) m
    still_ : (m,) bool, confirmed rests
    bias_ : (m,) residual bias that was removed, m/s^2
    """

    bias_window_s: float = 0.0
    level_window_s: float = 40.0
    piece_s: float = 0.5
    still_tolerance_m_s: float = 0.012
    rest_margin_s: float = 0.25

    def estimate(
        self,
        vertical_acc_mps2: np.ndarray,
        quiet: np.ndarray,
        sample_rate_hz: float,
        block: np.ndarray | None = None,
    ) -> "DriftCorrectedIntegration":
        fs = sample_rate_hz
        acc = np.asarray(vertical_acc_mps2, dtype=float)
        n = acc.size
        if block is None:
            block = np.zeros(n, dtype=np.intp)
        velocity = np.zeros(n)
        displacement = np.zeros(n)
        still = np.zeros(n, dtype=bool)
        bias = np.zeros(n)
        for number in np.unique(block[block >= 0]):  # one pass per gap-free block
            sel = np.flatnonzero(block == number)
            lo, hi = sel[0], sel[-1] + 1
            v, z, s, b = self._integrate_block(acc[lo:hi], quiet[lo:hi], fs)
            velocity[lo:hi], displacement[lo:hi], still[lo:hi], bias[lo:hi] = v, z, s, b
        self.velocity_ = velocity
        self.displacement_ = displacement
        self.still_ = still
        self.bias_ = bias
        return self

    # -------------------------------------------------------------------------
    def _integrate_block(
        self, acc: np.ndarray, quiet: np.ndarray, fs: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n = acc.size
        bias = estimate_bias_drift(acc, quiet, fs, window_s=self.bias_window_s)
        raw_velocity = _cumtrapz(acc - bias, fs)
        pieces = self._quiet_pieces(quiet, fs)
        if pieces.shape[0] == 0:
            # Nothing is known to be at rest: the best remaining assumption is that
            # the bar ends where it started, i.e. zero mean velocity.
            drift = moving_average(raw_velocity, int(self.level_window_s * fs))
            velocity = raw_velocity - drift
            return velocity, _cumtrapz(velocity, fs), np.zeros(n, dtype=bool), bias

        csum = np.concatenate([[0.0], np.cumsum(raw_velocity)])
        levels = (csum[pieces[:, 1]] - csum[pieces[:, 0]]) / (pieces[:, 1] - pieces[:, 0])
        centres = 0.5 * (pieces[:, 0] + pieces[:, 1] - 1)
        # How much the velocity changes inside a piece: a rest (and a cruise) is flat,
        # the slow start or end of a descent is not.
        change = np.abs(raw_velocity[pieces[:, 1] - 1] - raw_velocity[pieces[:, 0]])

        # First guess of the rest level: the long-window mean velocity (the bar
        # returns to where it was, so its mean velocity over a long window is zero).
        window = int(self.level_window_s * fs)
        guess = moving_average(raw_velocity, window)[centres.astype(np.intp)]
        tolerance = self.still_tolerance_m_s
        flat = change < tolerance
        is_rest = flat & (np.abs(levels - guess) < 2.5 * tolerance)
        # Refine on the pieces that agree, with a tolerance that adapts to how
        # consistent the rests of this recording are.
        for _ in range(3):
            if not is_rest.any():
                break
            rest_level = self._rest_level_curve(centres, levels, is_rest)
            spread = 1.4826 * float(np.median(np.abs(levels[is_rest] - rest_level[is_rest])))
            tolerance = float(np.clip(5.0 * spread, 0.25 * self.still_tolerance_m_s, self.still_tolerance_m_s))
            is_rest = (np.abs(levels - rest_level) < tolerance) & (change < max(tolerance, 0.5 * self.still_tolerance_m_s))

        if not is_rest.any():
            drift = moving_average(raw_velocity, window)
            velocity = raw_velocity - drift
            return velocity, _cumtrapz(velocity, fs), np.zeros(n, dtype=bool), bias

        still = runs_to_mask(pieces[is_rest], n)
        drift = self._drift_through_rests(raw_velocity, still, fs)
        velocity = raw_velocity - drift
        return velocity, _cumtrapz(velocity, fs), still, bias

    def _drift_through_rests(self, raw_velocity: np.ndarray, still: np.ndarray, fs: float) -> np.ndarray:
        """Drift model: a straight line through each rest, linear between rests.

        The line is fitted to the rest's core (its ends may hold the first
        millimetres per second of a slow start, which must survive), so the
        velocity inside a rest is not forced to zero sample by sample.
        """
        n = raw_velocity.size
        runs = mask_to_runs(still)
        margin = int(round(self.rest_margin_s * fs))
        knots_t: list[float] = []
        knots_v: list[float] = []
        for start, end in runs:  # per rest, not per sample
            core_start, core_end = start, end
            if end - start > 2 * margin + max(int(0.3 * fs), 2):
                core_start, core_end = start + margin, end - margin
            t = np.arange(core_start, core_end, dtype=float)
            v = raw_velocity[core_start:core_end]
            if t.size >= 2:
                slope, intercept = np.polyfit(t - t.mean(), v, 1)
            else:
                slope, intercept = 0.0, float(v.mean())
            centre = t.mean()
            knots_t += [float(start), float(end - 1)]
            knots_v += [intercept + slope * (start - centre), intercept + slope * (end - 1 - centre)]
        return np.interp(np.arange(n, dtype=float), np.asarray(knots_t), np.asarray(knots_v))

    def _quiet_pieces(self, quiet: np.ndarray, fs: float) -> np.ndarray:
        runs = mask_to_runs(quiet)
        piece = max(int(round(self.piece_s * fs)), 1)
        starts: list[np.ndarray] = []
        for start, end in runs:  # per run, not per sample
            starts.append(np.arange(start, end, piece))
        if not starts:
            return np.empty((0, 2), dtype=np.intp)
        run_of_piece = np.concatenate([np.full(len(s), k) for k, s in enumerate(starts)])
        begin = np.concatenate(starts)
        end = np.minimum(begin + piece, runs[run_of_piece, 1])
        # Drop ragged tails shorter than a third of a piece (too noisy to judge).
        keep = (end - begin) >= max(piece // 3, 1)
        return np.column_stack([begin[keep], end[keep]]).astype(np.intp)

    @staticmethod
    def _rest_level_curve(centres: np.ndarray, levels: np.ndarray, is_rest: np.ndarray) -> np.ndarray:
        """Rest level at every piece: interpolated between agreeing pieces (median of 3 neighbours)."""
        rest_c = centres[is_rest]
        rest_l = levels[is_rest]
        if rest_l.size >= 3:
            padded = np.concatenate([[rest_l[0]], rest_l, [rest_l[-1]]])
            rest_l = np.median(np.lib.stride_tricks.sliding_window_view(padded, 3), axis=1)
        return np.interp(centres, rest_c, rest_l)
