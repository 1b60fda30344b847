"""Physical constants and fixed definitions from the rep-table contract."""

from __future__ import annotations

#: Standard gravity, m/s^2.  Used to convert g <-> m/s^2 everywhere.
STANDARD_GRAVITY = 9.80665

#: Phase boundary speed of the rep-table definition, m/s.
PHASE_SPEED_THRESHOLD_M_S = 0.02
#: A stall shorter than this (without reversing) does not end a phase, s.
STALL_TOLERANCE_S = 0.5
#: Default minimum vertical travel of a rep, m.
MIN_REP_TRAVEL_M = 0.15
#: Default rest that starts a new set, s.
SET_BREAK_REST_S = 20.0
#: A descent between (or before) lifts covering less than this fraction of
#: their travel is taken for the fast end of a slow negative whose cruise
#: was lost (restoration, reversal pinning).
FAST_END_FRACTION = 0.7
#: Low-pass cut-off applied before acceleration metrics, Hz (4th order, zero phase).
ACC_LOWPASS_HZ = 10.0
#: Uncontrolled descent: downward acceleration at least this many g ...
DROP_ACC_G = 0.5
#: ... for at least this long, s.
DROP_MIN_DURATION_S = 0.100

EXERCISES: tuple[str, ...] = (
    "bench",
    "squat",
    "deadlift",
    "rdl",
    "press",
    "curl",
    "row",
    "pullup",
    "dip",
    "other",
)

#: Exercises whose sets usually start at the top (the first phase is a descent).
TOP_START_EXERCISES = frozenset({"bench", "squat", "dip", "rdl"})
#: Exercises whose sets usually start at the bottom (the first phase is a lift).
BOTTOM_START_EXERCISES = frozenset({"deadlift", "curl", "row", "pullup", "press"})
#: Exercises that move a bar (or dumbbells) rather than the body.  A set of
#: them that starts at the top ends with a lift (the lifter's, or the
#: partner's in negative-only sets); a lone descent after it is the bar
#: being put down (reracked, lowered to the hang), not a rep.  A pull-up or
#: dip negative set may end with its last negative (the lifter lets go).
BAR_EXERCISES = frozenset({"bench", "squat", "deadlift", "rdl", "press", "curl", "row"})
