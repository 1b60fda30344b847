"""Sets, reps and phases from vertical velocity, per the rep-table definition.

A phase runs from the moment the bar's speed in its direction first exceeds
0.02 m/s until it falls back below 0.02 m/s or reverses; a stall under
0.02 m/s shorter than 0.5 s that does not reverse does not end it.  Phases
with less than ``min_travel_m`` of travel are not reps (unracking, re-racking,
grip adjustments).  A rest of ``set_break_s`` or more starts a new set.
Within a set, reps pair eccentric-then-concentric when the set starts at the
top and concentric-then-eccentric when it starts with the lift; the order is
read from the data (the first substantial phase), the exercise is only a
tie-breaker.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..constants import (
    MIN_REP_TRAVEL_M,
    PHASE_SPEED_THRESHOLD_M_S,
    SET_BREAK_REST_S,
    STALL_TOLERANCE_S,
)
from ._runs import mask_to_runs, running_sum
from .types import Phase, RepSegment, SetSegment

__all__ = ["PhaseSegmenter", "find_phases"]

ECCENTRIC = "eccentric"
_CUBIC_GRID = np.linspace(0.0, 1.0, 65)
CONCENTRIC = "concentric"


#: A dip whose speed keeps this share of the phase threshold is a cruise
#: measured with noise, not a stop (see :func:`_direction_runs`).
CREEP_FRACTION = 0.5


def _direction_runs(
    moving: np.ndarray,
    opposite_sum: np.ndarray,
    speed_sum: np.ndarray,
    threshold: float,
    stall: int,
    creep_edges: np.ndarray,
    *,
    creep_stall_factor: float = 6.0,
    tail_stall_factors: tuple[float, float] = (3.0, 16.0),
) -> np.ndarray:
    """Runs of ``moving`` (speed over the threshold in one direction), merging stalls shorter than ``stall`` samples.

    ``opposite_sum`` and ``speed_sum`` are running sums (leading zero) of the
    opposite direction's mask and of the speed in this direction: both
    directions share them, so they are computed once, as are
    ``creep_edges``, the samples after which the velocity crosses
    ``CREEP_FRACTION`` of the threshold either way (see :func:`find_phases`).
    A stall is bridged
    only if the velocity does not exceed the threshold in the opposite
    direction inside it (that would be a reversal).  Dips up to
    ``creep_stall_factor`` stalls long are bridged too when the mean speed
    over the dip is at least ``CREEP_FRACTION`` of the threshold.

    The same noise can end a slow cruise early for good: the estimate of a
    0.02-0.025 m/s negative sinks to 0.015 m/s and stays there until the
    bar is braked at the bottom, with no second cruise to bridge to.  So a
    phase of at least two stalls is extended over the stretch after it in
    which the bar keeps moving the same way at ``CREEP_FRACTION`` of the
    threshold or more, when that stretch lasts between the two
    ``tail_stall_factors`` (in stalls: 1.5-8 s at the default 0.5 s).  A
    braking passes through that band in a fraction of a second, so a
    phase's ordinary end is untouched; a creep of more than 8 s (most of a
    10 s negative) is a separate, slower movement.
    """
    runs = mask_to_runs(moving)
    if runs.shape[0] == 0:
        return runs
    gap_start = runs[:-1, 1]
    gap_end = runs[1:, 0]
    length = gap_end - gap_start
    short = length < stall
    no_reversal = (opposite_sum[gap_end] - opposite_sum[gap_start]) == 0
    # A longer dip whose mean speed is still at least half the threshold is
    # a cruise measured with noise (a 10 s negative over a short range moves
    # at 0.02-0.03 m/s, and the estimate wavers by a few mm/s), not a stop.
    gap_mean = (speed_sum[gap_end] - speed_sum[gap_start]) / np.maximum(length, 1)
    run_length = runs[:, 1] - runs[:, 0]
    # Only between two cruises (each at least two stalls long): a short
    # bump before a lift is not the same motion as the lift.
    cruising = (run_length[:-1] >= 2 * stall) & (run_length[1:] >= 2 * stall)
    creeping = (length < creep_stall_factor * stall) & (gap_mean >= CREEP_FRACTION * threshold) & cruising
    bridge = (short | creeping) & no_reversal
    # Merge runs across bridged gaps: a new group starts wherever the gap is not bridged.
    new_group = np.concatenate([[True], ~bridge])
    group = np.cumsum(new_group) - 1
    starts = runs[new_group, 0]
    ends = np.zeros(group[-1] + 1, dtype=np.intp)
    np.maximum.at(ends, group, runs[:, 1])
    # Where the creeping stretch that holds each phase's last sample ends
    # (the phase's own samples are above the threshold, so inside one): at
    # the first crossing at or after that sample.
    stretch_ends = np.append(creep_edges + 1, moving.size)
    tail = stretch_ends[np.searchsorted(creep_edges, ends - 1)] - ends
    shortest, longest = tail_stall_factors
    extend = ((ends - starts) >= 2 * stall) & (tail >= shortest * stall) & (tail <= longest * stall)
    ends = np.where(extend, ends + tail, ends)
    # A run that starts inside such a stretch (the estimate poking over the
    # threshold again on the way down) is part of the same movement.
    reach = np.maximum.accumulate(ends)
    new_group = np.concatenate([[True], starts[1:] >= reach[:-1]])
    group = np.cumsum(new_group) - 1
    merged_ends = np.zeros(group[-1] + 1, dtype=np.intp)
    np.maximum.at(merged_ends, group, ends)
    return np.column_stack([starts[new_group], merged_ends])


def _grid_rate(time_s: np.ndarray, sample_rate_hz: float | None) -> float:
    """The rate of ``time_s``'s uniform grid: as given, else from the median sample interval."""
    if sample_rate_hz is not None:
        return float(sample_rate_hz)
    return 1.0 / float(np.median(np.diff(time_s))) if time_s.size > 1 else 1.0


