"""The training-log database on real SQLite files."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from helpers_log import T0, new_set

from eccentric_sense.errors import TrainingLogError
from eccentric_sense.log import APPLICATION_ID, ENV_VAR, SCHEMA_VERSION, TrainingLog, default_db_path


def test_create_store_and_read_back(tmp_path):
    path = tmp_path / "sub" / "log.sqlite3"
    with TrainingLog(path) as log:
        ids = log.add_sets([new_set(0), new_set(5, exercise="squat", load_kg=None)])
    assert path.exists() and len(ids) == 2
    with TrainingLog(path) as log:
        sets = log.sets(with_rep_tables=True)
    assert [s.id for s in sets] == ids
    assert [s.exercise for s in sets] == ["bench", "squat"]
    assert [s.body_part for s in sets] == ["chest", "legs"]
    assert sets[0].started_at == T0
    assert sets[0].ended_s - sets[0].started_s == pytest.approx(40.0)
    assert sets[1].load_kg is None
    assert sets[0].rep_table[0]["ecc_duration_s"] == 4.0
    assert sets[0].flags == []
    # without rep tables unless asked
    with TrainingLog(path) as log:
        assert log.sets()[0].rep_table is None
        assert [s.id for s in log.sets(since=T0 + timedelta(minutes=1))] == ids[1:]


def test_schema_version_application_id_and_wal(tmp_path):
    path = tmp_path / "log.sqlite3"
    TrainingLog(path).open().close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "log.sqlite3"
    TrainingLog(path).open().close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(TrainingLogError, match="newer than this eccentric-sense understands"):
        TrainingLog(path).open()


def test_corrupt_file_is_an_error_and_left_untouched(tmp_path):
    path = tmp_path / "log.sqlite3"
    garbage = b"this is not a database, just bytes \x00\x01\x02" * 200
    path.write_bytes(garbage)
    with pytest.raises(TrainingLogError) as info:
        with TrainingLog(path) as log:
            log.add_sets([new_set(0)])
    message = str(info.value)
    assert str(path) in message and "not a readable training log" in message and "left untouched" in message
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.sqlite3"]


def test_damaged_database_pages_are_an_error(tmp_path):
    path = tmp_path / "log.sqlite3"
    with TrainingLog(path) as log:
        log.add_sets([new_set(k) for k in range(50)])
    # checkpoint the WAL into the main file, then overwrite its pages after the header
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)
    path.write_bytes(bytes(data))
    with pytest.raises(TrainingLogError, match="not a readable training log|training-log error"):
        with TrainingLog(path) as log:
            log.sets()
    assert path.read_bytes() == bytes(data)


def test_foreign_sqlite_database_is_not_touched(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(TrainingLogError, match="not an eccentric-sense training log"):
        TrainingLog(path).open()
    assert path.read_bytes() == before


def test_locked_database_gives_clear_error_and_loses_nothing(tmp_path):
    path = tmp_path / "log.sqlite3"
    with TrainingLog(path) as log:
        log.add_sets([new_set(0)])
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        holder.execute("INSERT INTO sets (started_at, started_s, ended_s, protocol, exercise, body_part, reps,"
                       " controlled_reps, flags, rep_table) VALUES ('x', 1, 2, 'tempo', 'bench', 'chest', 1, 1,"
                       " '[]', '[]')")
        with pytest.raises(TrainingLogError) as info:
            with TrainingLog(path, timeout_s=0.05) as log:
                log.add_sets([new_set(10), new_set(20)])
        assert "locked by another program" in str(info.value)
        assert "nothing was changed" in str(info.value)
        assert str(path) in str(info.value)
        # readers are not blocked (WAL) and see only the committed set
        with TrainingLog(path) as log:
            assert len(log.sets()) == 1
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with TrainingLog(path) as log:
        assert len(log.sets()) == 1
        log.add_sets([new_set(30)])  # and the log works again afterwards
        assert len(log.sets()) == 2


def test_failed_batch_is_rolled_back(tmp_path):
    path = tmp_path / "log.sqlite3"
    bad = new_set(5)
    object.__setattr__(bad, "protocol", None)  # violates NOT NULL on the second insert
    with TrainingLog(path) as log:
        log.add_sets([new_set(0)])
        with pytest.raises(TrainingLogError, match="NOT NULL constraint failed"):
            log.add_sets([new_set(1), bad])
        assert len(log.sets()) == 1  # the first row of the failed batch is gone too


def test_directory_path_is_an_error(tmp_path):
    with pytest.raises(TrainingLogError, match="is a directory"):
        TrainingLog(tmp_path).open()


def test_default_path_env_var(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "x.sqlite3"))
    assert default_db_path() == tmp_path / "x.sqlite3"
    monkeypatch.delenv(ENV_VAR)
    assert default_db_path().name == "training-log.sqlite3"
    assert "eccentric-sense" in str(default_db_path())
