"""Foreign layouts: ColumnMapping, the presets, recognising them, and their errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from eccentric_sense.constants import STANDARD_GRAVITY
from eccentric_sense.errors import ConfigError, RecordingFormatError
from eccentric_sense.io import PRESETS, ColumnMapping, describe_formats, read_any, read_with_mapping
from eccentric_sense.io.canonical import FORMAT_NAMES

from helpers_io import (
    EPOCH0_MS,
    WITMOTION_OLD_HEADER,
    arduino_text,
    canonical_text,
    witmotion_new_text,
    witmotion_old_text,
    write,
    write_metabase_pair,
)


def test_format_names_listed_everywhere() -> None:
    assert set(PRESETS) == {"canonical", "metabase", "arduino", "witmotion", "headerless"}
    assert set(FORMAT_NAMES) == set(PRESETS)
    text = describe_formats()
    for name, preset in PRESETS.items():
        assert name in text and preset.example in text


def test_unknown_format_is_a_config_error_listing_the_valid_ones(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", canonical_text())
    with pytest.raises(ConfigError) as info:
        read_any(path, format="metawear")
    assert "'metawear'" in str(info.value)
    for name in PRESETS:
        assert name in str(info.value)


# ----------------------------------------------------------------------------- ColumnMapping


def test_mapping_ms_time_mg_acc_rads_gyro_semicolons_and_skipped_rows(tmp_path: Path) -> None:
    text = "logger v2\nfirmware 1.3\nT;X;Y;Z;RX;RY;RZ;batt\n0;0;0;1000;0.1;0;0;3.9\n20;0;500;1000;0.2;0;0;3.9\n"
    mapping = ColumnMapping(
        time="T", time_unit="ms", acc=("X", "Y", "Z"), acc_unit="mg", gyr=("RX", "RY", "RZ"), gyr_unit="rads",
        delimiter=";", skip_rows=2,
    )
    rec = read_with_mapping(write(tmp_path / "m.csv", text), mapping)
    np.testing.assert_allclose(rec.time_s, [0, 0.02])
    np.testing.assert_allclose(rec.acc_mps2[1], [0, 0.5 * STANDARD_GRAVITY, STANDARD_GRAVITY])
    np.testing.assert_allclose(rec.gyr_rads[:, 0], [0.1, 0.2])
    np.testing.assert_allclose(rec.extra["batt"], [3.9, 3.9])


def test_mapping_iso_timestamps_and_us(tmp_path: Path) -> None:
    text = "stamp,ax,ay,az\n2024-05-01T17:03:12.250+02:00,0,0,1\n2024-05-01T17:03:12.260+02:00,0,0,1\n2024-05-01T15:03:12.275Z,0,0,1\n"
    rec = read_with_mapping(write(tmp_path / "iso.csv", text), ColumnMapping(time="stamp", time_unit="iso", acc=("ax", "ay", "az")))
    np.testing.assert_allclose(rec.time_s, [0, 0.010, 0.025], atol=1e-9)
    assert rec.metadata["start_time"] == "2024-05-01T17:03:12.250+02:00"
    text_us = "t,ax,ay,az\n1000000,0,0,1\n1005000,0,0,1\n"
    rec = read_with_mapping(write(tmp_path / "us.csv", text_us), ColumnMapping(time="t", time_unit="us", acc=("ax", "ay", "az")))
    np.testing.assert_allclose(rec.time_s, [1.0, 1.005])


def test_mapping_epoch_ms_starts_at_zero_and_keeps_start(tmp_path: Path) -> None:
    text = f"e,ax,ay,az\n{EPOCH0_MS},0,0,1\n{EPOCH0_MS + 5},0,0,1\n"
    rec = read_with_mapping(write(tmp_path / "e.csv", text), ColumnMapping(time="e", time_unit="epoch_ms", acc=("ax", "ay", "az")))
    np.testing.assert_allclose(rec.time_s, [0, 0.005], atol=1e-12)
    assert rec.metadata["start_time"].startswith("2019-01-11T15:10:08.270")


def test_mapping_headerless_column_list(tmp_path: Path) -> None:
    mapping = ColumnMapping(time="t", acc=("x", "y", "z"), columns=("t", "x", "y", "z"), delimiter=None)
    rec = read_with_mapping(write(tmp_path / "h.txt", "0 0 0 1\n0.01   0 0 1\n"), mapping)
    np.testing.assert_allclose(rec.time_s, [0, 0.01])


def test_mapping_bad_timestamp_names_line_and_column(tmp_path: Path) -> None:
    text = "stamp,ax,ay,az\n2024-05-01T17:03:12.250,0,0,1\nyesterday,0,0,1\n"
    with pytest.raises(RecordingFormatError) as info:
        read_with_mapping(write(tmp_path / "iso.csv", text), ColumnMapping(time="stamp", time_unit="iso", acc=("ax", "ay", "az")))
    assert (info.value.line, info.value.column) == (3, "stamp")
    assert "'yesterday' is not a timestamp" in info.value.problem


def test_mapping_missing_columns_named(tmp_path: Path) -> None:
    with pytest.raises(RecordingFormatError) as info:
        read_with_mapping(write(tmp_path / "m.csv", "t,ax,ay\n0,0,0\n"), ColumnMapping(time="t", acc=("ax", "ay", "az")))
    assert info.value.line == 1 and info.value.column == "az"
    assert "missing column 'az'" in info.value.problem and "found: t, ax, ay" in info.value.problem


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"acc_unit": "G"}, "unknown acc_unit 'G'; valid: g, mps2, mg"),
        ({"gyr_unit": "rpm"}, "unknown gyr_unit 'rpm'; valid: dps, rads"),
        ({"time_unit": "min"}, "unknown time_unit 'min'"),
        ({"acc": ("x", "y")}, "exactly three column names"),
        ({"delimiter": "::"}, "one character"),
        ({"skip_rows": -1}, "non-negative"),
        ({"columns": ("t", "x", "y")}, "lacks z"),
    ],
)
def test_invalid_mapping_is_a_config_error(kwargs: dict, fragment: str) -> None:
    base = {"time": "t", "acc": ("x", "y", "z")}
    base.update(kwargs)
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        ColumnMapping(**base)


def test_read_any_with_mapping_overrides_detection(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "a,b,c,d\n0,0,0,1\n1,0,0,1\n")
    rec = read_any(path, mapping=ColumnMapping(time="a", acc=("b", "c", "d"), time_unit="ms"))
    np.testing.assert_allclose(rec.time_s, [0, 0.001])


# ----------------------------------------------------------------------------- MetaBase


def test_metabase_merges_gyroscope_partner(tmp_path: Path) -> None:
    acc_path, _ = write_metabase_pair(tmp_path)
    rec = read_any(acc_path)
    assert rec.n_samples == 20
    np.testing.assert_allclose(rec.time_s, 0.08 * np.arange(20), atol=1e-9)
    np.testing.assert_allclose(rec.acc_g[:, 1], np.round(np.linspace(0, 0.19, 20), 3), atol=1e-9)
    # gyro ramp: 10 deg/s per second from 20 ms before the first accelerometer sample
    expected = 10.0 * (0.02 + rec.time_s)
    np.testing.assert_allclose(rec.gyr_dps[:, 0], expected, atol=2e-3)
    np.testing.assert_allclose(rec.gyr_dps[:, 1], -expected, atol=2e-3)
    assert rec.metadata["gyroscope_file"].endswith("_Gyroscope_25.000Hz_1.4.4.csv")
    assert rec.metadata["start_time"].startswith("2019-01-11T15:10:08.270")
    assert rec.extra == {}  # time text and elapsed columns are not carried


def test_metabase_gyroscope_file_finds_its_accelerometer(tmp_path: Path) -> None:
    acc_path, gyr_path = write_metabase_pair(tmp_path)
    assert gyr_path is not None
    from_gyr = read_any(gyr_path)
    from_acc = read_any(acc_path)
    np.testing.assert_array_equal(from_gyr.acc_mps2, from_acc.acc_mps2)
    assert from_gyr.source == str(acc_path)


def test_metabase_without_partner_is_accelerometer_only(tmp_path: Path) -> None:
    acc_path, _ = write_metabase_pair(tmp_path, with_gyro=False)
    rec = read_any(acc_path, format="metabase")
    assert rec.gyr_rads is None and rec.n_samples == 20


def test_metabase_partner_outside_the_accelerometer_span_is_trimmed(tmp_path: Path) -> None:
    acc_path, gyr_path = write_metabase_pair(tmp_path)
    lines = gyr_path.read_text().splitlines()
    gyr_path.write_text("\n".join(lines[:20]) + "\n")  # gyroscope stops after ~0.74 s
    rec = read_any(acc_path)
    last_gyro_ms = int(lines[19].split(",")[0])
    assert rec.time_s[-1] <= (last_gyro_ms - EPOCH0_MS) / 1000
    assert int(rec.metadata["reader_dropped_acc_outside_gyroscope"]) == 20 - rec.n_samples > 0


def test_metabase_bad_cell_in_partner_names_the_partner(tmp_path: Path) -> None:
    acc_path, gyr_path = write_metabase_pair(tmp_path)
    lines = gyr_path.read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0] + ",oops"
    gyr_path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordingFormatError) as info:
        read_any(acc_path)
    assert info.value.path == str(gyr_path)
    assert (info.value.line, info.value.column) == (6, "z-axis (deg/s)")


def test_metabase_magnetometer_file_is_refused_with_advice(tmp_path: Path) -> None:
    text = "epoch (ms),time (01:00),elapsed (s),x-axis (T),y-axis (T),z-axis (T)\n1547219408270,t,0.000,0.1,0.2,0.3\n"
    with pytest.raises(RecordingFormatError, match=r"'T' data.*_Accelerometer_"):
        read_any(write(tmp_path / "x_Magnetometer_25Hz.csv", text))


def test_metabase_time_going_backwards(tmp_path: Path) -> None:
    acc_path, _ = write_metabase_pair(tmp_path, with_gyro=False)
    lines = acc_path.read_text().splitlines()
    lines[4] = str(EPOCH0_MS - 1000) + "," + lines[4].split(",", 1)[1]
    acc_path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecordingFormatError) as info:
        read_any(acc_path)
    assert (info.value.line, info.value.column) == (5, "epoch (ms)")


# ----------------------------------------------------------------------------- WitMotion


def test_witmotion_new_software_export(tmp_path: Path) -> None:
    rec = read_any(write(tmp_path / "wit.txt", witmotion_new_text()))
    np.testing.assert_allclose(rec.time_s, 0.02 * np.arange(6), atol=1e-9)
    np.testing.assert_allclose(rec.acc_g[0], [0.01, 0.02, 1.0])
    np.testing.assert_allclose(rec.gyr_dps[:, 0], 2.0 * np.arange(6))
    assert rec.metadata["device"].startswith("WitMotion")
    assert "Angle X(°)" in rec.extra


def test_witmotion_gbk_encoded_export(tmp_path: Path) -> None:
    rec = read_any(write(tmp_path / "wit.txt", witmotion_new_text(), encoding="gbk"))
    np.testing.assert_allclose(rec.gyr_dps[:, 0], 2.0 * np.arange(6))


def test_witmotion_old_software_export(tmp_path: Path) -> None:
    rec = read_any(write(tmp_path / "wit.txt", witmotion_old_text()))
    np.testing.assert_allclose(rec.time_s, 0.005 * np.arange(6), atol=1e-9)
    np.testing.assert_allclose(rec.gyr_dps[:, 0], np.arange(6.0))


def test_witmotion_sdk_record_with_start_line(tmp_path: Path) -> None:
    header = "Chiptime\tax(g)\tay(g)\taz(g)\twx(deg/s)\twy(deg/s)\twz(deg/s)\tAngleX(deg)\tAngleY(deg)\tAngleZ(deg)\tT(°)\r\n"
    rows = "".join(f" 2023-1-2 3:04:05.{100 + 10 * i}\t0.0\t0.0\t1.0\t0.0\t0.0\t{i}\t0\t0\t0\t25\r\n" for i in range(4))
    rec = read_any(write(tmp_path / "20230102030405.txt", "Start time: 2023-1-2 3:04:05\r\n" + header + rows))
    np.testing.assert_allclose(rec.time_s, 0.01 * np.arange(4), atol=1e-9)
    np.testing.assert_allclose(rec.gyr_dps[:, 2], np.arange(4.0))


def test_witmotion_whitespace_date_time_variant(tmp_path: Path) -> None:
    header = "Date Time ax ay az wx wy wz AngleX AngleY AngleZ"
    rows = "".join(f"2022-08-01 10:00:00.{i * 50:03d} 0 0 1 {i} 0 0 1 2 3\n" for i in range(4))
    rec = read_any(write(tmp_path / "wit.txt", header + "\n" + rows))
    np.testing.assert_allclose(rec.time_s, 0.05 * np.arange(4), atol=1e-9)


def test_witmotion_several_sensors_in_one_file_refused(tmp_path: Path) -> None:
    text = witmotion_new_text(4, device="WT901BLE67(aa)") + witmotion_new_text(4, device="WT901BLE67(bb)").split("\n", 1)[1]
    with pytest.raises(RecordingFormatError, match="2 sensors") as info:
        read_any(write(tmp_path / "wit.txt", text))
    assert info.value.column == "Device name"


def test_witmotion_bad_cell(tmp_path: Path) -> None:
    text = witmotion_old_text().replace("\t0.2\t0.3\t1\t2\t3\t25.1\n", "\t0.2\t-\t1\t2\t3\t25.1\n", 1)
    with pytest.raises(RecordingFormatError) as info:
        read_any(write(tmp_path / "wit.txt", text))
    assert (info.value.line, info.value.column) == (2, "wz(deg/s)")


def test_witmotion_forced_on_a_csv_without_its_columns(tmp_path: Path) -> None:
    with pytest.raises(RecordingFormatError, match="no WitMotion header"):
        read_any(write(tmp_path / "r.csv", canonical_text()), format="witmotion")


# ----------------------------------------------------------------------------- Arduino


@pytest.mark.parametrize("header", ["tMillis,ax,ay,az,gx,gy,gz", "millis,aX,aY,aZ,gX,gY,gZ", "time_ms\tax\tay\taz\tgx\tgy\tgz"])
def test_arduino_variants(tmp_path: Path, header: str) -> None:
    text = arduino_text(header=header)
    if "\t" in header:
        text = text.replace(",", "\t")
    rec = read_any(write(tmp_path / "log.csv", text))
    np.testing.assert_allclose(rec.time_s, 1.0 + 0.005 * np.arange(6))
    np.testing.assert_allclose(rec.acc_g[0], [0, 0.1, 0.99])
    np.testing.assert_allclose(rec.gyr_dps[:, 0], np.arange(6.0))
    assert "assumed" in rec.metadata["units"]


def test_arduino_micros_and_accelerometer_only(tmp_path: Path) -> None:
    rec = read_any(write(tmp_path / "log.csv", "micros,ax,ay,az\n100,0,0,1\n5100,0,0,1\n"))
    np.testing.assert_allclose(rec.time_s, [1e-4, 5.1e-3])
    assert rec.gyr_rads is None


def test_arduino_units_overridable(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", arduino_text(az=9.81))
    with pytest.raises(RecordingFormatError, match=r"median magnitude is 9.81 g.*acc_unit='mps2'"):
        read_any(path)
    rec = read_any(path, acc_unit="mps2", gyr_unit="rads")
    assert rec.acc_mps2[0, 2] == pytest.approx(9.81)
    assert rec.gyr_rads[1, 0] == pytest.approx(1.0)
    assert "assumed" not in rec.metadata["units"]


def test_arduino_raw_counts_refused(tmp_path: Path) -> None:
    with pytest.raises(RecordingFormatError, match="raw sensor counts"):
        read_any(write(tmp_path / "log.csv", arduino_text(az=16384)))


def test_arduino_millis_overflow_backwards_names_the_line(tmp_path: Path) -> None:
    text = "tMillis,ax,ay,az\n4294967290,0,0,1\n4294967295,0,0,1\n3,0,0,1\n"
    with pytest.raises(RecordingFormatError) as info:
        read_any(write(tmp_path / "log.csv", text))
    assert (info.value.line, info.value.column) == (4, "tMillis")


# ----------------------------------------------------------------------------- headerless


def test_headerless_with_columns(tmp_path: Path) -> None:
    path = write(tmp_path / "h.csv", "0,0,0,1,10,0,0\n0.01,0,0,1,20,0,0\n")
    columns = "time_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps"
    for rec in (read_any(path, columns=columns), read_any(path, format="headerless", columns=columns.split(","))):
        np.testing.assert_allclose(rec.gyr_dps[:, 0], [10, 20])


def test_headerless_without_columns_asks_for_them(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--columns time_s,acc_x_g"):
        read_any(write(tmp_path / "h.csv", "0,0,0,1\n0.01,0,0,1\n"))


def test_headerless_field_count_mismatch(tmp_path: Path) -> None:
    with pytest.raises(RecordingFormatError) as info:
        read_any(write(tmp_path / "h.csv", "0,0,0,1,5\n0.01,0,0,1,5\n"), columns="time_s,acc_x_g,acc_y_g,acc_z_g")
    assert info.value.line == 1 and "5 fields but --columns names 4" in info.value.problem


def test_headerless_bad_cell_line_numbers(tmp_path: Path) -> None:
    with pytest.raises(RecordingFormatError) as info:
        read_any(write(tmp_path / "h.csv", "0,0,0,1\n0.01,0,x,1\n"), columns="time_s,acc_x_g,acc_y_g,acc_z_g")
    assert (info.value.line, info.value.column) == (2, "acc_y_g")


def test_headerless_forced_on_a_file_with_header(tmp_path: Path) -> None:
    with pytest.raises(RecordingFormatError, match="seems to have a header"):
        read_any(write(tmp_path / "r.csv", canonical_text()), format="headerless", columns="time_s,acc_x_g,acc_y_g,acc_z_g")


@pytest.mark.parametrize("columns", ["t,acc_x_g,acc_y_g,acc_z_g", "time_s,acc_x_g,acc_y_g", "time_s,acc_x_g,acc_y_g,acc_z_g,time_s", "time_s,,acc_x_g"])
def test_headerless_bad_column_lists(tmp_path: Path, columns: str) -> None:
    with pytest.raises(ConfigError):
        read_any(write(tmp_path / "h.csv", "0,0,0,1\n"), columns=columns)


# ----------------------------------------------------------------------------- recognition


def test_auto_detection_picks_each_preset(tmp_path: Path) -> None:
    acc_path, _ = write_metabase_pair(tmp_path)
    cases = {
        "canonical": write(tmp_path / "c.csv", canonical_text()),
        "metabase": acc_path,
        "witmotion": write(tmp_path / "w.txt", witmotion_new_text()),
        "arduino": write(tmp_path / "a.csv", arduino_text()),
    }
    from eccentric_sense.io._text import load_text
    from eccentric_sense.io.presets import detect_preset

    for name, path in cases.items():
        assert detect_preset(load_text(path)).name == name
        forced = read_any(path, format=name)
        auto = read_any(path)
        np.testing.assert_array_equal(auto.acc_mps2, forced.acc_mps2)
    assert detect_preset(load_text(write(tmp_path / "h.csv", "0,0,0,1\n"))).name == "headerless"


def test_unrecognised_layout_suggests_format(tmp_path: Path) -> None:
    with pytest.raises(RecordingFormatError) as info:
        read_any(write(tmp_path / "x.csv", "# from my phone\nwhen,accel\n1,2\n"))
    assert info.value.line == 2
    assert "unrecognised layout (header 'when,accel')" in info.value.problem
    assert "--format" in info.value.problem and "ColumnMapping" in info.value.problem


def test_forcing_the_wrong_preset_explains(tmp_path: Path) -> None:
    acc_path, _ = write_metabase_pair(tmp_path, with_gyro=False)
    with pytest.raises(RecordingFormatError, match="no 'time_s' column.*--format") as info:
        read_any(acc_path, format="canonical")
    assert info.value.line == 1
    with pytest.raises(RecordingFormatError, match="not an Arduino-style log"):
        read_any(acc_path, format="arduino")


def test_units_are_refused_for_canonical(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="units from the column names"):
        read_any(write(tmp_path / "c.csv", canonical_text()), acc_unit="mps2")


@pytest.mark.parametrize("kwargs", [{"acc_unit": "gee"}, {"gyr_unit": "rpm"}])
def test_unknown_unit_options(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ConfigError, match="unknown"):
        read_any(write(tmp_path / "a.csv", arduino_text()), **kwargs)


def test_witmotion_decimal_commas(tmp_path: Path) -> None:
    # European Windows locales write "0,2" for 0.2; the clock keeps its dot.
    rows = [
        "\t".join([f"{i * 0.005:.3f}".replace(".", ","), f"2021-06-01 12:00:00.{i * 5:03d}", "0,0", "0,0", "1,0", "1,5", "0,2", "0,3", "1", "2", "3", "25,1"])
        for i in range(4)
    ]
    rec = read_any(write(tmp_path / "wit.txt", WITMOTION_OLD_HEADER + "\n" + "\n".join(rows) + "\n"))
    np.testing.assert_allclose(rec.gyr_dps[0], [1.5, 0.2, 0.3])
    np.testing.assert_allclose(rec.time_s, 0.005 * np.arange(4), atol=1e-9)


def test_mapping_decimal_commas(tmp_path: Path) -> None:
    mapping = ColumnMapping(time="t", acc=("x", "y", "z"), delimiter=";", decimal=",")
    rec = read_with_mapping(write(tmp_path / "eu.csv", "t;x;y;z\n0,5;0,25;0;1\n"), mapping)
    np.testing.assert_allclose([rec.time_s[0], *rec.acc_g[0]], [0.5, 0.25, 0, 1])
    with pytest.raises(ConfigError, match="another delimiter"):
        ColumnMapping(time="t", acc=("x", "y", "z"), decimal=",")


def test_arduino_dead_sensor_refused(tmp_path: Path) -> None:
    with pytest.raises(RecordingFormatError, match="reads almost nothing"):
        read_any(write(tmp_path / "log.csv", "millis,ax,ay,az\n0,0,0,0\n5,0,0,0\n"))


def test_metabase_gyroscope_starting_late_moves_the_start(tmp_path: Path) -> None:
    acc_path, gyr_path = write_metabase_pair(tmp_path)
    lines = gyr_path.read_text().splitlines()
    gyr_path.write_text("\n".join([lines[0], *lines[6:]]) + "\n")  # first gyro sample now at +180 ms
    rec = read_any(acc_path)
    assert rec.time_s[0] == 0.0
    assert rec.metadata["start_time"].startswith("2019-01-11T15:10:08.510")  # first accelerometer sample >= +180 ms
    assert rec.metadata["reader_dropped_acc_outside_gyroscope"] == "3"
