"""The analyze and demo commands, end to end through the real entry point."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eccentric_sense import columns as C
from eccentric_sense.cli._demo import demo_recording_path
from eccentric_sense.io import write_recording
from eccentric_sense.recording import Recording
from eccentric_sense.simulate import simulate_session
from eccentric_sense.simulate.specs import SetSpec

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eccentric_sense", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="module")
def recording_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sim = simulate_session(
        [SetSpec(exercise="deadlift", protocol="normal", n_reps=4, setup=False, impacts=False)],
        sensor="icm42688",
        sample_rate_hz=200,
        seed=11,
    )
    path = tmp_path_factory.mktemp("rec") / "deadlift.csv"
    write_recording(sim.recording, path)
    return path


def test_json_is_the_only_output_and_follows_the_contract(recording_file: Path) -> None:
    done = run_cli("analyze", str(recording_file), "--exercise", "deadlift", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # fails if anything else was printed
    assert set(document) == {"recording", "sets", "reps"}
    assert document["reps"], "a four-rep set must produce reps"
    for rep in document["reps"]:
        assert list(rep) == list(C.REP_TABLE_COLUMNS)
        assert isinstance(rep[C.FLAGS], list)
        assert 0 <= rep[C.CONTROL_SCORE] <= 100
    for entry in document["sets"]:
        assert entry[C.SET_REPS] == sum(1 for r in document["reps"] if r[C.SET] == entry[C.SET])


def test_csv_export_has_every_rep_table_column(recording_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "reps.csv"
    done = run_cli("analyze", str(recording_file), "--csv", str(out))
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out)
    assert list(table.columns) == list(C.REP_TABLE_COLUMNS)
    assert len(table) >= 1


def test_trace_export_keeps_stdout_json_and_matches_its_reps(recording_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "trace.csv"
    done = run_cli("analyze", str(recording_file), "--exercise", "deadlift", "--json", "--trace", str(out))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # the trace's message does not join the JSON
    trace = pd.read_csv(out)
    assert list(trace.columns) == list(C.TRACE_COLUMNS)
    rate = 1.0 / float(np.median(np.diff(trace[C.TRACE_TIME_S])))
    labelled = {(int(s), int(r)) for s, r in trace.loc[trace[C.REP] > 0, [C.SET, C.REP]].itertuples(index=False)}
    assert labelled == {(rep[C.SET], rep[C.REP]) for rep in document["reps"]}
    for rep in document["reps"]:
        mine = trace[(trace[C.SET] == rep[C.SET]) & (trace[C.REP] == rep[C.REP])]
        assert (mine[C.TRACE_PHASE] == "concentric").sum() / rate == pytest.approx(rep[C.CON_DURATION_S], abs=1.5 / rate)
        lift = mine.loc[mine[C.TRACE_PHASE] == "concentric", C.TRACE_VELOCITY]
        assert lift.max() == pytest.approx(rep[C.CON_PEAK_VELOCITY], abs=0.01)


def test_a_host_stamped_25_hz_sensor_is_named_as_such(tmp_path: Path) -> None:
    # Each sample waits for the next 15 ms connection event: stamps 30 or 45
    # ms apart, a median interval of 25 Hz's 40 ms read as 23 Hz.
    rate = 25.0
    device = np.arange(int(60 * rate)) / rate
    stamps = np.sort(np.ceil(device / 0.015) * 0.015 + np.random.default_rng(2).exponential(0.003, device.size))
    acc = np.tile([0.0, 0.0, 9.80665], (device.size, 1)) + np.random.default_rng(3).normal(0, 0.02, (device.size, 3))
    path = tmp_path / "host25.csv"
    write_recording(Recording(time_s=stamps, acc_mps2=acc), path)
    done = run_cli("analyze", str(path))
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())  # the header may wrap
    assert re.search(r"host25\.csv: unknown exercise, 60\.0 s, 25 Hz sensor, \d+ Hz analysis rate", text)
    assert "below the 25 Hz" not in done.stdout


@pytest.mark.parametrize("command, option", [("analyze", "--csv"), ("analyze", "--trace"), ("report", "--out")])
def test_an_output_file_that_cannot_be_written_is_one_line_of_error(
    recording_file: Path, tmp_path: Path, command: str, option: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    done = run_cli(command, str(recording_file), option, str(blocker / "out"))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("eccentric-sense: error: ") and done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["analyze", "missing.csv"], "missing.csv: file not found"),
        (["analyze", "{bad}", "--rule", "hard_bottom.nonsense=3"], "nonsense"),
        (["analyze", "{bad}", "--rule", "no_such_rule.x=1"], "no_such_rule"),
    ],
)
def test_bad_input_is_one_clear_line(args: list[str], expected: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n0.01,0,zero,1\n")
    args = [a.replace("{bad}", str(bad)) for a in args]
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("factor", "unit", "expected"),
    [(9.80665, "g", "acc_x_mps2"), (1.0, "mps2", "acc_x_g"), (16384.0, "g", "raw sensor counts")],
)
def test_an_accelerometer_in_the_wrong_units_is_one_clear_line(factor: float, unit: str, expected: str, tmp_path: Path) -> None:
    # A still bar in g, written as m/s^2 under "_g" names, as g under
    # "_mps2" names, or as an MPU-6050's raw counts: before, each gave
    # "no reps found" and exit code 0.
    rows = 500
    t = np.arange(rows) / 100.0
    acc = np.tile([0.02, -0.01, 1.0], (rows, 1)) * factor
    frame = pd.DataFrame({"time_s": t, f"acc_x_{unit}": acc[:, 0], f"acc_y_{unit}": acc[:, 1], f"acc_z_{unit}": acc[:, 2]})
    bad = tmp_path / "units.csv"
    frame.to_csv(bad, index=False)
    done = run_cli("analyze", str(bad))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "units.csv" in lines[0] and "about 1 g expected" in lines[0] and expected in lines[0]
    # The same still bar in the right units is analysed (no reps, exit code 0).
    acc_right = np.tile([0.02, -0.01, 1.0], (rows, 1))
    pd.DataFrame({"time_s": t, "acc_x_g": acc_right[:, 0], "acc_y_g": acc_right[:, 1], "acc_z_g": acc_right[:, 2]}).to_csv(bad, index=False)
    assert run_cli("analyze", str(bad)).returncode == 0


def test_low_rate_and_dropouts_are_told_with_the_results(recording_file: Path, tmp_path: Path) -> None:
    # The analysis copes with a 10 Hz logger and a 30 s dropout, but the
    # user must hear that the numbers are rougher or that reps may be cut.
    from eccentric_sense.io import read_recording
    from eccentric_sense.recording import Recording

    clean = read_recording(recording_file)
    slow = Recording(time_s=clean.time_s[::20], acc_mps2=clean.acc_mps2[::20], gyr_rads=clean.gyr_rads[::20],
                     metadata=dict(clean.metadata))
    jump = np.where(clean.time_s > clean.time_s[clean.n_samples // 2], clean.time_s + 30.0, clean.time_s)
    dropout = Recording(time_s=jump, acc_mps2=clean.acc_mps2, gyr_rads=clean.gyr_rads, metadata=dict(clean.metadata))
    write_recording(slow, tmp_path / "slow.csv")
    write_recording(dropout, tmp_path / "dropout.csv")
    human = run_cli("analyze", str(tmp_path / "slow.csv"))
    assert human.returncode == 0, human.stderr
    assert "Note: the data arrived at 10 Hz, below the 25 Hz" in human.stdout
    done = run_cli("analyze", str(tmp_path / "dropout.csv"), "--json")
    assert done.returncode == 0, done.stderr
    notes = json.loads(done.stdout)["recording"]["analysis_notes"]
    assert len(notes) == 1 and notes[0].startswith("1 data gap of 30.0 s")
    plain = json.loads(run_cli("analyze", str(recording_file), "--json").stdout)
    assert "analysis_notes" not in plain["recording"]  # a clean recording carries none


def test_non_numeric_cell_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n0.01,0,zero,1\n")
    done = run_cli("analyze", str(bad))
    assert done.returncode == 2
    assert "line 3" in done.stderr and "acc_y_g" in done.stderr


def test_demo_analyses_the_bundled_sample_and_writes_its_report(tmp_path: Path) -> None:
    done = run_cli("demo", "--out", str(tmp_path / "demo-report"))
    assert done.returncode == 0, done.stderr
    assert "Set 1" in done.stdout
    assert "bench" in done.stdout
    report = tmp_path / "demo-report" / "report.html"
    assert f"report written to {report}" in done.stdout
    assert report.exists() and (tmp_path / "demo-report" / "set-1-tempo.png").exists()


def test_bundled_demo_file_is_the_sample_recording() -> None:
    bundled = demo_recording_path().read_bytes()
    sample = (ROOT / "sample_recordings" / "bench_tempo_2sets.csv").read_bytes()
    assert hashlib.sha256(bundled).hexdigest() == hashlib.sha256(sample).hexdigest()


def test_log_option_stores_sets_in_a_real_database(recording_file: Path, tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite"
    done = run_cli("analyze", str(recording_file), "--exercise", "deadlift", "--protocol", "heavy_negatives",
                   "--log", "--load", "140", "--db", str(db), "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert set(document) == {"recording", "sets", "reps"}
    import sqlite3

    with sqlite3.connect(db) as connection:
        tables = {row[0] for row in connection.execute("select name from sqlite_master where type='table'")}
    assert tables, "the training log must create its tables"
    with sqlite3.connect(db) as connection:
        stored = {row[0] for row in connection.execute("select name from sqlite_master where type='table'")}
        set_table = next(t for t in stored if "set" in t)
        count = connection.execute(f"select count(*) from {set_table}").fetchone()[0]
    assert count == len(document["sets"])
