"""Builders for training-log tests: sets to store, and a minimal scored analysis."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from eccentric_sense.log import NewSet

T0 = datetime(2026, 3, 2, 18, 0, tzinfo=timezone.utc)


def new_set(
    minutes: float,
    *,
    protocol: str = "heavy_negatives",
    exercise: str = "bench",
    body_part: str | None = None,
    duration_s: float = 40.0,
    reps: int = 5,
    controlled_reps: int | None = None,
    load_kg: float | None = 110.0,
) -> NewSet:
    """A set starting ``minutes`` after T0."""
    from eccentric_sense.scoring import default_catalog

    return NewSet(
        started_at=T0 + timedelta(minutes=minutes),
        duration_s=duration_s,
        protocol=protocol,
        exercise=exercise,
        body_part=body_part or default_catalog().body_part(exercise),
        load_kg=load_kg,
        reps=reps,
        controlled_reps=reps if controlled_reps is None else controlled_reps,
        time_under_load_s=4.0 * reps,
        flags=[],
        rep_table=[{"set": 1, "rep": k + 1, "ecc_duration_s": 4.0, "flags": []} for k in range(reps)],
    )