def find_phases(
    time_s: np.ndarray,
    velocity_m_s: np.ndarray,
    *,
    threshold_m_s: float = PHASE_SPEED_THRESHOLD_M_S,
    stall_s: float = STALL_TOLERANCE_S,
    valid: np.ndarray | None = None,
    sample_rate_hz: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All phases in time order.

    ``sample_rate_hz`` is the rate of ``time_s``'s uniform grid; without it
    the rate is the median sample interval's (a full pass over the times,
    which callers segmenting the same grid repeatedly can skip).

    Returns
    -------
    starts, ends : (k,) grid indices, ``[start, end)``
    kinds : (k,) +1 concentric (up), -1 eccentric (down)
    travel : (k,) distance travelled in the phase, m (positive)
    """
    fs = _grid_rate(time_s, sample_rate_hz)
    stall = max(int(round(stall_s * fs)), 1)
    v = np.where(valid, velocity_m_s, 0.0) if valid is not None else velocity_m_s
    rising = v > threshold_m_s
    falling = -v > threshold_m_s
    velocity_sum = running_sum(v)
    # -1 / 0 / +1: creeping down, neither, creeping up (at least CREEP_FRACTION
    # of the threshold); its changes serve both directions.
    creep = (v >= CREEP_FRACTION * threshold_m_s).view(np.int8) - (v <= -CREEP_FRACTION * threshold_m_s).view(np.int8)
    creep_edges = np.flatnonzero(creep[1:] != creep[:-1])
    up = _direction_runs(rising, running_sum(falling.astype(np.int64)), velocity_sum, threshold_m_s, stall, creep_edges)
    down = _direction_runs(falling, running_sum(rising.astype(np.int64)), -velocity_sum, threshold_m_s, stall, creep_edges)
    starts = np.concatenate([up[:, 0], down[:, 0]])
    ends = np.concatenate([up[:, 1], down[:, 1]])
    kinds = np.concatenate([np.ones(len(up), dtype=int), -np.ones(len(down), dtype=int)])
    order = np.argsort(starts, kind="stable")
    starts, ends, kinds = starts[order], ends[order], kinds[order]
    travel = np.abs(velocity_sum[ends] - velocity_sum[starts]) / fs
    return starts, ends, kinds, travel


@dataclass
class PhaseSegmenter:
    """Segment drift-corrected vertical velocity into sets, reps and phases.

    Parameters
    ----------
    threshold_m_s, stall_s, min_travel_m, set_break_s
        The rep-table definition's numbers (settings).
    min_phase_s
        Phases shorter than this are not reps (a knock on the bar).
    first_phase
        ``"eccentric"`` or ``"concentric"`` to force the rep order, or
        ``None`` to read it from the data.
    order_hint
        Used only when the data cannot tell (a set with a single phase).
    burst_fraction
        A set's first (or unpaired last) phase that drift ran into is cut
        back to where its speed passes this fraction of its peak, and kept
        if what is left looks like the set's other phases of its kind.
    closing_descent
        Whether a set that starts at the top may end with a lone descent
        after its last lift (a pull-up negative set ends with its last
        negative).  When False such a descent is dropped: with a bar it is
        the bar being put down.

    Attributes
    ----------
    sets_ : list of SetSegment
    phases_ : (starts, ends, kinds, travel) of all substantial phases
    """

    threshold_m_s: float = PHASE_SPEED_THRESHOLD_M_S
    stall_s: float = STALL_TOLERANCE_S
    min_travel_m: float = MIN_REP_TRAVEL_M
    set_break_s: float = SET_BREAK_REST_S
    min_phase_s: float = 0.15
    first_phase: str | None = None
    order_hint: str | None = None
    burst_fraction: float = 0.2
    closing_descent: bool = True

    def detect(
        self,
        time_s: np.ndarray,
        velocity_m_s: np.ndarray,
        valid: np.ndarray | None = None,
        sample_rate_hz: float | None = None,
    ) -> "PhaseSegmenter":
        """Find the phases, sets and reps; ``sample_rate_hz`` as in :func:`find_phases`."""
        self._velocity = np.asarray(velocity_m_s, dtype=float)
        self._time_s = time_s
        self._fs = _grid_rate(time_s, sample_rate_hz)
        starts, ends, kinds, travel = find_phases(
            time_s, velocity_m_s, threshold_m_s=self.threshold_m_s, stall_s=self.stall_s, valid=valid,
            sample_rate_hz=self._fs,
        )
        duration = time_s[np.minimum(ends, time_s.size - 1)] - time_s[starts]
        substantial = (travel >= self.min_travel_m) & (duration >= self.min_phase_s)
        starts, ends, kinds, travel = starts[substantial], ends[substantial], kinds[substantial], travel[substantial]
        self.phases_ = (starts, ends, kinds, travel)
        self.sets_ = self._group(time_s, starts, ends, kinds, valid, travel)
        return self

    # ------------------------------------------------------------------
    def _crossing_times(self, time_s: np.ndarray, velocity: np.ndarray, after: np.ndarray, kind: np.ndarray) -> np.ndarray:
        """Times the speed crosses the threshold between samples ``after - 1`` and ``after``.

        Boundaries finer than the sample interval (40 ms at 25 Hz would
        otherwise be the timing resolution): a cubic through the four samples
        around the crossing (Catmull-Rom), because speed curves are convex
        where they leave or approach zero and a straight chord would put
        starts early and ends late.  The chord is the fallback near the ends
        of the data or next to a gap.  Vectorised over all boundaries.
        """
        n = time_s.size
        after = np.asarray(after, dtype=np.intp)
        kind = np.asarray(kind, dtype=float)
        out = np.where(after <= 0, time_s[0], time_s[np.clip(after, 0, n - 1)]).astype(float)
        inner = (after >= 1) & (after <= n - 1)
        if not inner.any():
            return out
        i = after[inner]
        k = kind[inner]
        a, b = k * velocity[i - 1], k * velocity[i]
        ok = np.isfinite(a) & np.isfinite(b) & (a != b)
        frac = np.clip((self.threshold_m_s - a) / np.where(a != b, b - a, 1.0), 0.0, 1.0)
        # Catmull-Rom where four samples are available.
        has4 = (i >= 2) & (i <= n - 2)
        idx = np.clip(i[:, None] + np.arange(-2, 2)[None, :], 0, n - 1)
        window = k[:, None] * velocity[idx]
        has4 &= np.all(np.isfinite(window), axis=1)
        p0, p1, p2, p3 = (window[:, j : j + 1] for j in range(4))
        u = _CUBIC_GRID[None, :]
        curve = 0.5 * (2 * p1 + (p2 - p0) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u**2 + (3 * p1 - p0 - 3 * p2 + p3) * u**3)
        crossed = (curve > self.threshold_m_s) != (a > self.threshold_m_s)[:, None]
        use_cubic = has4 & crossed.any(axis=1)
        frac = np.where(use_cubic, _CUBIC_GRID[np.argmax(crossed, axis=1)], frac)
        t0, t1 = time_s[i - 1], time_s[i]
        out[inner] = np.where(ok, t0 + frac * (t1 - t0), time_s[i])
        return out

    #: What is left of a phase cut back to its burst must look like the set's
    #: other phases of its kind closely (a drift ramp cut back is still a ramp).
    _LIKE_THE_OTHERS = {"duration_factor": 1.5, "speed_factor": 0.5}

    def _trimmed(self, phase: Phase, *, from_start: bool) -> tuple[Phase, float] | None:
        """The phase cut back to its burst (speed over ``burst_fraction`` of its peak), with its travel.

        Drift before a set's first rep (after a walk-out) or after its last
        one runs at a few cm/s into the rep's own phase; the phase then
        starts (or ends) seconds early.  The burst is where the speed leaves
        the drift's level.  None when what remains is no rep (too little
        travel or time).
        """
        sign = 1.0 if phase.kind == CONCENTRIC else -1.0
        speed = sign * self._velocity[phase.start_index : phase.end_index]
        if speed.size < 3:
            return None
        peak = int(np.argmax(speed))
        slow = speed < self.burst_fraction * speed[peak]
        if from_start:
            before = np.flatnonzero(slow[:peak])
            lo, hi = (int(before[-1]) + 1 if before.size else 0), speed.size
        else:
            after = np.flatnonzero(slow[peak:])
            lo, hi = 0, (peak + int(after[0]) if after.size else speed.size)
        start, end = phase.start_index + lo, phase.start_index + hi
        travel = float(np.sum(speed[lo:hi])) / self._fs
        last = min(end, self._time_s.size - 1)
        if travel < self.min_travel_m or self._time_s[last] - self._time_s[start] < self.min_phase_s:
            return None
        start_s = phase.start_s if lo == 0 else float(self._time_s[start])
        end_s = phase.end_s if end == phase.end_index else float(self._time_s[last])
        return replace(phase, start_index=start, end_index=end, start_s=start_s, end_s=end_s), travel

    @staticmethod
    def _implausible_last(
        phases: list[Phase], travel: np.ndarray, *, duration_factor: float = 3.0, speed_factor: float = 0.35
    ) -> bool:
        """A set's last phase without a partner that is unlike the set's other phases of its kind.

        Velocity drift after the last rep (the bar left on the floor, the
        lifter walking off) integrates into a long, slow "phase"; a real
        last lift or descent resembles the others of the set.
        """
        last = phases[-1]
        same = [i for i, p in enumerate(phases[:-1]) if p.kind == last.kind]
        if len(same) < 2:
            return False
        durations = np.array([phases[i].duration_s for i in same])
        speeds = np.array([travel[i] / max(phases[i].duration_s, 1e-9) for i in same])
        last_speed = travel[-1] / max(last.duration_s, 1e-9)
        return bool(last.duration_s > duration_factor * np.median(durations) or last_speed < speed_factor * np.median(speeds))

    def _group(self, time_s, starts, ends, kinds, valid, travel) -> list[SetSegment]:
        if starts.size == 0:
            return []
        last = np.minimum(ends, time_s.size - 1)
        # Set boundaries: long rests between phases, or data gaps between them.
        rest = time_s[starts[1:]] - time_s[last[:-1]]
        breaks = rest >= self.set_break_s
        set_id = np.concatenate([[0], np.cumsum(breaks)])
        t_start = self._crossing_times(time_s, self._velocity, starts, kinds)
        t_end = self._crossing_times(time_s, self._velocity, ends, kinds)
        sets: list[SetSegment] = []
        for number in range(int(set_id[-1]) + 1):  # per set
            sel = np.flatnonzero(set_id == number)
            phases = [
                Phase(CONCENTRIC if kinds[i] > 0 else ECCENTRIC, int(starts[i]), int(ends[i]), float(t_start[i]), float(t_end[i]))
                for i in sel
            ]
            set_travel = travel[sel]
            if len(phases) >= 3 and self._implausible_last(phases[::-1], set_travel[::-1]):
                # The same drift before the first rep (the set would start with it).
                # It may have run into the first rep's phase: keep that phase's
                # own burst when it looks like the set's others, and the set is
                # known to start with that kind (a setup move cut back to its
                # burst would look like a rep too, and turn the set's order).
                expected = self.first_phase or self.order_hint
                trimmed = self._trimmed(phases[0], from_start=True) if phases[0].kind == expected else None
                if trimmed is not None and not self._implausible_last(
                    [trimmed[0], *phases[1:]][::-1], np.append(set_travel[1:][::-1], trimmed[1]), **self._LIKE_THE_OTHERS
                ):
                    phases[0] = trimmed[0]
                    set_travel = np.append(trimmed[1], set_travel[1:])
                else:
                    phases, set_travel = phases[1:], set_travel[1:]
            lost_first = self._lost_first_phase(phases)
            first = self._first_phase(phases)
            if len(phases) >= 3 and phases[-1].kind == first and self._implausible_last(phases, set_travel):
                trimmed = self._trimmed(phases[-1], from_start=False)
                if trimmed is not None and not self._implausible_last(
                    [*phases[:-1], trimmed[0]], np.append(set_travel[:-1], trimmed[1]), **self._LIKE_THE_OTHERS
                ):
                    phases[-1] = trimmed[0]
                else:
                    phases = phases[:-1]
            # A lone descent after the last lift of a set with a bar is the bar
            # put down (reracked, lowered to the hang), not a rep.
            if not self.closing_descent and first == ECCENTRIC and len(phases) >= 2 and phases[-1].kind == ECCENTRIC:
                phases = phases[:-1]
            reps = self._pair(phases, first, keep_lead=lost_first)
            if reps:
                sets.append(
                    SetSegment(
                        reps=tuple(reps),
                        start_s=phases[0].start_s,
                        end_s=phases[-1].end_s,
                        first=first,
                    )
                )
        return sets

    def _first_phase(self, phases: list[Phase]) -> str:
        if self.first_phase in (ECCENTRIC, CONCENTRIC):
            return self.first_phase
        if len(phases) == 1 and self.order_hint in (ECCENTRIC, CONCENTRIC):
            return self.order_hint
        if self._lost_first_phase(phases):
            return self.order_hint
        return phases[0].kind

    def _lost_first_phase(self, phases: list[Phase]) -> bool:
        """Whether the set's first rep lost its first phase (the order is not forced).

        A set of an exercise with a known order (a bench press starts at the
        top) that opens *and* closes with the other phase kind (lift,
        descent, ..., lift): reading it as the reverse order would pair every
        lift with the next rep's descent.
        """
        return (
            self.first_phase not in (ECCENTRIC, CONCENTRIC)
            and self.order_hint in (ECCENTRIC, CONCENTRIC)
            and len(phases) >= 3
            and phases[0].kind == phases[-1].kind != self.order_hint
        )

    @staticmethod
    def _pair(phases: list[Phase], first: str, *, keep_lead: bool = False) -> list[RepSegment]:
        reps: list[RepSegment] = []
        i = 0
        if keep_lead and phases and phases[0].kind != first:
            # The surviving phase of a first rep whose other phase was lost
            # is that rep, not a setup move.
            lone = phases[0]
            reps.append(RepSegment(
                eccentric=lone if lone.kind == ECCENTRIC else None,
                concentric=lone if lone.kind == CONCENTRIC else None,
                first=first,
            ))
            i = 1
        # Skip any other leading phase of the other kind (e.g. the lift to the
        # top before the first negative when the order is forced).
        while i < len(phases) and phases[i].kind != first:
            i += 1
        while i < len(phases):
            lead = phases[i]
            follow = phases[i + 1] if i + 1 < len(phases) and phases[i + 1].kind != first else None
            if first == ECCENTRIC:
                reps.append(RepSegment(eccentric=lead, concentric=follow, first=first))
            else:
                reps.append(RepSegment(eccentric=follow, concentric=lead, first=first))
            i += 2 if follow is not None else 1
            while i < len(phases) and phases[i].kind != first:
                i += 1  # two lifts in a row: the extra one has no partner
        return reps
