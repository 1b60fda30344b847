"""Store a scored analysis in the training log and run the history rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from .. import columns as C
from ..errors import ConfigError
from ..scoring.catalog import Catalog
from ..scoring.score import Advice, ScoredAnalysis
from .db import LoggedSet, NewSet, TrainingLog, default_db_path
from .history import history_advice

__all__ = ["log_analysis", "recording_start", "logged_sets_frame"]

#: History rules look this far back (recovery is measured in days, frequency
#: in workouts; a few months of sets is a small read).
_LOOKBACK = timedelta(days=120)
#: Recording metadata keys that may carry the wall-clock time of the first sample.
_START_KEYS = ("recorded_at", "start_time", "started_at")


def recording_start(scored: ScoredAnalysis) -> datetime:
    """Wall-clock time of the recording's first sample.

    Taken from the recording metadata (``recorded_at`` / ``start_time`` /
    ``started_at``, ISO 8601) if present, else "now minus the recording's
    duration" (a recording analysed right after it was made).
    """
    recording = getattr(scored.analysis, "recording", None)
    metadata = dict(getattr(recording, "metadata", {}) or {})
    for key in _START_KEYS:
        if key in metadata:
            try:
                moment = datetime.fromisoformat(str(metadata[key]).replace("Z", "+00:00"))
            except ValueError:
                raise ConfigError(
                    f"recording metadata {key}: {metadata[key]!r} is not an ISO 8601 time"
                ) from None
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    duration = float(getattr(recording, "duration_s", 0.0) or 0.0)
    return datetime.now(timezone.utc) - timedelta(seconds=duration)


def _time_origin(scored: ScoredAnalysis) -> float:
    recording = getattr(scored.analysis, "recording", None)
    time_s = getattr(recording, "time_s", None)
    return float(time_s[0]) if time_s is not None and len(time_s) else 0.0


def log_analysis(
    db_path: str | PathLike[str] | None,
    scored: ScoredAnalysis,
    *,
    protocol: str | None = None,
    exercise: str | None = None,
    load_kg: float | None = None,
    recorded_at: datetime | None = None,
    source: str | None = None,
    catalog: Catalog | None = None,
    timeout_s: float = 5.0,
) -> list[Advice]:
    """Store every set of ``scored`` in the training log; return the history findings.

    Parameters
    ----------
    db_path
        The database (``None``: :func:`~eccentric_sense.log.default_db_path`).
    scored
        What :func:`eccentric_sense.scoring.score` returned.
    protocol, exercise
        Default to the ones ``scored`` was scored with (exercise ``other`` if unknown).
    load_kg
        The load on the bar (kg), if given.
    recorded_at
        Wall-clock time of the recording's first sample; default
        :func:`recording_start`.  Naive datetimes are UTC.
    catalog
        Default ``scored.catalog`` (thresholds of the history rules).

    Returns
    -------
    list of Advice
        Findings of ``sets_per_bodypart``, ``rest_between_sets``,
        ``recovery_days``, ``frequency``, ``do_them_fresh`` and
        ``pullup_progression`` for the stored sets; ``advice.set`` is the set
        number in this recording.

    Raises
    ------
    TrainingLogError
        The database is corrupt, locked or unwritable (nothing is stored then).
    """
    catalog = catalog or scored.catalog
    protocol = protocol or scored.protocol
    catalog.protocol(protocol)
    exercise = exercise or scored.exercise or "other"
    if load_kg is not None and (not np.isfinite(load_kg) or load_kg < 0):
        raise ConfigError(f"load must be a number of kg >= 0, got {load_kg!r}")
    start = recorded_at or recording_start(scored)
    start = start if start.tzinfo else start.replace(tzinfo=timezone.utc)
    origin = _time_origin(scored)
    if source is None:
        source = getattr(getattr(scored.analysis, "recording", None), "source", None)

    document = scored.to_dict()
    rep_rows = document.get("reps", [])
    new_sets: list[NewSet] = []
    for row in document.get("sets", []):
        number = int(row[C.SET])
        reps = [r for r in rep_rows if r.get(C.SET) == number]
        start_s = row.get(C.SET_START_S)
        end_s = row.get(C.SET_END_S)
        offset = (start_s - origin) if start_s is not None else 0.0
        new_sets.append(NewSet(
            started_at=start + timedelta(seconds=offset),
            duration_s=(end_s - start_s) if start_s is not None and end_s is not None else 0.0,
            protocol=protocol,
            exercise=exercise,
            body_part=catalog.body_part(exercise),
            load_kg=load_kg,
            reps=int(row.get(C.SET_REPS) or len(reps)),
            controlled_reps=sum(1 for r in reps if not r.get(C.FLAGS)),
            time_under_load_s=row.get(C.SET_TIME_UNDER_LOAD_S),
            flags=list(row.get(C.SET_FLAGS) or []),
            rep_table=reps,
            source=source,
            set_in_recording=number,
            catalog_version=catalog.version,
        ))
    if not new_sets:
        return []
    with TrainingLog(db_path if db_path is not None else default_db_path(), timeout_s=timeout_s) as log:
        ids = log.add_sets(new_sets)
        history = log.sets(since=start - _LOOKBACK)
    labels = {i: s.set_in_recording for i, s in zip(ids, new_sets) if s.set_in_recording is not None}
    return history_advice(history, ids, catalog, set_labels=labels)


def logged_sets_frame(sets: list[LoggedSet]) -> pd.DataFrame:
    """The stored sets as a table (``eccentric-sense log list / export``)."""
    columns = [
        "id", "started_at", "protocol", "exercise", "body_part", "load_kg", "reps",
        "controlled_reps", "time_under_load_s", "flags", "source", "set_in_recording",
    ]
    rows: list[dict[str, Any]] = []
    for item in sets:
        data = item.to_dict()
        rows.append({name: data[name] for name in columns})
    return pd.DataFrame(rows, columns=columns)
