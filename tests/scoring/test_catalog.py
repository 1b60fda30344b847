"""The criteria catalog: completeness, validation and overrides."""

from __future__ import annotations

import copy
import sys

import pytest

from eccentric_sense import columns
from eccentric_sense.constants import DROP_ACC_G, DROP_MIN_DURATION_S, EXERCISES
from eccentric_sense.errors import ConfigError
from eccentric_sense.scoring import catalog as cat
from eccentric_sense.scoring.catalog import (
    PROTOCOLS,
    catalog_from_mapping,
    default_catalog,
    load_catalog,
    parse_rule_overrides,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Every rule id of shared/spec/criteria.md (rep, set, session/history, load).
CRITERIA_IDS = [
    "ecc_too_fast", "uncontrolled_descent", "hard_bottom", "late_braking", "unsteady_handoff",
    "short_rom", "slow_concentric", "swinging",
    "control_fading", "too_many_reps", "negatives_count", "rep_range", "time_under_load",
    "sets_per_bodypart", "rest_between_sets", "recovery_days", "frequency", "do_them_fresh",
    "pullup_progression", "load_guidance",
]


def raw_catalog() -> dict:
    from importlib import resources

    text = resources.files("eccentric_sense.scoring").joinpath("criteria.toml").read_text("utf-8")
    return tomllib.loads(text)


def test_every_criteria_rule_is_in_the_catalog():
    catalog = default_catalog()
    missing = [rid for rid in CRITERIA_IDS if rid not in catalog.rules]
    assert missing == []
    # and the exercise advice of criteria.md (three bullets) is there too
    assert len(catalog.rules_at("exercise")) >= 3


def test_protocols_and_their_eccentric_targets():
    catalog = default_catalog()
    assert tuple(catalog.protocols) == PROTOCOLS
    targets = {p: (catalog.rule("ecc_too_fast").params[p].value, catalog.rule("ecc_too_fast").params[p].unit)
               for p in PROTOCOLS}
    assert targets == {
        "tempo": (3.0, "s"),
        "negative_only": (10.0, "s"),
        "negative_emphasized": (2.0, "ratio"),
        "negative_accentuated": (2.0, "ratio"),
        "heavy_negatives": (3.0, "s"),
        "beyond_failure": (6.0, "s"),
        "forced_positive": (6.0, "s"),
        "forced_negative": (5.0, "s"),
        "pullup_negative": (3.0, "s"),
    }


def test_uncontrolled_descent_matches_the_analysis_constants():
    rule = default_catalog().rule("uncontrolled_descent")
    assert rule.value("acc_g") == DROP_ACC_G
    assert rule.value("min_duration_s") == DROP_MIN_DURATION_S


def test_analysis_settings_take_the_catalog_threshold():
    from eccentric_sense.scoring import analysis_settings

    settings = analysis_settings(load_catalog(overrides=["uncontrolled_descent.acc_g=0.7"]))
    assert settings.drop_acc_g == 0.7
    assert settings.drop_min_duration_s == DROP_MIN_DURATION_S


def test_every_rule_is_documented_and_sourced():
    catalog = default_catalog()
    for rule in catalog.rules.values():
        assert rule.sources and rule.advice and rule.title
        assert rule.checkable or rule.reason
        for col in rule.columns:
            assert col in columns.REP_TABLE_COLUMNS or col in columns.SET_TABLE_COLUMNS
    for exercise in EXERCISES:
        assert catalog.body_part(exercise)


def test_catalog_is_loaded_once():
    assert default_catalog() is default_catalog()
    assert load_catalog() is default_catalog()


def test_overrides_from_strings_and_mappings():
    catalog = load_catalog(overrides=["hard_bottom.max_decel_m_s2=4.5", "ecc_too_fast.negative_only=8"])
    assert catalog.value("hard_bottom", "max_decel_m_s2") == 4.5
    assert catalog.value("ecc_too_fast", "negative_only") == 8.0
    assert set(catalog.overridden) == {"hard_bottom.max_decel_m_s2", "ecc_too_fast.negative_only"}
    # the shipped catalog is untouched
    assert default_catalog().value("hard_bottom", "max_decel_m_s2") == 3.0
    again = default_catalog().with_overrides({"settings": {"workout_gap_min": 120}})
    assert again.setting("workout_gap_min") == 120.0


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("nosuch.x=1", "unknown rule 'nosuch'; valid rule ids: ecc_too_fast, uncontrolled_descent"),
        ("hard_bottom.nosuch=1", "'hard_bottom' has no parameter 'nosuch'; its parameters: max_decel_m_s2"),
        ("time_under_load.x=1", "this rule has no thresholds"),
        ("hard_bottom.max_decel_m_s2=abc", "'abc' is not a number"),
        ("hard_bottom=3", "expected RULE.PARAM=VALUE"),
        ("hard_bottom.max_decel_m_s2=", "expected RULE.PARAM=VALUE"),
        ("hard_bottom.max_decel_m_s2=-1", "must be a finite number >= 0"),
        ("hard_bottom.max_decel_m_s2=nan", "must be a finite number >= 0"),
        ("too_many_reps.max_reps=6.5", "must be a whole number"),
        ("short_rom.min_fraction_of_median=1.5", "is a fraction and must be between 0 and 1"),
        ("settings.nosuch=1", "'settings' has no parameter 'nosuch'"),
    ],
)
def test_bad_overrides_are_config_errors_with_clear_messages(item, message):
    with pytest.raises(ConfigError) as info:
        load_catalog(overrides=[item])
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_rule_message_lists_every_valid_id():
    with pytest.raises(ConfigError) as info:
        load_catalog(overrides={"nosuch": {"x": 1}})
    for rid in CRITERIA_IDS:
        assert rid in str(info.value)


