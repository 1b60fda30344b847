"""The training log: every analysed set in a SQLite file, and the history rules.

>>> advice = log_analysis(None, scored, protocol="heavy_negatives",     # doctest: +SKIP
...                       exercise="bench", load_kg=120.0,
...                       recorded_at=datetime.now(timezone.utc))
"""

from __future__ import annotations

from .api import log_analysis, logged_sets_frame
from .db import APPLICATION_ID, ENV_VAR, SCHEMA_VERSION, LoggedSet, NewSet, TrainingLog, default_db_path
from .history import history_advice, workout_ids

__all__ = [
    "APPLICATION_ID",
    "ENV_VAR",
    "SCHEMA_VERSION",
    "LoggedSet",
    "NewSet",
    "TrainingLog",
    "default_db_path",
    "history_advice",
    "log_analysis",
    "logged_sets_frame",
    "workout_ids",
]
