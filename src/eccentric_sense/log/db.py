"""The training log: a SQLite database of every analysed set.

One file, versioned with ``PRAGMA user_version`` and migrated forward in a
transaction; WAL journal so a reader (``eccentric-sense log list``) never
blocks a writer.  Every failure a user can cause (a corrupt file, a file that
is not ours, a database locked by another program, a read-only directory)
raises :class:`~eccentric_sense.errors.TrainingLogError` with the path and
what to do, and never loses data: a failed write is rolled back, and a file
we cannot read is left exactly as it was (never recreated or deleted).
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..errors import TrainingLogError

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "ENV_VAR",
    "LoggedSet",
    "NewSet",
    "TrainingLog",
    "default_db_path",
]

#: ``PRAGMA application_id`` of our files ("ESlg"), so we never write into
#: somebody else's SQLite database.
APPLICATION_ID = 0x45536C67
#: Environment variable that overrides the default database path.
ENV_VAR = "ECCENTRIC_SENSE_DB"

#: Forward migrations; ``_MIGRATIONS[k]`` takes the schema from version k to k+1.
_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sets (
        id                INTEGER PRIMARY KEY,
        started_at        TEXT    NOT NULL,  -- ISO 8601, UTC, of the set's first rep
        started_s         REAL    NOT NULL,  -- the same as Unix seconds (for arithmetic)
        ended_s           REAL    NOT NULL,
        protocol          TEXT    NOT NULL,
        exercise          TEXT    NOT NULL,
        body_part         TEXT    NOT NULL,
        load_kg           REAL,
        reps              INTEGER NOT NULL,
        controlled_reps   INTEGER NOT NULL,  -- reps without any flag
        time_under_load_s REAL,
        flags             TEXT    NOT NULL,  -- JSON list of set-level rule ids
        rep_table         TEXT    NOT NULL,  -- JSON list of rep-table rows
        source            TEXT,              -- recording file or device
        set_in_recording  INTEGER,
        catalog_version   TEXT
    );
    CREATE INDEX sets_by_time ON sets (started_s);
    CREATE INDEX sets_by_body_part ON sets (body_part, started_s);
    """,
)
SCHEMA_VERSION = len(_MIGRATIONS)

_COLUMNS = (
    "id", "started_at", "started_s", "ended_s", "protocol", "exercise", "body_part", "load_kg",
    "reps", "controlled_reps", "time_under_load_s", "flags", "rep_table", "source",
    "set_in_recording", "catalog_version",
)


def default_db_path() -> Path:
    """``$ECCENTRIC_SENSE_DB`` if set, else ``training-log.sqlite3`` in the user's data dir."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return platformdirs.user_data_path("eccentric-sense", appauthor=False) / "training-log.sqlite3"


def _utc(moment: datetime) -> datetime:
    """Naive datetimes are taken as UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class NewSet:
    """A set to store (what :func:`~eccentric_sense.log.log_analysis` builds per set)."""

    started_at: datetime
    duration_s: float
    protocol: str
    exercise: str
    body_part: str
    load_kg: float | None
    reps: int
    controlled_reps: int
    time_under_load_s: float | None
    flags: Sequence[str] = ()
    rep_table: Sequence[dict[str, Any]] = ()
    source: str | None = None
    set_in_recording: int | None = None
    catalog_version: str | None = None


@dataclass(frozen=True)
class LoggedSet:
    """A stored set."""

    id: int
    started_at: datetime
    started_s: float
    ended_s: float
    protocol: str
    exercise: str
    body_part: str
    load_kg: float | None
    reps: int
    controlled_reps: int
    time_under_load_s: float | None
    flags: list[str] = field(default_factory=list)
    rep_table: list[dict[str, Any]] | None = None  # None when not loaded
    source: str | None = None
    set_in_recording: int | None = None
    catalog_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in _COLUMNS}
        data["started_at"] = self.started_at.isoformat()
        return data


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in the training log")


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


