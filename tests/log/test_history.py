"""History rules against a real SQLite training log."""

from __future__ import annotations

import pytest
from helpers_log import new_set

from eccentric_sense.log import TrainingLog, history_advice, workout_ids
from eccentric_sense.scoring import default_catalog, load_catalog


def run(tmp_path, earlier, new, catalog=None):
    """Store ``earlier`` then ``new`` in a real log; return the findings for ``new``."""
    with TrainingLog(tmp_path / "log.sqlite3") as log:
        if earlier:
            log.add_sets(earlier)
        ids = log.add_sets(new)
        return history_advice(log.sets(), ids, catalog or default_catalog())


def rules(advice):
    return [a.rule for a in advice]


# Sets of 40 s: a set started at minute m ends at m + 40 s.

@pytest.mark.parametrize(("gap_min", "flagged"), [(3.0 + 40 / 60 - 0.1, True), (3.0 + 40 / 60 + 0.1, False)])
def test_rest_between_heavy_sets(tmp_path, gap_min, flagged):
    # rest = gap - 40 s set duration: 174 s vs 186 s against 180 s
    advice = run(tmp_path, [new_set(0)], [new_set(gap_min)])
    assert ("rest_between_sets" in rules(advice)) is flagged
    if flagged:
        item = next(a for a in advice if a.rule == "rest_between_sets")
        assert item.detail == "rested 174 s (at least 180 s)"


def test_rest_rule_ignores_ordinary_sets(tmp_path):
    advice = run(tmp_path, [new_set(0, protocol="tempo")], [new_set(1)])
    assert "rest_between_sets" not in rules(advice)


def test_fourth_heavy_set_for_a_body_part(tmp_path):
    earlier = [new_set(0), new_set(5), new_set(10, exercise="dip")]  # bench and dip: both chest
    advice = run(tmp_path, earlier, [new_set(15)])
    assert rules(advice).count("sets_per_bodypart") == 1
    assert "set 4 for chest" in next(a for a in advice if a.rule == "sets_per_bodypart").detail


def test_third_heavy_set_is_fine_and_other_body_parts_do_not_count(tmp_path):
    earlier = [new_set(0), new_set(5), new_set(10, exercise="squat")]
    advice = run(tmp_path, earlier, [new_set(15)])
    assert "sets_per_bodypart" not in rules(advice)


def test_sets_in_another_workout_do_not_count(tmp_path):
    earlier = [new_set(0), new_set(5), new_set(10)]
    advice = run(tmp_path, earlier, [new_set(10 + 95)])  # more than 90 min later: new workout
    assert "sets_per_bodypart" not in rules(advice)


@pytest.mark.parametrize(("hours", "flagged"), [(47.5, True), (48.5, False)])
def test_recovery_days(tmp_path, hours, flagged):
    advice = run(tmp_path, [new_set(0)], [new_set(hours * 60 + 40 / 60)])
    assert ("recovery_days" in rules(advice)) is flagged


def test_recovery_only_for_the_same_muscle_group(tmp_path):
    advice = run(tmp_path, [new_set(0, exercise="squat")], [new_set(24 * 60)])
    assert "recovery_days" not in rules(advice)


def test_recovery_ignores_non_negative_protocols(tmp_path):
    advice = run(tmp_path, [new_set(0, protocol="tempo")], [new_set(24 * 60)])
    assert "recovery_days" not in rules(advice)


def test_frequency_of_negative_only(tmp_path):
    day = 24 * 60
    earlier = [new_set(0, protocol="negative_only", exercise="row"),
               new_set(3 * day, protocol="tempo", exercise="squat")]
    # two workouts ago: too often (at most 1 in 3)
    advice = run(tmp_path, earlier, [new_set(6 * day, protocol="negative_only", exercise="curl")])
    assert "frequency" in rules(advice)


def test_frequency_fine_every_third_workout(tmp_path):
    day = 24 * 60
    earlier = [new_set(0, protocol="negative_only", exercise="row"),
               new_set(3 * day, protocol="tempo"), new_set(6 * day, protocol="tempo")]
    advice = run(tmp_path, earlier, [new_set(9 * day, protocol="negative_only", exercise="curl")])
    assert "frequency" not in rules(advice)


def test_do_them_fresh(tmp_path):
    earlier = [new_set(k * 5, protocol="tempo", exercise="squat") for k in range(4)]
    advice = run(tmp_path, earlier, [new_set(25)])
    item = next(a for a in advice if a.rule == "do_them_fresh")
    assert item.severity == "info" and "4 sets of other exercises" in item.detail


def test_negatives_early_are_fresh(tmp_path):
    earlier = [new_set(k * 5, protocol="tempo", exercise="squat") for k in range(3)]
    assert "do_them_fresh" not in rules(run(tmp_path, earlier, [new_set(20)]))


def pullups(minute, controlled):
    return new_set(minute, protocol="pullup_negative", exercise="pullup", reps=10,
                   controlled_reps=controlled, load_kg=None)


def test_pullup_progression_reached(tmp_path):
    advice = run(tmp_path, [pullups(0, 10), pullups(5, 10)], [pullups(10, 10)])
    item = next(a for a in advice if a.rule == "pullup_progression")
    assert "2 full + 8 negatives" in item.text and "5 + 5" in item.text


def test_pullup_progression_not_yet(tmp_path):
    # third set had only 9 controlled reps
    advice = run(tmp_path, [pullups(0, 10), pullups(5, 10)], [pullups(10, 9)])
    assert "pullup_progression" not in rules(advice)


def test_pullup_progression_reported_once_per_workout(tmp_path):
    advice = run(tmp_path, [pullups(0, 10), pullups(5, 10), pullups(10, 10)], [pullups(15, 10)])
    assert "pullup_progression" not in rules(advice)


def test_thresholds_come_from_the_catalog(tmp_path):
    catalog = load_catalog(overrides=["rest_between_sets.min_rest_s=60", "sets_per_bodypart.max_sets=1"])
    advice = run(tmp_path, [new_set(0)], [new_set(2)], catalog=catalog)  # 80 s rest, 2nd set
    assert rules(advice) == ["sets_per_bodypart"]


def test_workout_ids_split_on_gaps():
    sets = [new_set(0), new_set(60), new_set(200), new_set(210)]
    from eccentric_sense.log.db import LoggedSet

    logged = [LoggedSet(id=k, started_at=s.started_at, started_s=s.started_at.timestamp(),
                        ended_s=s.started_at.timestamp() + s.duration_s, protocol=s.protocol,
                        exercise=s.exercise, body_part=s.body_part, load_kg=s.load_kg, reps=s.reps,
                        controlled_reps=s.controlled_reps, time_under_load_s=None)
              for k, s in enumerate(sets)]
    assert workout_ids(logged, gap_s=90 * 60).tolist() == [0, 0, 1, 1]
