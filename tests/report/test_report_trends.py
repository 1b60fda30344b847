"""Training-log trends from a real SQLite log written by ``eccentric_sense.log``."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from eccentric_sense import columns as C
from eccentric_sense.cli import main
from eccentric_sense.log import TrainingLog, log_analysis
from eccentric_sense.report import set_history, trend_chart, weekly_trends

MONDAY = datetime(2026, 9, 7, 18, 0, tzinfo=timezone.utc)
# (days after MONDAY, exercise, load kg): three weeks of bench, two sessions of squat.
SESSIONS = [(0, "bench", 80.0), (3, "bench", 82.5), (7, "bench", 85.0), (15, "bench", 90.0), (16, "bench", 87.5),
            (1, "squat", 100.0), (8, "squat", 110.0)]


@pytest.fixture(scope="module")
def log_path(scored, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("log") / "training.sqlite3"
    for days, exercise, load in SESSIONS:
        log_analysis(path, scored, exercise=exercise, load_kg=load, recorded_at=MONDAY + timedelta(days=days))
    return path


@pytest.fixture(scope="module")
def history(log_path: Path):
    with TrainingLog(log_path) as log:
        return set_history(log.sets(with_rep_tables=True))


def test_weekly_aggregates(history, scored):
    n_sets = len(scored.sets)
    assert len(history) == len(SESSIONS) * n_sets
    weekly = weekly_trends(history)
    bench = weekly[weekly["exercise"] == "bench"]
    assert [w.date().isoformat() for w in bench["week"]] == ["2026-09-07", "2026-09-14", "2026-09-21"]
    assert list(bench["max_load_kg"]) == [82.5, 85.0, 90.0]
    assert list(bench["sets"]) == [2 * n_sets, n_sets, 2 * n_sets]
    # every logged set is this recording's set: its mean descent and score are the rep table's
    per_set = scored.reps.groupby(C.SET)
    np.testing.assert_allclose(sorted(history["mean_descent_s"].unique()),
                               sorted(per_set[C.ECC_DURATION_S].mean()), rtol=1e-6)
    np.testing.assert_allclose(sorted(history["mean_control_score"].unique()),
                               sorted(per_set[C.CONTROL_SCORE].mean()), rtol=1e-6)


def test_trend_chart_plots_the_weekly_numbers(history, scored):
    figure = trend_chart(history, "bench", catalog=scored.catalog)
    lines = {line.get_gid(): line for ax in figure.axes for line in ax.lines if line.get_gid()}
    np.testing.assert_allclose(lines["weekly-load"].get_ydata(), [82.5, 85.0, 90.0])
    assert len(lines["set-load"].get_ydata()) == 5 * len(scored.sets)
    assert lines["descent-target"].get_ydata()[0] == scored.catalog.rule("ecc_too_fast").params["tempo"].value
    for ax in figure.axes:
        assert any(unit in ax.get_ylabel() for unit in (", s", ", kg", "0-100"))


def test_history_command_writes_page_and_charts(log_path: Path, tmp_path: Path, capsys):
    out = tmp_path / "trends"
    assert main(["report", "--history", "--db", str(log_path), "--out", str(out)]) == 0
    assert str(out / "history.html") in capsys.readouterr().out
    page = (out / "history.html").read_text(encoding="utf-8")
    for exercise in ("bench", "squat"):
        assert f'<img src="trend-{exercise}.png"' in page
        assert (out / f"trend-{exercise}.png").read_bytes()[:4] == b"\x89PNG"
    assert "2026-09-14" in page


def test_history_without_a_log_is_a_clear_error(tmp_path: Path, capsys):
    missing = tmp_path / "none.sqlite3"
    assert main(["report", "--history", "--db", str(missing), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no training log yet" in err and str(missing) in err
