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

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from scipy import ndimage, signal

from ..constants import FAST_END_FRACTION
from ._runs import (
    block_spans,
    interior_runs,
    mask_to_runs,
    moving_average,
    run_members,
    running_sum,
    running_sum_within,
    runs_to_mask,
    split_runs,
    split_spans,
)

__all__ = ["DriftCorrectedIntegration", "estimate_bias_drift"]


def _cumtrapz(x: np.ndarray, fs: float) -> np.ndarray:
    """``scipy.integrate.cumulative_trapezoid(x, dx=1/fs, axis=0, initial=0)``, summed into its output.

    The same operations in the same order as scipy's, so the same values;
    scipy concatenates the leading zero (a copy of the whole result), which
    an analysis pays for about ten times per hour of data.
    """
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    if x.shape[0] == 0:
        return out
    out[0] = 0.0
    np.cumsum((1.0 / fs) * (x[1:] + x[:-1]) / 2.0, axis=0, out=out[1:])
    return out


@lru_cache(maxsize=2)
def _time_sums(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sample index ``t`` of an ``n``-sample grid and the running sums of 1, t and t^2 (leading zero).

    They depend only on the length, while the line fits that use them run
    several times on the same block (every re-integration, and the three
    closure regressors): computed once per length instead of three
    full-length cumulative sums per fit.  The arrays are read-only.
    """
    t = np.arange(n, dtype=float)
    c1 = running_sum(np.ones(n))
    ct = running_sum(t)
    ctt = running_sum(t * t)
    for array in (t, c1, ct, ctt):  # shared between calls
        array.flags.writeable = False
    return t, c1, ct, ctt


def local_linear_trend(x: np.ndarray, width: int) -> np.ndarray:
    """Value at each sample of a straight line fitted to ``x`` over a window around it.

    In the middle of a long record this is the moving average; near the ends
    (where the window is cut short) and in records shorter than the window it
    follows a linear trend instead of flattening it, which is what a constant
    accelerometer bias produces in integrated velocity.
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    half = max(int(width) // 2, 1)
    t, c1, ct, ctt = _time_sums(n)
    cx = running_sum(x)
    ctx = running_sum(t * x)
    lo = np.clip(np.arange(n) - half, 0, n)
    hi = np.clip(np.arange(n) + half + 1, 0, n)
    # Keep the window full length where the record allows (shift it inwards at the ends).
    full = min(2 * half + 1, n)
    lo = np.where(hi - lo < full, np.where(lo == 0, 0, n - full), lo)
    hi = lo + np.where(hi - lo < full, full, hi - lo)
    s1 = c1[hi] - c1[lo]
    st = ct[hi] - ct[lo]
    stt = ctt[hi] - ctt[lo]
    sx = cx[hi] - cx[lo]
    stx = ctx[hi] - ctx[lo]
    denom = s1 * stt - st * st
    slope = np.divide(s1 * stx - st * sx, denom, out=np.zeros(n), where=np.abs(denom) > 1e-12)
    intercept = (sx - slope * st) / s1
    return intercept + slope * t


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


class _PreparedBlock(NamedTuple):
    """One block's integration up to the known rests and motion (see ``DriftCorrectedIntegration.reestimate``)."""

    bias: np.ndarray
    raw_velocity: np.ndarray
    pieces: np.ndarray
    levels: np.ndarray | None = None
    change: np.ndarray | None = None
    flat: np.ndarray | None = None
    anchors: np.ndarray | None = None
    starts_at_rest: bool = True  # False after lost data: the block may begin in motion


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
    outlier_tolerance_m_s, outlier_span_s
        Rests of one quiet run whose levels differ by more than
        ``outlier_tolerance_m_s`` cannot all be rests; the one furthest from
        the line between the rests of the quiet runs around it (if those lie
        within ``outlier_span_s``) is dropped (see ``_drop_level_outliers``).
    braked_burst_s, braked_max_m_s, braked_peak_m_s
        Two quiet runs at most ``braked_burst_s`` apart whose levels differ
        by more than the rests' tolerance but less than ``braked_max_m_s``,
        across a burst that strays no more than ``braked_peak_m_s`` from the
        line between them, are a descent's cruise and the rest it braked to
        (see ``_drop_braked_cruises``).
    rest_margin_s
        The drift line of a rest is fitted without this much at either end.
    rest_chunk_s
        Long rests get a drift line per chunk of about this length.
    long_rest_s, set_motion_s
        A quiet run is certainly a rest when it lasts ``long_rest_s``, or
        when it lasts 1 s and borders ``set_motion_s`` of continuous motion
        or the start or end of the data.

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
    outlier_tolerance_m_s: float = 0.018
    outlier_span_s: float = 12.0
    braked_burst_s: float = 1.5
    braked_max_m_s: float = 0.12
    braked_peak_m_s: float = 0.1
    rest_margin_s: float = 0.25
    rest_chunk_s: float = 2.0
    long_rest_s: float = 15.0
    set_motion_s: float = 6.0

    def estimate(
        self,
        vertical_acc_mps2: np.ndarray,
        quiet: np.ndarray,
        sample_rate_hz: float,
        block: np.ndarray | None = None,
        known_rest: np.ndarray | None = None,
        known_motion: np.ndarray | None = None,
        lost: np.ndarray | None = None,
    ) -> "DriftCorrectedIntegration":
        """Integrate.

        ``known_rest`` optionally marks samples known to be at rest from
        outside (e.g. the quiet pause between a lift and the next descent,
        a reversal): quiet pieces inside it are treated as sure rests.
        ``known_motion`` marks samples that cannot be rests (the bar must be
        travelling there): quiet pieces touching it are never rests.
        ``lost`` marks the samples of data gaps (no data arrived), as opposed
        to impacts and spins cut out: a block that ends at a data gap may
        end in the middle of a descent, so a quiet run there is not a rest
        for being at the edge.
        """
        fs = sample_rate_hz
        acc = np.asarray(vertical_acc_mps2, dtype=float)
        n = acc.size
        if block is None:
            block = np.zeros(n, dtype=np.intp)
        if lost is None:
            lost = np.zeros(n, dtype=bool)
        self._prepared = [
            (lo, hi, self._prepare_block(
                acc[lo:hi], quiet[lo:hi], fs,
                rest_at_start=not (lo > 0 and lost[lo - 1]), rest_at_end=not (hi < n and lost[hi]),
            ))
            for lo, hi in block_spans(block)
        ]  # one per gap-free block
        self._sample_rate_hz, self._n = fs, n
        return self._finish(known_rest, known_motion)

    def reestimate(
        self, known_rest: np.ndarray | None = None, known_motion: np.ndarray | None = None
    ) -> "DriftCorrectedIntegration":
        """Integrate the signal of the last :meth:`estimate` again, under other constraints.

        A new estimator with the same settings, as if ``estimate`` had been
        called with the same acceleration, quiet mask and blocks and these
        ``known_rest`` / ``known_motion``.  The work that does not depend on
        them (the raw integral, the quiet pieces and their levels, the sure
        rests) is shared, not redone: the rep-aware stage re-integrates the
        same acceleration under new rests two or three times per analysis.
        """
        if not hasattr(self, "_prepared"):
            raise RuntimeError("reestimate() needs a previous estimate() of this estimator")
        other = replace(self)
        other._prepared, other._sample_rate_hz, other._n = self._prepared, self._sample_rate_hz, self._n
        return other._finish(known_rest, known_motion)

    def _finish(self, known_rest: np.ndarray | None, known_motion: np.ndarray | None) -> "DriftCorrectedIntegration":
        n, fs = self._n, self._sample_rate_hz
        if known_rest is None:
            known_rest = np.zeros(n, dtype=bool)
        if known_motion is None:
            known_motion = np.zeros(n, dtype=bool)
        velocity = np.zeros(n)
        displacement = np.zeros(n)
        still = np.zeros(n, dtype=bool)
        bias = np.zeros(n)
        for lo, hi, prepared in self._prepared:  # one pass per gap-free block
            v, z, s, b = self._integrate_block(prepared, fs, known_rest[lo:hi], known_motion[lo:hi])
            velocity[lo:hi], displacement[lo:hi], still[lo:hi], bias[lo:hi] = v, z, s, b
        self.velocity_ = velocity
        self.displacement_ = displacement
        self.still_ = still
        self.bias_ = bias
        return self

    # -------------------------------------------------------------------------
    def _prepare_block(
        self, acc: np.ndarray, quiet: np.ndarray, fs: float, *, rest_at_start: bool = True, rest_at_end: bool = True
    ) -> _PreparedBlock:
        """The part of a block's integration that does not depend on known rests or motion."""
        bias = estimate_bias_drift(acc, quiet, fs, window_s=self.bias_window_s)
        raw_velocity = _cumtrapz(acc - bias, fs)
        pieces = self._quiet_pieces(quiet, fs)
        if pieces.shape[0] == 0:
            return _PreparedBlock(bias, raw_velocity, pieces)
        csum = running_sum(raw_velocity)
        levels = (csum[pieces[:, 1]] - csum[pieces[:, 0]]) / (pieces[:, 1] - pieces[:, 0])
        # How much the velocity changes inside a piece: a rest (and a cruise) is flat,
        # the slow start or end of a descent is not.
        change = np.abs(raw_velocity[pieces[:, 1] - 1] - raw_velocity[pieces[:, 0]])
        flat = change < self.still_tolerance_m_s
        anchors = self._anchor_pieces(quiet, pieces, levels, flat, fs, rest_at_start=rest_at_start, rest_at_end=rest_at_end)
        return _PreparedBlock(bias, raw_velocity, pieces, levels, change, flat, anchors, rest_at_start)

    def _integrate_block(
        self,
        prepared: _PreparedBlock,
        fs: float,
        known_rest: np.ndarray | None = None,
        known_motion: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        bias, raw_velocity, pieces = prepared.bias, prepared.raw_velocity, prepared.pieces
        n = raw_velocity.size
        window = int(self.level_window_s * fs)
        if pieces.shape[0] == 0:
            # Nothing is known to be at rest: the best remaining assumption is that
            # the bar ends where it started, i.e. zero mean velocity.
            drift = moving_average(raw_velocity, window)
            velocity = raw_velocity - drift
            return velocity, _cumtrapz(velocity, fs), np.zeros(n, dtype=bool), bias

        levels, change, flat = prepared.levels, prepared.change, prepared.flat
        centres = 0.5 * (pieces[:, 0] + pieces[:, 1] - 1)
        tolerance = self.still_tolerance_m_s
        anchors = prepared.anchors.copy()  # shared with re-estimates: never changed in place
        if known_rest is not None and known_rest.any():
            inside = running_sum(known_rest)
            anchors |= (inside[pieces[:, 1]] - inside[pieces[:, 0]]) == (pieces[:, 1] - pieces[:, 0])
        # First guess of the rest level: rests we are sure of (the stillness
        # before and after a set, long rests) pin it, and pieces in between are
        # judged against them; without any, the long-window mean velocity (the
        # bar returns to where it was, so its mean over a long window is zero).
        if anchors.any():
            guess = self._rest_level_curve(centres, levels, anchors)
            if not prepared.starts_at_rest:
                # A block that begins after lost data (in a walkout, say) may
                # have no sure rest until its end.  Held flat back from there,
                # the level missed the slope an offset gives it: 0.01 m/s^2
                # put a set's rests 0.5 m/s off, none was accepted, and its
                # first lift read as a 1.8 m descent.  Before the first sure
                # rest the guess follows the long-window trend's slope.  Only
                # there: in every block, the robustness suite's continuous
                # sets read worse (after the last sure rest too, one lost its
                # first descent).
                trend = local_linear_trend(raw_velocity, window)[centres.astype(np.intp)]
                first = np.flatnonzero(anchors)[0]
                guess = np.where(centres < centres[first], guess + trend - trend[first], guess)
        else:
            guess = local_linear_trend(raw_velocity, window)[centres.astype(np.intp)]
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
        is_rest = self._drop_level_outliers(pieces, centres, levels, flat, is_rest, fs)
        # Sure rests stay rests even when their level disagrees with the
        # others (a bias exposed by rotation shifts the level between rests),
        # but only the data's own (its ends, long stillness) stand against
        # the braking test.  Known rests handed in from outside do not: a
        # catch the norm method over-reads makes a dropped negative's burst
        # look like one from rest to rest (turn_rests), and the cruise after
        # it like the rest.
        is_rest = self._drop_braked_cruises(
            pieces, levels, flat, is_rest | anchors, prepared.anchors, raw_velocity, fs
        )
        if known_motion is not None and known_motion.any():
            moving = running_sum(known_motion)
            is_rest &= (moving[pieces[:, 1]] - moving[pieces[:, 0]]) == 0

        if not is_rest.any():
            drift = moving_average(raw_velocity, window)
            velocity = raw_velocity - drift
            return velocity, _cumtrapz(velocity, fs), np.zeros(n, dtype=bool), bias

        # Kept for diagnostics and plots of the last block analysed.
        self.pieces_, self.piece_levels_, self.piece_is_rest_ = pieces, levels, is_rest
        self.piece_is_anchor_, self.piece_is_flat_ = anchors, flat
        still = runs_to_mask(pieces[is_rest], n)
        drift = self._drift_through_rests(raw_velocity, still, fs)
        velocity = raw_velocity - drift
        return velocity, _cumtrapz(velocity, fs), still, bias

    def _drift_through_rests(self, raw_velocity: np.ndarray, still: np.ndarray, fs: float) -> np.ndarray:
        """Drift model: straight lines through each rest, linear between rests.

        The lines are fitted to the rest's core (its ends may hold the first
        millimetres per second of a slow start, which must survive), so the
        velocity inside a rest is not forced to zero sample by sample.  Long
        rests are cut into chunks of about ``rest_chunk_s`` with a line each:
        over a minute between sets the bias wanders, and one straight line
        would leave centimetres per second of drift in the middle.
        """
        n = raw_velocity.size
        runs = mask_to_runs(still)
        if runs.shape[0] == 0:
            return np.zeros(n)
        margin = int(round(self.rest_margin_s * fs))
        long_enough = (runs[:, 1] - runs[:, 0]) > 2 * margin + max(int(0.3 * fs), 2)
        core = runs + np.where(long_enough, margin, 0)[:, None] * np.array([1, -1])
        chunk = max(int(round(self.rest_chunk_s * fs)), 2)
        # The cores are non-empty (only runs longer than both margins shrink)
        # and apart, so they are cut into chunks directly, without a mask.
        pieces = split_spans(core, chunk, 1)
        # Line fit of every chunk from cumulative sums (vectorised least squares).
        t, c1, ct, ctt = _time_sums(n)
        cv = running_sum(raw_velocity)
        ctv = running_sum(t * raw_velocity)
        lo, hi = pieces[:, 0], pieces[:, 1]
        s1, st, stt = c1[hi] - c1[lo], ct[hi] - ct[lo], ctt[hi] - ctt[lo]
        sv, stv = cv[hi] - cv[lo], ctv[hi] - ctv[lo]
        denom = s1 * stt - st * st
        slope = np.divide(s1 * stv - st * sv, denom, out=np.zeros(len(pieces)), where=np.abs(denom) > 1e-9)
        intercept = (sv - slope * st) / s1
        # Each chunk spans its samples; the chunks at a rest's ends reach out
        # to the whole rest (the margins), extrapolating their line.
        run_of_piece = np.searchsorted(runs[:, 0], lo, side="right") - 1
        first = np.concatenate([[True], run_of_piece[1:] != run_of_piece[:-1]])
        last = np.concatenate([run_of_piece[1:] != run_of_piece[:-1], [True]])
        left = np.where(first, runs[run_of_piece, 0], lo).astype(float)
        right = np.where(last, runs[run_of_piece, 1] - 1, hi - 1).astype(float)
        knots_t = np.column_stack([left, right]).ravel()
        knots_v = np.column_stack([intercept + slope * left, intercept + slope * right]).ravel()
        return np.interp(t, knots_t, knots_v)

    def _anchor_pieces(
        self,
        quiet: np.ndarray,
        pieces: np.ndarray,
        levels: np.ndarray,
        flat: np.ndarray,
        fs: float,
        *,
        rest_at_start: bool = True,
        rest_at_end: bool = True,
    ) -> np.ndarray:
        """Pieces of quiet runs that are rests beyond reasonable doubt.

        A cruise (slow descent) lasts at most ~10 s and is bracketed by short
        bursts (speeding up, braking).  So the part of a quiet run that touches
        the start or end of the data, or a long stretch of motion (a whole
        set, >= ``set_motion_s``), is a rest; so is a run of ``long_rest_s`` or
        more.  Only the pieces contiguous with that side and at its level
        count: the same quiet run may continue into the cruise of a slow
        descent that follows the rest.
        """
        runs = mask_to_runs(quiet)
        anchors = np.zeros(len(pieces), dtype=bool)
        if runs.shape[0] == 0 or len(pieces) == 0:
            return anchors
        n = quiet.size
        run_of_piece = np.searchsorted(runs[:, 0], pieces[:, 0], side="right") - 1
        # Measured start to start (end to end): a set is a run of motion with
        # short quiet pauses in it, so the time since the previous quiet run
        # began is the better "a set happened before this" test.  (Measuring
        # only the motion between runs was tried: worse on the benchmarks.)
        motion_before = np.diff(np.concatenate([[0], runs[:, 0]])) / fs
        motion_after = np.diff(np.concatenate([runs[:, 1], [n]])) / fs
        # The start or end of the data, an impact or a spin: the bar is still
        # there.  Not the edge of a data gap (``rest_at_start/end`` False).
        at_start = (runs[:, 0] < 0.5 * fs) & rest_at_start
        at_end = (runs[:, 1] > n - 0.5 * fs) & rest_at_end
        tolerance = self.still_tolerance_m_s
        window = 8
        # Centres relative to the first piece, in pieces' units, keep the running sums well conditioned.
        centre_list = ((0.5 * (pieces[:, 0] + pieces[:, 1]) - pieces[0, 0]) / max(float(pieces[0, 1] - pieces[0, 0]), 1.0)).tolist()
        level_list = levels.tolist()
        flat_list = flat.tolist()
        # Pieces are in run order: those of run k are bounds[k]:bounds[k + 1].
        bounds = np.searchsorted(run_of_piece, np.arange(len(runs) + 1))
        # Python lists for the loop over runs (NumPy scalars are slow one at a time).
        per_run = zip(
            runs.tolist(), bounds[:-1].tolist(), bounds[1:].tolist(), at_start.tolist(), at_end.tolist(),
            motion_before.tolist(), motion_after.tolist(),
        )
        for number, ((start, end), first, stop, starts_data, ends_data, before, after) in enumerate(per_run):  # per quiet run
            # A block starts after a gap, an impact or a spin; the bar is
            # usually set down there, so a shorter quiet run at a block's
            # edge already counts.
            at_edge = starts_data or ends_data
            if stop == first or (end - start) < (0.4 if at_edge else 1.0) * fs:
                continue
            members = np.arange(first, stop)
            sides = []
            if starts_data or (
                before >= self.set_motion_s and not self._level_jump(number, -1, runs, bounds, levels, fs)
            ):
                sides.append(members)  # from the run's start forwards
            if ends_data or (
                after >= self.set_motion_s and not self._level_jump(number, +1, runs, bounds, levels, fs)
            ):
                sides.append(members[::-1])  # from its end backwards
            if (end - start) >= self.long_rest_s * fs:
                # From the middle outwards, both ways (contiguous walks), of
                # every long stretch of flat pieces: a quiet run may hold a
                # rest and the cruise of a slow descent, with the (quiet but
                # not flat) start of the descent between them.
                flat_runs = mask_to_runs(flat[members])
                for lo, hi in flat_runs:  # per flat stretch of the run
                    stretch = members[lo:hi]
                    if pieces[stretch[-1], 1] - pieces[stretch[0], 0] < self.long_rest_s * fs:
                        continue
                    middle = stretch.size // 2
                    sides += [stretch[middle:], stretch[: middle + 1][::-1]]
            for ordered in sides:
                # Walk away from the sure side while each piece continues the
                # straight line of the accepted ones (a residual bias tilts a
                # rest's velocity level linearly; the start of a slow descent
                # bends away from that line).  The line is the local one of the
                # last ``window`` pieces: the bias wanders over a long rest, a
                # slow start bends at once.  Running sums keep it O(1) a piece.
                accepted: list[tuple[float, float]] = []
                s_t = s_v = s_tt = s_tv = 0.0
                for piece in ordered.tolist():  # pieces of one run
                    centre, level = centre_list[piece], level_list[piece]
                    k = len(accepted)
                    if k >= 3:
                        count = k if k < window else window
                        mean_t, mean_v = s_t / count, s_v / count
                        var_t = s_tt / count - mean_t * mean_t
                        slope = (s_tv / count - mean_t * mean_v) / var_t if var_t > 1e-12 else 0.0
                        predicted = mean_v + slope * (centre - mean_t)
                    elif k:
                        predicted = accepted[-1][1]
                    else:
                        predicted = level
                    if not flat_list[piece] or abs(level - predicted) >= tolerance:
                        break
                    anchors[piece] = True
                    accepted.append((centre, level))
                    s_t += centre
                    s_v += level
                    s_tt += centre * centre
                    s_tv += centre * level
                    if len(accepted) > window:
                        old_t, old_v = accepted[-window - 1]
                        s_t -= old_t
                        s_v -= old_v
                        s_tt -= old_t * old_t
                        s_tv -= old_t * old_v
        return anchors

    def _level_jump(
        self, number: int, side: int, runs: np.ndarray, bounds: np.ndarray, levels: np.ndarray, fs: float
    ) -> bool:
        """Whether the velocity level changes across the motion next to quiet run ``number``.

        Across a rep (rest to rest) the level changes only by the residual
        bias times the motion's duration (about 0.01 m/s per second); from a
        rest into the cruise of a descent it jumps by the cruise speed in a
        fraction of a second.  A run reached by such a jump is no sure rest.
        ``bounds[k]:bounds[k + 1]`` are the pieces of run ``k``.
        """
        other = number + side
        if other < 0 or other >= len(runs):
            return False
        here_first, here_last = bounds[number], bounds[number + 1] - 1
        there_first, there_last = bounds[other], bounds[other + 1] - 1
        if here_last < here_first or there_last < there_first:
            return False
        if side < 0:
            jump = levels[here_first] - levels[there_last]
            motion_s = (runs[number, 0] - runs[other, 1]) / fs
        else:
            jump = levels[there_first] - levels[here_last]
            motion_s = (runs[other, 0] - runs[number, 1]) / fs
        return bool(abs(jump) > self._jump_limit(motion_s))

    def _jump_limit(self, motion_s: float | np.ndarray) -> float | np.ndarray:
        """The most two rests' levels may differ across ``motion_s`` of motion between them, m/s.

        Two rests' tolerance plus what a residual bias adds over the motion
        (about 0.01 m/s per second).
        """
        return 2 * self.still_tolerance_m_s + 0.01 * motion_s

    @staticmethod
    def _piece_runs(pieces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Whether each piece touches the next, ``(k - 1,)``, and the quiet run of each piece, ``(k,)``."""
        touching = pieces[1:, 0] == pieces[:-1, 1]
        return touching, np.concatenate([[0], np.cumsum(~touching)])

    def _drop_level_outliers(
        self, pieces: np.ndarray, centres: np.ndarray, levels: np.ndarray, flat: np.ndarray, is_rest: np.ndarray,
        fs: float, *, rounds: int = 4,
    ) -> np.ndarray:
        """Rests of a quiet run that glides from one level to another, judged by the rests around it.

        A bar at rest cannot glide quietly to a rest at another speed: when
        one quiet run holds accepted stretches (contiguous flat pieces) whose
        levels differ by more than ``outlier_tolerance_m_s``, one of them is
        moving, typically the cruise of a slow descent whose gentle start
        stayed quiet, accepted at first within the loose first tolerance and
        then confirming itself (the rest level curve bends through it).  Of
        such stretches, the one furthest from the straight line between the
        rests of the neighbouring quiet runs is dropped, one per run and
        round, while it lies further than the tolerance from that line.
        Across a burst (a lift) the level may step by the burst's own error,
        so stretches alone in their run are never judged; nor are those
        without rests of other runs on both sides within ``outlier_span_s``
        (over longer spans the bias wanders, and the cruises of 10 s
        negatives, lost and restored later from position closure, would be
        half-read instead: tried, the development draws' range of motion
        got worse).
        """
        if pieces.shape[0] < 3:
            return is_rest
        touching, run = self._piece_runs(pieces)
        stretch = np.concatenate([[0], np.cumsum(~(touching & flat[1:] & flat[:-1]))])
        limit = self.outlier_tolerance_m_s
        is_rest = is_rest.copy()
        for _ in range(rounds):  # a few rounds, each over all stretches at once
            rest = np.flatnonzero(is_rest)
            groups, start = np.unique(stretch[rest], return_index=True)
            if groups.size < 3:
                break
            group = np.searchsorted(groups, stretch[rest])
            count = np.bincount(group)
            level = np.bincount(group, levels[rest]) / count
            centre = np.bincount(group, centres[rest]) / count
            first = rest[start]
            last = rest[np.append(start[1:] - 1, rest.size - 1)]
            group_run = run[first]
            highest = np.full(run[-1] + 1, -np.inf)
            lowest = np.full(run[-1] + 1, np.inf)
            np.maximum.at(highest, group_run, level)
            np.minimum.at(lowest, group_run, level)
            suspect = np.maximum(highest[group_run] - level, level - lowest[group_run]) > limit
            # The nearest accepted pieces of other quiet runs on either side,
            # close enough for a straight line between them to hold.
            before = np.searchsorted(group_run, group_run, side="left") - 1
            after = np.searchsorted(group_run, group_run, side="right")
            suspect &= (before >= 0) & (after < groups.size)
            b = last[np.maximum(before, 0)]
            a = first[np.minimum(after, groups.size - 1)]
            suspect &= (centres[a] - centres[b]) <= self.outlier_span_s * fs
            if not suspect.any():
                break
            b, a = b[suspect], a[suspect]
            share = (centre[suspect] - centres[b]) / (centres[a] - centres[b])
            residual = np.zeros(groups.size)
            residual[suspect] = np.abs(level[suspect] - (levels[b] + share * (levels[a] - levels[b])))
            worst_of_run = np.zeros(run[-1] + 1)
            np.maximum.at(worst_of_run, group_run, residual)
            drop = (residual > limit) & (residual >= worst_of_run[group_run])
            if not drop.any():
                break
            is_rest[rest[drop[group]]] = False
        return is_rest

    def _drop_braked_cruises(
        self, pieces: np.ndarray, levels: np.ndarray, flat: np.ndarray, is_rest: np.ndarray, anchors: np.ndarray,
        raw_velocity: np.ndarray, fs: float,
    ) -> np.ndarray:
        """Rests without the cruises that a short, gentle burst of upward speed change ends.

        Two rests cannot lie either side of a burst that changes the speed
        without moving the bar (no lift, no drop between them): the burst's
        few cm/s would have to be a bias of 0.05 m/s^2 or more.  When the
        later run sits higher, the earlier one is the constant-speed end of
        a descent (a negative's cruise after a drop was caught, a tempo
        descent) and the burst its braking: the bar does not drift up
        quietly from a rest at a steady few cm/s.  Such a run's pieces at its
        level stop being rests, unless they are sure rests (``anchors``).
        The mirror case (a rest, a push down, a cruise read as a rest) is
        left alone: judged the same way it measured worse on the
        development draws, since the cruise then loses the anchor the rest
        of the descent was read from.
        """
        if pieces.shape[0] < 2 or not is_rest.any():
            return is_rest
        touching, run = self._piece_runs(pieces)
        left = np.flatnonzero(~touching)  # the last piece of a run; the next piece opens the next run
        right = left + 1
        gap_s = (pieces[right, 0] - pieces[left, 1]) / fs
        jump = levels[right] - levels[left]
        braked = (
            (gap_s <= self.braked_burst_s) & flat[left] & flat[right] & (is_rest[left] | is_rest[right])
            & (jump > self._jump_limit(gap_s)) & (jump < self.braked_max_m_s) & ~anchors[left]
        )
        out = is_rest.copy()
        for k in np.flatnonzero(braked):  # per candidate burst (a few per recording)
            a, b = int(pieces[left[k], 1]), int(pieces[right[k], 0])
            line = np.linspace(levels[left[k]], levels[right[k]], b - a)
            if b > a and np.max(np.abs(raw_velocity[a:b] - line)) > self.braked_peak_m_s:
                continue  # a lift or a drop between them, not a mere change of speed
            cruise = (run == run[left[k]]) & (np.abs(levels - levels[left[k]]) < 0.5 * jump[k]) & ~anchors
            out[cruise] = False
        return out

    def _quiet_pieces(self, quiet: np.ndarray, fs: float) -> np.ndarray:
        piece = max(int(round(self.piece_s * fs)), 1)
        # Ragged tails shorter than a third of a piece are too noisy to judge.
        return split_runs(quiet, piece, max(piece // 3, 1))

    @staticmethod
    def _rest_level_curve(centres: np.ndarray, levels: np.ndarray, is_rest: np.ndarray) -> np.ndarray:
        """Rest level at every piece: interpolated between agreeing pieces (median of 3 neighbours)."""
        rest_c = centres[is_rest]
        rest_l = levels[is_rest]
        if rest_l.size >= 3:
            padded = np.concatenate([[rest_l[0]], rest_l, [rest_l[-1]]])
            rest_l = np.median(np.lib.stride_tricks.sliding_window_view(padded, 3), axis=1)
        return np.interp(centres, rest_c, rest_l)


def refine_by_closure(
    velocity_m_s: np.ndarray,
    still: np.ndarray,
    reversal_index: np.ndarray,
    reversal_kind: np.ndarray,
    sample_rate_hz: float,
    *,
    min_stretch_s: float = 6.0,
    height_tolerance_m: float = 0.02,
    drift_scale_m_s: float = 0.05,
    turn_tolerance_m_s: float | None = 0.03,
) -> np.ndarray:
    """Correct velocity drift in long stretches without rests (continuous sets).

    Between two rests the drift correction of
    :class:`DriftCorrectedIntegration` is a straight line, which is right for a
    constant bias but not when the bias changes inside the stretch (the bar
    rotates, the sensor warms).  Continuous sets have no rests between reps,
    but the bar comes back to the same height at every top and every bottom.
    This fits a piecewise-linear drift with knots at the reversals such that
    the displacement between consecutive reversals of the same kind (top to
    top, bottom to bottom) is zero, in the least-squares sense (each height
    may differ by about ``height_tolerance_m``), with the drift pinned to zero
    at the rests that bound the stretch.  The bar is at rest where it turns,
    so the drift at each reversal is also held to what the velocity reads
    there, within ``turn_tolerance_m_s`` (``None``: closure alone).  A rep
    that goes less deep than the others breaks the closure equations, and
    closure alone would pay for the equal heights with a drift of several
    cm/s that sets the bar moving in the holds.  The caller gives it only
    with a gyroscope: without one the velocity at a turn carries the norm
    method's errors, and holding the drift to it made those sets worse.

    Parameters
    ----------
    velocity_m_s : (m,) velocity after the first drift correction
    still : (m,) confirmed rests
    reversal_index : (k,) sample indices of direction reversals, increasing
    reversal_kind : (k,) +1 at a top (up then down), -1 at a bottom
    sample_rate_hz : float

    Returns
    -------
    (m,) corrected velocity
    """
    v = np.asarray(velocity_m_s, dtype=float).copy()
    n = v.size
    fs = sample_rate_hz
    moving_runs = mask_to_runs(~still)
    reversal_index = np.asarray(reversal_index, dtype=np.intp)
    reversal_kind = np.asarray(reversal_kind)
    csum = running_sum(v) / fs
    for start, end in moving_runs:  # per stretch between rests
        if (end - start) < min_stretch_s * fs:
            continue
        inside = (reversal_index > start) & (reversal_index < end - 1)
        rev = reversal_index[inside]
        kind = reversal_kind[inside]
        if rev.size < 3:
            continue
        pinned_start = start > 0 and still[start - 1]
        pinned_end = end < n and still[end]
        knots = np.concatenate([[start], rev, [end - 1]]).astype(float)
        k = knots.size
        rows: list[np.ndarray] = []
        rhs: list[float] = []
        weights: list[float] = []
        # Integral of the piecewise-linear drift between knot i and knot j (i < j).
        seg = np.diff(knots) / fs

        def integral_row(i: int, j: int) -> np.ndarray:
            row = np.zeros(k)
            for s in range(i, j):  # a handful of knots per equation
                row[s] += 0.5 * seg[s]
                row[s + 1] += 0.5 * seg[s]
            return row

        for kind_value in (+1, -1):
            same = np.flatnonzero(kind == kind_value) + 1  # knot positions
            for i, j in zip(same[:-1], same[1:]):
                rows.append(integral_row(int(i), int(j)))
                rhs.append(csum[int(knots[j])] - csum[int(knots[i])])
                weights.append(1.0 / height_tolerance_m)
        if not rows:
            continue
        # Pin the ends at rests, and keep the drift small and smooth elsewhere.
        for index, pinned in ((0, pinned_start), (k - 1, pinned_end)):
            row = np.zeros(k)
            row[index] = 1.0
            rows.append(row)
            rhs.append(0.0)
            weights.append(1e3 if pinned else 1.0 / drift_scale_m_s)
        for i in range(k):
            row = np.zeros(k)
            row[i] = 1.0
            rows.append(row)
            rhs.append(0.0)
            weights.append(0.2 / drift_scale_m_s)
        # The bar is at rest where it turns: the drift there is what the
        # velocity reads (a wrong height elsewhere must not make up for it).
        half = max(int(round(0.04 * fs)), 1)
        for i, at in enumerate(rev if turn_tolerance_m_s is not None else [], start=1):
            row = np.zeros(k)
            row[i] = 1.0
            rows.append(row)
            rhs.append(float(np.mean(v[max(at - half, 0) : at + half + 1])))
            weights.append(1.0 / turn_tolerance_m_s)
        a = np.asarray(rows) * np.asarray(weights)[:, None]
        b = np.asarray(rhs) * np.asarray(weights)
        knot_drift, *_ = np.linalg.lstsq(a, b, rcond=None)
        idx = np.arange(start, end, dtype=float)
        v[start:end] -= np.interp(idx, knots, knot_drift)
    return v


def integrate_by_block(velocity_m_s: np.ndarray, block: np.ndarray, sample_rate_hz: float) -> np.ndarray:
    """Displacement from velocity, restarting at zero in each gap-free block (NaN in gaps)."""
    displacement = np.full(velocity_m_s.size, np.nan)
    for lo, hi in block_spans(block):  # per block
        displacement[lo:hi] = _cumtrapz(velocity_m_s[lo:hi], sample_rate_hz)
    return displacement


def reversals_between(starts: np.ndarray, ends: np.ndarray, kinds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reversal points between consecutive phases of opposite direction.

    Returns sample indices (middle of the pause between the phases) and kinds
    (+1 top: up then down; -1 bottom: down then up).
    """
    if len(starts) < 2:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=int)
    opposite = kinds[:-1] != kinds[1:]
    index = ((ends[:-1] + starts[1:]) // 2)[opposite]
    kind = np.where(kinds[:-1] > 0, 1, -1)[opposite]
    return index.astype(np.intp), kind


def stationary_points(
    starts: np.ndarray, ends: np.ndarray, kinds: np.ndarray, still: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Moments the bar is momentarily or truly stationary, with their kind.

    Reversals between opposite phases, plus the centre of every rest run that
    sits next to a phase.  Kind is +1 at the top (after a lift or before a
    descent) and -1 at the bottom.
    """
    index, kind = reversals_between(starts, ends, kinds)
    rests = mask_to_runs(still)
    if rests.shape[0] and len(starts):
        centre = (rests[:, 0] + rests[:, 1]) // 2
        before = np.searchsorted(ends, rests[:, 0], side="right") - 1  # last phase ending before the rest
        after = np.searchsorted(starts, rests[:, 1], side="left")  # first phase starting after it
        rest_kind = np.zeros(len(rests), dtype=int)
        has_before = before >= 0
        rest_kind[has_before] = np.where(kinds[before[has_before]] > 0, 1, -1)
        no_before = ~has_before & (after < len(starts))
        rest_kind[no_before] = np.where(kinds[after[no_before]] < 0, 1, -1)
        keep = rest_kind != 0
        # A rest replaces the reversal inside it (same moment).
        inside = np.zeros(index.size, dtype=bool)
        for start, end in rests[keep]:  # per rest
            inside |= (index >= start) & (index < end)
        index = np.concatenate([index[~inside], centre[keep]])
        kind = np.concatenate([kind[~inside], rest_kind[keep]])
        order = np.argsort(index)
        index, kind = index[order], kind[order]
    return index.astype(np.intp), kind


def closure_pairs(index: np.ndarray, kind: np.ndarray, sample_rate_hz: float, *, max_gap_s: float = 20.0) -> np.ndarray:
    """Pairs (i, j) of consecutive stationary points of the same kind within a set."""
    pairs = []
    for value in (+1, -1):
        same = np.flatnonzero(kind == value)
        if same.size < 2:
            continue
        i, j = index[same[:-1]], index[same[1:]]
        close = (j - i) <= max_gap_s * sample_rate_hz
        pairs.append(np.column_stack([i[close], j[close]]))
    if not pairs:
        return np.empty((0, 2), dtype=np.intp)
    return np.vstack(pairs).astype(np.intp)


def estimate_bias_from_closure(
    velocity_m_s: np.ndarray,
    specific_force_unit: np.ndarray,
    gain: float,
    pin: "callable",
    pairs: np.ndarray,
    sample_rate_hz: float,
    *,
    height_tolerance_m: float = 0.02,
    bias_scale_mps2: float = 0.5,
    validate: bool = True,
    validation_gain: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Accelerometer bias that rotation exposes, from position closure.

    With the sensor's reading of gravity calibrated at rest, a remaining bias
    vector ``b`` shows up in the vertical acceleration as ``-gain * b . u(t)``,
    where ``u`` is the direction of the specific force in the sensor frame: it
    is constant (and harmless: removed with the linear drift) while the
    orientation does not change, and a varying error when the bar rolls.
    Every pair of stationary moments of the same kind (top to top) must have
    zero displacement between them, which is linear in ``b``; a robust
    (Huber) least squares over all pairs estimates it.

    Parameters
    ----------
    velocity_m_s : (m,) current velocity estimate
    specific_force_unit : (m, 3) unit specific force, sensor frame
    gain : g / (reading of g)
    pin : function applying the rest-pinned drift removal to a (m,) signal
    pairs : (p, 2) sample index pairs
    sample_rate_hz : float

    Returns
    -------
    bias : (3,) m/s^2, and the corrected velocity
    """
    fs = sample_rate_hz
    if pairs.shape[0] < 4:
        return np.zeros(3), velocity_m_s
    regress = _cumtrapz(specific_force_unit, fs)
    regress = np.column_stack([regress[:, k] - pin(regress[:, k]) for k in range(3)])
    # Displacement of each regressor (and of the velocity) between the pair's moments.
    creg = running_sum(regress) / fs
    cvel = running_sum(velocity_m_s) / fs
    rows = gain * (creg[pairs[:, 1]] - creg[pairs[:, 0]])
    rhs = -(cvel[pairs[:, 1]] - cvel[pairs[:, 0]])

    def fit(select: np.ndarray) -> np.ndarray:
        weights = np.full(int(select.sum()), 1.0 / height_tolerance_m)
        bias = np.zeros(3)
        for _ in range(4):  # iteratively reweighted: setup moves must not dominate
            a = np.vstack([rows[select] * weights[:, None], np.eye(3) / bias_scale_mps2])
            y = np.concatenate([rhs[select] * weights, np.zeros(3)])
            bias, *_ = np.linalg.lstsq(a, y, rcond=None)
            residual = np.abs(rows[select] @ bias - rhs[select]) / height_tolerance_m
            weights = np.where(residual <= 2.0, 1.0, 2.0 / np.maximum(residual, 1e-9)) / height_tolerance_m
        return bias

    if validate:
        # Two-fold check: a bias fitted on half of the pairs must also close
        # the other half better (a wrong segmentation or setup moves give a
        # "bias" that only fits the equations it came from).
        half = np.arange(len(rows)) % 2 == 0
        for train in (half, ~half):
            test = ~train
            b = fit(train)
            before = np.median(np.abs(rhs[test]))
            after = np.median(np.abs(rows[test] @ b - rhs[test]))
            if not after < validation_gain * before:
                return np.zeros(3), velocity_m_s
    bias = fit(np.ones(len(rows), dtype=bool))
    corrected = velocity_m_s + gain * (regress @ bias)
    return bias, corrected


def pin_reversals(
    velocity_m_s: np.ndarray,
    still: np.ndarray,
    valid: np.ndarray,
    sample_rate_hz: float,
    *,
    min_stretch_s: float = 6.0,
    highpass_hz: float = 0.15,
    min_travel_m: float = 0.1,
    min_peak_m_s: float = 0.15,
    long_gap_s: float = 2.5,
    abut_s: float = 0.1,
    short_fraction: float = FAST_END_FRACTION,
) -> np.ndarray:
    """Zero velocity at the reversals of long stretches without rests.

    In a continuous set (touch-and-go, or impacts cut out at every floor
    touch) the drift between the rests around the set can be far from
    linear, so the segmentation of the first-pass velocity may miss whole
    reps.  A high-pass (``highpass_hz``, zero phase) of the velocity keeps
    the reps and drops the drift well enough to find where the bar turns;
    there the true velocity is zero, so the drift is piecewise linear
    through the first-pass velocity at those moments.  Only reversals
    between two brisk phases (``min_peak_m_s``) are used: the cruise of a
    slow descent would be bent into a false wave by the filter.  The filter
    also flattens such a cruise, so a lift and the fast end of the next
    descent can be the only phases found: a turn across more than
    ``long_gap_s`` before a descent under ``short_fraction`` of the lift's
    travel gets no knot, and a stretch keeps its pinning only if its tops
    (and its bottoms) are then closer to one height than before.  Beside
    such a short descent a turn with no gap (under ``abut_s``) gets no knot
    either: there the filter's undershoot, not a reversal, ended one phase
    and began the other, and the moment lies on the lift's flank (a pause
    at the bottom read as moving by an offset becomes part of the descent).
    With one top and one bottom the height check cannot tell.
    """
    from .segmentation import find_phases  # segmentation does not depend on drift

    v = np.asarray(velocity_m_s, dtype=float).copy()
    fs = sample_rate_hz
    n = v.size
    sos = signal.butter(2, highpass_hz, btype="highpass", fs=fs, output="sos")
    half = max(int(round(0.04 * fs)), 1)
    for start, end in mask_to_runs(~still & valid):  # per stretch between rests
        if end - start < min_stretch_s * fs:
            continue
        segment = v[start:end]
        pad = min(end - start - 1, int(3 * fs / highpass_hz))
        high = signal.sosfiltfilt(sos, segment, padlen=pad)
        time = np.arange(end - start) / fs
        p_start, p_end, p_kind, p_travel = find_phases(time, high, sample_rate_hz=fs)
        peak = np.array([np.max(np.abs(high[a:b])) for a, b in zip(p_start, p_end)])  # per phase
        keep = (p_travel >= min_travel_m) & (peak >= min_peak_m_s)
        p_start, p_end, p_kind, p_travel = p_start[keep], p_end[keep], p_kind[keep], p_travel[keep]
        turn = np.flatnonzero(p_kind[:-1] != p_kind[1:])
        if turn.size < 2:
            continue
        # The bar turns between the two phases, and across a short gap (a
        # touch-and-go turn, a brief pause) the middle is as good as any
        # moment.  A long gap before a descent that covers much less than the
        # lift before it holds the slow cruise of a negative that the filter
        # flattened (the descent found is its fast end): no knot there.  Nor
        # where such a descent abuts a lift: the filter moved that turn.
        lift_first = p_kind[turn] > 0
        lift_travel = np.where(lift_first, p_travel[turn], p_travel[turn + 1])
        descent_travel = np.where(lift_first, p_travel[turn + 1], p_travel[turn])
        gap = p_start[turn + 1] - p_end[turn]
        cruise = (descent_travel < short_fraction * lift_travel) & (
            (lift_first & (gap > long_gap_s * fs)) | (gap < abut_s * fs)
        )
        turn = turn[~cruise]
        if turn.size < 2:
            continue
        index = (p_end[turn] + p_start[turn + 1]) // 2
        csum = running_sum(segment)
        lo = np.clip(index - half, 0, end - start - 1)
        hi = np.clip(index + half + 1, 1, end - start)
        level = (csum[hi] - csum[lo]) / (hi - lo)
        knots_t = index.astype(float)
        knots_v = level
        # Bordering rests already have zero velocity: pin the ends there.
        if start > 0 and still[start - 1]:
            knots_t = np.concatenate([[0.0], knots_t])
            knots_v = np.concatenate([[0.0], knots_v])
        if end < n and still[end]:
            knots_t = np.concatenate([knots_t, [end - start - 1.0]])
            knots_v = np.concatenate([knots_v, [0.0]])
        corrected = segment - np.interp(np.arange(end - start, dtype=float), knots_t, knots_v)
        # Kept only if the bar then comes back to one height at the tops (and
        # at the bottoms) better than before.  A knot in the flattened cruise
        # of a slow negative would cut that descent short, and every top after
        # it would sit higher.
        if _turn_height_spread(corrected, index, p_kind[turn], fs) <= _turn_height_spread(segment, index, p_kind[turn], fs):
            v[start:end] = corrected
    return v


def _turn_height_spread(velocity: np.ndarray, index: np.ndarray, kind_before: np.ndarray, fs: float) -> float:
    """Spread (peak to peak) of the heights at the tops plus that at the bottoms."""
    height = running_sum(velocity)[index] / fs
    spread = 0.0
    for kind in (1, -1):  # tops (after a lift), then bottoms
        at = height[kind_before == kind]
        spread += float(np.ptp(at)) if at.size else 0.0
    return spread


def turn_rests(
    vertical_acc_mps2: np.ndarray,
    quiet: np.ndarray,
    sample_rate_hz: float,
    *,
    max_change_m_s: float = 0.03,
    relative_change: float = 0.05,
    min_travel_m: float = 0.10,
    max_burst_s: float = 3.0,
    edge_s: float = 0.4,
) -> np.ndarray:
    """Quiet samples next to a burst of motion that goes from rest to rest.

    A burst (a run of non-quiet samples: a lift, or a fast descent) whose
    acceleration integrates to no change of speed, yet carries the bar
    ``min_travel_m`` or more, started and ended at the same speed; with
    that much travel in a few seconds that speed is zero (a bar cruising
    down at 0.1 m/s before a lift would be cruising down again after it,
    which no exercise does).  So the quiet samples within ``edge_s`` on
    either side are rests, whatever level a drifting velocity gives them:
    the hold at the top after a lift, the pause at the bottom before it.
    A burst that starts or ends a cruise changes the speed by the cruise's
    and is left alone, and so are slow cruises themselves, which the
    acceleration alone cannot tell from a hold.

    Parameters
    ----------
    vertical_acc_mps2 : (m,) vertical acceleration, gravity removed
    quiet : (m,) bool, samples without acceleration (rest or cruise)
    sample_rate_hz : float
    max_change_m_s, relative_change
        A burst changes the speed by less than ``max_change_m_s`` or
        ``relative_change`` of its peak speed, whichever is larger (room for
        the accelerometer's sensitivity error).
    min_travel_m
        Travel that rules out a cruise on both sides.
    max_burst_s
        Longer runs of motion (a whole continuous set) are not judged.
    edge_s
        How much of the quiet on either side is declared a rest.

    Returns
    -------
    (m,) bool
    """
    fs = sample_rate_hz
    acc = np.asarray(vertical_acc_mps2, dtype=float)
    n = acc.size
    rests = np.zeros(n, dtype=bool)
    bursts = interior_runs(~quiet, max_burst_s * fs)
    if bursts.shape[0] == 0:
        return rests
    speed = running_sum(acc) / fs  # speed gained since the first sample, before each sample
    position = running_sum(speed[:-1]) / fs
    start, end = bursts[:, 0], bursts[:, 1]
    change = speed[end] - speed[start]
    travel = (position[end] - position[start]) - (end - start) / fs * speed[start]
    # The peak speed inside each burst, from the extremes of the running speed.
    inside, burst_of, _ = run_members(bursts)
    peak = np.zeros(start.size)
    np.maximum.at(peak, burst_of, np.abs(speed[inside] - speed[start[burst_of]]))
    tolerance = np.maximum(max_change_m_s, relative_change * peak)
    turning = (np.abs(change) < tolerance) & (np.abs(travel) >= min_travel_m)
    edge = max(int(round(edge_s * fs)), 1)
    for lo, hi in bursts[turning]:  # per rest-to-rest burst (a few per rep)
        rests[max(lo - edge, 0) : lo] = True
        rests[hi : hi + edge] = True
    return rests & quiet


def hold_rests(
    vertical_acc_mps2: np.ndarray,
    quiet: np.ndarray,
    sample_rate_hz: float,
    *,
    max_burst_s: float = 8.0,
    flat_window_s: float = 0.5,
    max_flat_range_m_s: float = 0.045,
    speed_tolerance_m_s: float = 0.02,
    min_travel_m: float = 0.10,
    min_hold_s: float = 0.4,
    max_settle_m: float = 0.04,
) -> np.ndarray:
    """Holds inside a burst of motion that a lift leads into or out of.

    A hand-off is rarely motionless: the bar sways a centimetre or two,
    rocks a few degrees and bobs by millimetres.  That is not quiet (the
    sway and the rocking move the accelerometer and the gyroscope), so the
    burst around a partner's lift runs from the pause at the bottom through
    the lift and the unsteady hold into the next negative, and ends in its
    cruise: :func:`turn_rests` cannot judge it as a whole (it changes the
    speed by the cruise's), the hold gets no rest, and the velocity a
    drifting offset gives it carries through the descent (in the
    development draws' negative-only sets with a gyroscope, an unsteady
    hand-off put the descent's start 0.5 s off on average, against 0.2 s
    after a steady one).

    Inside such a burst the hold is still recognisable: the speed, which
    the lift took away from where the burst started and brought back,
    stays at that starting speed, flat within ``max_flat_range_m_s`` over
    ``flat_window_s`` (a 2 mm bob swings it through up to 0.03 m/s; on the
    development draws 0.045 did better than 0.02 or 0.03, 0.06 no better), for
    ``min_hold_s`` at least, once the bar has climbed ``min_travel_m``
    against that speed.  As in :func:`turn_rests`, that much travel in a
    few seconds with the speed back where it was means the speed is zero.
    The first ``min_hold_s`` of the first such stretch, and the quiet
    ``min_hold_s`` before the burst, are rests.  Likewise from the burst's
    end backwards: the last such stretch before a burst that ends at the
    speed it holds there (a lift out of an unsteady pause at the bottom).

    Only a climb (a lift) counts, and the hold must be at the height the
    climb reached (searching back: started from), within ``max_settle_m``.
    An impact sampled at 50 Hz is integrated a few centimetres per second
    short, and then a cruise can read as "back at the starting speed": the
    cruise after a dropped negative's catch (a scoring draw lost a curl
    negative to a hold declared there), or, searching back from a lift out
    of a hard bottom, the cruise of the descent before it, 10-20 cm below.

    No offset is taken out of the acceleration first, so one of 1 mg left
    by the calibration moves the speed by 0.02 m/s in 2 s.  The obvious
    estimate, the mean acceleration of the quiet samples next to the
    burst, was measured and made the development draws worse: the gentle
    braking of a slow descent reads quiet and is no offset.

    Parameters
    ----------
    vertical_acc_mps2 : (m,) vertical acceleration, gravity removed
    quiet : (m,) bool, samples without acceleration (rest or cruise)
    sample_rate_hz : float
    max_burst_s
        Longer runs of motion (a continuous set) are not searched.

    Returns
    -------
    (m,) bool, the holds and the quiet rests next to the bursts they end
    """
    fs = sample_rate_hz
    acc = np.asarray(vertical_acc_mps2, dtype=float)
    n = acc.size
    hold_length = max(int(round(min_hold_s * fs)), 2)
    bursts = interior_runs(~quiet, max_burst_s * fs, min_length=hold_length + 2)
    if bursts.shape[0] == 0:
        return np.zeros(n, dtype=bool)
    speed = running_sum(acc) / fs  # gained before each sample (the speed, a constant apart)
    width = max(int(round(flat_window_s * fs)), 3)
    # How much the speed varies around a sample does not depend on where it
    # is counted from: one pass serves every burst.
    flat = (ndimage.maximum_filter1d(speed, width) - ndimage.minimum_filter1d(speed, width)) < max_flat_range_m_s
    # Every burst sample in one flat array; everything below is per burst
    # without a loop (an hour of sets holds hundreds of bursts).
    index, burst, first = run_members(bursts)
    starts, ends = bursts[:, 0], bursts[:, 1]
    last = first + (ends - starts) - 1

    def within(values: np.ndarray) -> np.ndarray:
        return running_sum_within(values, burst, first)

    def running_top(values: np.ndarray, order: np.ndarray) -> np.ndarray:
        """Running maximum of ``values`` in ``order`` (each burst's samples in a row), restarted at each burst."""
        lift = 2.0 * float(np.abs(values).max()) + 1.0  # each burst's values above every earlier one's
        shifted = values[order] + lift * burst[order]
        out = np.empty_like(values)
        out[order] = np.maximum.accumulate(shifted) - lift * burst[order]
        return out

    def first_runs(near: np.ndarray, pick_last: bool) -> tuple[np.ndarray, np.ndarray]:
        """Per burst with one, its first (or last) run of ``near`` at least ``hold_length`` long: sample spans, bursts."""
        mask = np.zeros(n, dtype=bool)
        mask[index[near]] = True  # bursts are apart (quiet between), so their runs cannot merge
        runs = mask_to_runs(mask)
        runs = runs[runs[:, 1] - runs[:, 0] >= hold_length]
        owner = np.searchsorted(starts, runs[:, 0], side="right") - 1
        if pick_last:
            keep = np.unique(owner[::-1], return_index=True)[1]
            return runs[::-1][keep], owner[::-1][keep]
        keep = np.unique(owner, return_index=True)[1]
        return runs[keep], owner[keep]

    spans = []
    # Forward from the rest before each burst: the speed through each sample.
    relative = speed[index + 1] - speed[starts][burst]
    travel = within(relative) / fs
    top = running_top(travel, np.arange(index.size))
    near = flat[index + 1] & (np.abs(relative) < speed_tolerance_m_s) & (travel >= min_travel_m) & (travel > top - max_settle_m)
    runs, owner = first_runs(near, pick_last=False)
    spans += [np.column_stack([runs[:, 0], runs[:, 0] + hold_length])]
    before = np.column_stack([np.maximum(starts[owner] - hold_length, 0), starts[owner]])
    # Backward from the rest after each burst: the speed before each sample,
    # and the travel from it to the burst's end.
    relative = speed[index] - speed[ends][burst]
    cumulative = within(relative)
    travel = (cumulative[last][burst] - cumulative + relative) / fs
    reverse = (first + last)[burst] - np.arange(index.size)  # each burst's samples back to front
    top = running_top(travel, reverse)
    near = flat[index] & (np.abs(relative) < speed_tolerance_m_s) & (travel >= min_travel_m) & (travel > top - max_settle_m)
    runs, owner = first_runs(near, pick_last=True)
    spans += [np.column_stack([runs[:, 1] - hold_length, runs[:, 1]])]
    after = np.column_stack([ends[owner], np.minimum(ends[owner] + hold_length, n)])
    quiet_edges = runs_to_mask(np.concatenate([before, after]), n) & quiet
    return runs_to_mask(np.concatenate(spans), n) | quiet_edges