def test_parse_rule_overrides_groups_by_rule():
    assert parse_rule_overrides(["a.b=1", "a.c=2.5", "d.e=3"]) == {"a": {"b": 1.0, "c": 2.5}, "d": {"e": 3.0}}


def test_user_file_overrides(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        "[rules.hard_bottom.params]\nmax_decel_m_s2 = 5.0\n"
        "[rules.ecc_too_fast.params.tempo]\nvalue = 4\n"
        "[settings.params]\nworkout_gap_min = 60\n"
        "[exercises.other]\nbody_part = \"core\"\n"
    )
    catalog = load_catalog(path, overrides=["hard_bottom.max_decel_m_s2=6"])
    assert catalog.value("hard_bottom", "max_decel_m_s2") == 6.0  # --rule wins over the file
    assert catalog.value("ecc_too_fast", "tempo") == 4.0
    assert catalog.setting("workout_gap_min") == 60.0
    assert catalog.body_part("other") == "core"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rules.nosuch.params]\nx = 1\n", "unknown rule 'nosuch'"),
        ("[rules.hard_bottom]\nseverity = \"info\"\n", "rules.hard_bottom may only contain a params table"),
        ("[rules.hard_bottom.params]\nmax_decel_m_s2 = \"high\"\n", "must be a number (m/s^2), got 'high'"),
        ("[rules.hard_bottom.params.max_decel_m_s2]\nvalue = 4\nunit = \"g\"\n", "may only set 'value'"),
        ("[nonsense]\nx = 1\n", "unknown top-level keys ['nonsense']"),
        ("[exercises.snatch]\nbody_part = \"x\"\n", "unknown exercise 'snatch'"),
        ("this is = not = toml\n", "not valid TOML"),
    ],
)
def test_bad_user_files(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_catalog(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_missing_user_file(tmp_path):
    with pytest.raises(ConfigError, match="criteria file not found"):
        load_catalog(tmp_path / "none.toml")


def _broken(mutate) -> str:
    raw = copy.deepcopy(raw_catalog())
    mutate(raw)
    with pytest.raises(ConfigError) as info:
        catalog_from_mapping(raw)
    return str(info.value)


def test_validation_rejects_unknown_column():
    msg = _broken(lambda r: r["rules"]["hard_bottom"].__setitem__("columns", ["bottom_decel"]))
    assert "rules.hard_bottom: column 'bottom_decel' is not a rep-table or set-table column" in msg


def test_validation_rejects_unknown_unit():
    msg = _broken(lambda r: r["rules"]["hard_bottom"]["params"]["max_decel_m_s2"].__setitem__("unit", "furlong"))
    assert "unknown unit 'furlong'" in msg and "m/s^2" in msg


def test_validation_rejects_unknown_protocol_reference():
    msg = _broken(lambda r: r["rules"]["too_many_reps"].__setitem__("protocols", ["heavy_negative"]))
    assert "unknown protocol 'heavy_negative'" in msg and "heavy_negatives" in msg


def test_validation_rejects_missing_protocol():
    msg = _broken(lambda r: r["protocols"].pop("forced_negative"))
    assert "missing: ['forced_negative']" in msg


def test_validation_rejects_unknown_source_signal_and_key():
    assert "unknown source 'WIKI'" in _broken(lambda r: r["rules"]["swinging"].__setitem__("sources", ["WIKI"]))
    assert "signal 'jerk' is not a Kinematics array" in _broken(
        lambda r: r["rules"]["swinging"].__setitem__("signals", ["jerk"])
    )
    assert "unknown keys ['treshold']" in _broken(lambda r: r["rules"]["swinging"].__setitem__("treshold", 1))


def test_validation_requires_reason_for_uncheckable_rules():
    msg = _broken(lambda r: r["rules"]["load_guidance"].pop("reason"))
    assert "rules.load_guidance: checkable = false needs a reason" in msg


def test_validation_requires_targets_for_every_protocol():
    msg = _broken(lambda r: r["rules"]["ecc_too_fast"]["params"].pop("tempo"))
    assert "no eccentric target for protocols tempo" in msg


def test_validation_rejects_wrong_schema():
    assert "schema must be 1" in _broken(lambda r: r.__setitem__("schema", 2))


def test_rule_applies_to():
    catalog = default_catalog()
    assert catalog.rule("slow_concentric").applies_to("negative_only")
    assert not catalog.rule("slow_concentric").applies_to("tempo")
    assert catalog.rule("swinging").applies_to("tempo", "pullup")
    assert not catalog.rule("swinging").applies_to("tempo", "bench")


def test_unknown_protocol_message():
    with pytest.raises(ConfigError, match="unknown protocol 'negatives'; valid protocols: tempo, negative_only"):
        default_catalog().protocol("negatives")


def test_docs_table_lists_every_rule():
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs" / "criteria.md"
    text = docs.read_text(encoding="utf-8")
    for rid in default_catalog().rules:
        assert f"`{rid}`" in text, rid
    assert cat.rules_markdown_table(default_catalog()) in text