class TrainingLog:
    """An open training-log database.

    Use as a context manager::

        with TrainingLog(path) as log:
            ids = log.add_sets([...])
            history = log.sets()

    Parameters
    ----------
    path
        The database file; created (with its directory) if missing.
    timeout_s
        How long to wait for another program's lock before giving up.
    """

    def __init__(self, path: str | PathLike[str], *, timeout_s: float = 5.0) -> None:
        self.path = Path(path)
        self.timeout_s = float(timeout_s)
        self._conn: sqlite3.Connection | None = None

    # ------------------------------------------------------------ errors ---
    def _error(self, error: sqlite3.Error, doing: str) -> TrainingLogError:
        text = str(error)
        lowered = text.lower()
        if "locked" in lowered or "busy" in lowered:
            problem = (
                f"the training log is locked by another program ({text}) while {doing}; "
                "nothing was changed, try again when it is done"
            )
        elif "not a database" in lowered or "malformed" in lowered or "corrupt" in lowered:
            problem = (
                f"the file is not a readable training log ({text}); it was left untouched. "
                "Move it away (or use --db / $ECCENTRIC_SENSE_DB) to start a new log"
            )
        elif "readonly" in lowered or "unable to open" in lowered or "disk i/o" in lowered:
            problem = f"cannot write the training log ({text}) while {doing}; check the path and permissions"
        else:
            problem = f"training-log error while {doing}: {text}"
        return TrainingLogError(f"{self.path}: {problem}")

    # ------------------------------------------------------- open/close ---
    def open(self) -> "TrainingLog":
        if self._conn is not None:
            return self
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise TrainingLogError(
                f"{self.path}: cannot create the directory for the training log ({error.strerror})"
            ) from None
        if self.path.is_dir():
            raise TrainingLogError(f"{self.path}: is a directory, not a training-log file")
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout_s, isolation_level=None)
        except sqlite3.Error as error:
            raise self._error(error, "opening it") from None
        self._conn = conn
        try:
            self._prepare()
        except TrainingLogError:
            self.close()
            raise
        except sqlite3.Error as error:
            self.close()
            raise self._error(error, "opening it") from None
        return self

    def _prepare(self) -> None:
        conn = self._conn
        assert conn is not None
        # Reading the header first: a file that is not SQLite fails here,
        # before anything could be written to it.
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        n_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id != APPLICATION_ID and not (app_id == 0 and version == 0 and n_tables == 0):
            raise TrainingLogError(
                f"{self.path}: this SQLite database is not an eccentric-sense training log; "
                "it was left untouched (choose another file with --db)"
            )
        if version > SCHEMA_VERSION:
            raise TrainingLogError(
                f"{self.path}: the training log has schema version {version}, newer than this "
                f"eccentric-sense understands ({SCHEMA_VERSION}); upgrade eccentric-sense"
            )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        if version < SCHEMA_VERSION:
            with self._transaction("upgrading its schema"):
                # Re-read inside the write lock: another process may have migrated meanwhile.
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                for step in range(version, SCHEMA_VERSION):
                    for statement in _MIGRATIONS[step].split(";"):
                        if statement.strip():
                            conn.execute(statement)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> "TrainingLog":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.open()
        assert self._conn is not None
        return self._conn

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[sqlite3.Connection]:
        conn = self.connection
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise self._error(error, doing) from None
        try:
            yield conn
        except BaseException as error:
            conn.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise self._error(error, doing) from None
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as error:
                conn.execute("ROLLBACK")
                raise self._error(error, doing) from None

    # ------------------------------------------------------------- write ---
    def add_sets(self, sets: Sequence[NewSet]) -> list[int]:
        """Store sets in one transaction (all or nothing); returns their ids."""
        rows = []
        for item in sets:
            start = _utc(item.started_at)
            rows.append((
                start.isoformat(),
                start.timestamp(),
                start.timestamp() + max(float(item.duration_s), 0.0),
                item.protocol,
                item.exercise,
                item.body_part,
                _finite_or_none(item.load_kg),
                int(item.reps),
                int(item.controlled_reps),
                _finite_or_none(item.time_under_load_s),
                json.dumps(list(item.flags)),
                json.dumps(list(item.rep_table), default=_json_default, allow_nan=False),
                item.source,
                item.set_in_recording,
                item.catalog_version,
            ))
        ids: list[int] = []
        with self._transaction("storing the sets") as conn:
            for row in rows:
                cursor = conn.execute(
                    f"INSERT INTO sets ({', '.join(_COLUMNS[1:])}) "
                    f"VALUES ({', '.join('?' * (len(_COLUMNS) - 1))})",
                    row,
                )
                ids.append(int(cursor.lastrowid))
        return ids

    # -------------------------------------------------------------- read ---
    def sets(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        with_rep_tables: bool = False,
    ) -> list[LoggedSet]:
        """Stored sets in time order (optionally a time range)."""
        columns = [c for c in _COLUMNS if with_rep_tables or c != "rep_table"]
        query = f"SELECT {', '.join(columns)} FROM sets"
        where, params = [], []
        if since is not None:
            where.append("started_s >= ?")
            params.append(_utc(since).timestamp())
        if until is not None:
            where.append("started_s <= ?")
            params.append(_utc(until).timestamp())
        if where:
            query += " WHERE " + " AND ".join(where)
        query += " ORDER BY started_s, id"
        try:
            rows = self.connection.execute(query, params).fetchall()
        except sqlite3.Error as error:
            raise self._error(error, "reading it") from None
        out = []
        for row in rows:
            data = dict(zip(columns, row))
            data["started_at"] = datetime.fromisoformat(data["started_at"])
            try:
                data["flags"] = json.loads(data["flags"])
                if with_rep_tables:
                    data["rep_table"] = json.loads(data["rep_table"])
            except ValueError:
                raise TrainingLogError(
                    f"{self.path}: set {data['id']} holds damaged JSON; the file was left untouched"
                ) from None
            out.append(LoggedSet(**data))
        return out
