"""log_analysis() and the log command, end to end: simulator -> analysis -> scoring -> SQLite."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest
from helpers_log import T0

from eccentric_sense import columns as C
from eccentric_sense.analysis import analyze
from eccentric_sense.cli import main
from eccentric_sense.errors import ConfigError, TrainingLogError
from eccentric_sense.log import TrainingLog, log_analysis
from eccentric_sense.scoring import score
from eccentric_sense.simulate import SetSpec, simulate_set


@pytest.fixture(scope="module")
def scored_heavy_bench():
    sim = simulate_set(SetSpec(exercise="bench", protocol="heavy_negatives", n_reps=4, ecc_s=4.0), seed=11)
    return score(analyze(sim.recording, exercise="bench"), protocol="heavy_negatives")


def test_log_analysis_stores_every_set(tmp_path, scored_heavy_bench):
    path = tmp_path / "log.sqlite3"
    advice = log_analysis(path, scored_heavy_bench, protocol="heavy_negatives", exercise="bench",
                          load_kg=110.0, recorded_at=T0)
    assert advice == []
    with TrainingLog(path) as log:
        stored = log.sets(with_rep_tables=True)
    assert len(stored) == len(scored_heavy_bench.sets) == 1
    item = stored[0]
    assert (item.protocol, item.exercise, item.body_part, item.load_kg) == ("heavy_negatives", "bench", "chest", 110.0)
    assert item.reps == len(scored_heavy_bench.reps)
    assert [r[C.REP] for r in item.rep_table] == scored_heavy_bench.reps[C.REP].tolist()
    assert list(item.rep_table[0]) == list(C.REP_TABLE_COLUMNS)
    # the set's start is the recording start plus the set's offset in the recording
    offset = scored_heavy_bench.sets[C.SET_START_S].iloc[0] - scored_heavy_bench.recording.time_s[0]
    assert item.started_at == T0 + timedelta(seconds=float(offset))


def test_second_set_too_soon_is_reported(tmp_path, scored_heavy_bench):
    path = tmp_path / "log.sqlite3"
    log_analysis(path, scored_heavy_bench, load_kg=110.0, recorded_at=T0)
    advice = log_analysis(path, scored_heavy_bench, load_kg=110.0, recorded_at=T0 + timedelta(minutes=2))
    assert [a.rule for a in advice] == ["rest_between_sets"]
    assert advice[0].set == 1


def test_log_analysis_on_a_corrupt_file_stores_nothing(tmp_path, scored_heavy_bench):
    path = tmp_path / "log.sqlite3"
    path.write_bytes(b"garbage" * 100)
    with pytest.raises(TrainingLogError, match="left untouched"):
        log_analysis(path, scored_heavy_bench, recorded_at=T0)
    assert path.read_bytes() == b"garbage" * 100


def test_bad_load_is_a_config_error(tmp_path, scored_heavy_bench):
    with pytest.raises(ConfigError, match="load must be a number of kg >= 0"):
        log_analysis(tmp_path / "x.sqlite3", scored_heavy_bench, load_kg=-5.0, recorded_at=T0)


def test_log_command_lists_and_exports(tmp_path, scored_heavy_bench, capsys):
    path = tmp_path / "log.sqlite3"
    log_analysis(path, scored_heavy_bench, load_kg=110.0, recorded_at=T0)
    log_analysis(path, scored_heavy_bench, load_kg=115.0, recorded_at=T0 + timedelta(minutes=5))
    capsys.readouterr()

    assert main(["log", "--db", str(path), "list"]) == 0
    table = capsys.readouterr().out
    assert "heavy_negatives" in table and "115.0" in table and "2026-03-02" in table

    assert main(["log", "list", "--db", str(path), "--json"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["load_kg"] for x in lines] == [110.0, 115.0]

    out = tmp_path / "log.csv"
    assert main(["log", "--db", str(path), "export", "--csv", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [r["load_kg"] for r in rows] == ["110.0", "115.0"]
    assert main(["log", "--db", str(path), "export", "--csv", str(out)]) == 2
    assert "already exists (use --overwrite" in capsys.readouterr().err

    out_json = tmp_path / "log.json"
    assert main(["log", "export", "--db", str(path), "--json", str(out_json)]) == 0
    doc = json.loads(out_json.read_text())
    assert len(doc) == 2 and doc[0]["rep_table"][0][C.REP] == 1


def test_log_command_env_var_and_missing_log(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ECCENTRIC_SENSE_DB", str(tmp_path / "none.sqlite3"))
    assert main(["log"]) == 2
    err = capsys.readouterr().err
    assert "none.sqlite3: no training log yet" in err and err.count("\n") == 1


def test_log_command_on_corrupt_file(tmp_path, capsys):
    path = tmp_path / "bad.sqlite3"
    path.write_bytes(b"x" * 4096)
    assert main(["log", "--db", str(path)]) == 2
    assert "not a readable training log" in capsys.readouterr().err
    assert path.read_bytes() == b"x" * 4096
