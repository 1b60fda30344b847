"""Load guidance (plan) and the plan command."""

from __future__ import annotations

import json

import pytest

from eccentric_sense.cli import main
from eccentric_sense.errors import ConfigError
from eccentric_sense.scoring import load_catalog, plan


def test_negative_only_is_20_to_40_percent_over_working_weight():
    p = plan("negative_only", 100.0)
    assert (p.load_min_kg, p.load_kg, p.load_max_kg) == (120.0, 125.0, 140.0)
    assert p.descent == ">= 10 s per rep"


def test_negative_only_capped_at_one_rep_max_plus_20_percent():
    p = plan("negative_only", 100.0, one_rep_max_kg=105.0)  # cap 126 kg
    assert (p.load_min_kg, p.load_kg, p.load_max_kg) == (120.0, 125.0, 126.0)


def test_heavy_negatives_relative_to_one_rep_max():
    p = plan("heavy_negatives", 100.0, one_rep_max_kg=120.0)
    # 1RM +5 % .. +20 % = 126 .. 144; working +25 % = 125 is raised to 126
    assert (p.load_min_kg, p.load_kg, p.load_max_kg) == (126.0, 126.0, 144.0)
    assert p.reps == "<= 6 per set" and p.sets == "<= 3 per body part per workout"
    assert p.rest_s == 180.0 and p.descent == ">= 3 s per rep"


def test_negative_accentuated_60_to_70_percent_erring_low():
    p = plan("negative_accentuated", 100.0)
    assert (p.load_min_kg, p.load_kg, p.load_max_kg) == (60.0, 60.0, 70.0)
    assert "double" in p.reps


def test_forced_positive_25_percent_over_8_rep_weight():
    p = plan("forced_positive", 80.0)
    assert p.load_kg == 100.0 and p.reps == "6-10" and p.descent == ">= 6 s per rep"


def test_forced_negative_and_beyond_failure():
    fn = plan("forced_negative", 80.0)
    assert fn.load_kg == 80.0 and any("20 kg" in note for note in fn.notes)
    bf = plan("beyond_failure", 80.0)
    assert bf.reps == "6-10 full reps, then 2-5 assisted negatives"


def test_faded_set_lowers_the_load():
    normal = plan("heavy_negatives", 100.0, one_rep_max_kg=120.0)
    faded = plan("heavy_negatives", 100.0, one_rep_max_kg=120.0, last_set_faded=True)
    assert faded.load_kg == pytest.approx(round(126.0 * 0.9 / 0.5) * 0.5)
    assert faded.load_kg < normal.load_kg
    assert "faded" in faded.notes[0]


def test_plan_uses_catalog_overrides():
    catalog = load_catalog(overrides=["load_guidance.over_working_typical=0.3"])
    assert plan("negative_only", 100.0, catalog=catalog).load_kg == 130.0


def test_pullup_negative_accepts_body_weight_only():
    p = plan("pullup_negative", 0.0)
    assert p.load_kg == 0.0 and p.basis == "body weight"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tempo", 0.0), "working weight must be > 0 kg, got 0"),
        (("tempo", -5.0), "working weight must be > 0 kg"),
        (("tempo", float("nan")), "working weight must be a number of kg"),
        (("tempo", 100.0, 90.0), "one-rep max (90 kg) cannot be below the working weight (100 kg)"),
        (("slow", 100.0), "unknown protocol 'slow'"),
    ],
)
def test_plan_errors(args, message):
    with pytest.raises(ConfigError) as info:
        plan(*args)
    assert message in str(info.value)


def test_plan_command(capsys):
    assert main(["plan", "--protocol", "negative_only", "--working-weight", "100"]) == 0
    out = capsys.readouterr().out
    assert "load: 125 kg (range 120-140 kg" in out and "descent: >= 10 s per rep" in out
    assert main(["plan", "--protocol", "heavy_negatives", "--working-weight", "100", "--one-rep-max", "120",
                 "--json", "--faded", "--rule", "load_guidance.fade_reduction=0.2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["load_kg"] == round(126.0 * 0.8 / 0.5) * 0.5 and doc["rest_s"] == 180.0


def test_plan_command_errors_are_one_line(capsys):
    assert main(["plan", "--protocol", "tempo", "--working-weight", "100", "--rule", "nosuch.x=1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown rule 'nosuch'" in err
    assert main(["plan", "--protocol", "tempo", "--working-weight", "-3"]) == 2
    assert "working weight must be > 0 kg" in capsys.readouterr().err
