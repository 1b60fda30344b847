"""Every kind of bad canonical input gives one RecordingFormatError naming file, line, column and problem."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from eccentric_sense.errors import RecordingFormatError
from eccentric_sense.io import read_any, read_recording

from helpers_io import CANONICAL_HEADER, canonical_text, write


def error_of(path: Path) -> RecordingFormatError:
    with pytest.raises(RecordingFormatError) as info:
        read_recording(path)
    message = str(info.value)
    assert "\n" not in message, "messages are one line"
    assert str(path) in message
    return info.value


def replace_line(text: str, line: int, new: str) -> str:
    lines = text.split("\n")
    lines[line - 1] = new
    return "\n".join(lines)


# canonical_text(): line 1 magic, 2-3 metadata, 4 header, 5.. samples


def test_missing_file(tmp_path: Path) -> None:
    err = error_of(tmp_path / "nope.csv")
    assert "file not found" in err.problem


def test_directory(tmp_path: Path) -> None:
    err = error_of(tmp_path)
    assert "is a directory" in err.problem and "pass a recording file" in err.problem
    write(tmp_path / "b_Accelerometer.csv", canonical_text())
    write(tmp_path / "notes.md", "")
    err = error_of(tmp_path)
    assert "pass one of the files in it (b_Accelerometer.csv)" in err.problem


def test_empty_file(tmp_path: Path) -> None:
    err = error_of(write(tmp_path / "e.csv", ""))
    assert "empty" in err.problem


def test_whitespace_only_file_is_empty(tmp_path: Path) -> None:
    err = error_of(write(tmp_path / "e.csv", "\n  \r\n\n"))
    assert "empty" in err.problem


@pytest.mark.parametrize("text", ["", "\n  \r\n\n"])
def test_empty_file_is_called_empty_when_the_layout_is_detected_too(tmp_path: Path, text: str) -> None:
    # read_any (what the command line uses) sniffs the layout before reading.
    path = write(tmp_path / "e.csv", text)
    with pytest.raises(RecordingFormatError) as info:
        read_any(path)
    assert "the file is empty" in str(info.value)


def test_metadata_only(tmp_path: Path) -> None:
    err = error_of(write(tmp_path / "m.csv", "# eccentric-sense recording v1\n# exercise: bench\n"))
    assert "no header" in err.problem


def test_header_only(tmp_path: Path) -> None:
    err = error_of(write(tmp_path / "h.csv", "# exercise: squat\n" + CANONICAL_HEADER + "\n"))
    assert "no samples" in err.problem
    assert err.line == 2


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "b.csv"
    path.write_bytes(b"time_s,acc\n\xff\xfe\x80\x81garbage")
    err = error_of(path)
    assert "not a text file" in err.problem
    assert err.line == 2


def test_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "n.csv"
    path.write_bytes(canonical_text().encode() + b"\x00\x00\x00")
    err = error_of(path)
    assert "NUL" in err.problem


def test_missing_time_column(tmp_path: Path) -> None:
    text = canonical_text().replace("time_s,", "t,")
    err = error_of(write(tmp_path / "t.csv", text))
    assert err.line == 4
    assert "time_s" in err.problem and "--format" in err.problem


def test_missing_accelerometer_columns(tmp_path: Path) -> None:
    text = "time_s,gyr_x_dps,gyr_y_dps,gyr_z_dps\n0,1,2,3\n"
    err = error_of(write(tmp_path / "a.csv", text))
    assert err.line == 1
    assert "no accelerometer columns" in err.problem


def test_incomplete_accelerometer_triple(tmp_path: Path) -> None:
    text = "time_s,acc_x_g,acc_y_g\n0,1,2\n"
    err = error_of(write(tmp_path / "a.csv", text))
    assert "complete x/y/z triple" in err.problem
    assert err.column == "acc_x_g"


def test_unknown_unit(tmp_path: Path) -> None:
    text = canonical_text().replace("acc_x_g,acc_y_g,acc_z_g", "acc_x_ft,acc_y_ft,acc_z_ft")
    err = error_of(write(tmp_path / "u.csv", text))
    assert err.line == 4
    assert "unknown unit suffix 'ft'" in err.problem
    assert "g, mps2" in err.problem


def test_unknown_gyro_unit(tmp_path: Path) -> None:
    text = canonical_text().replace("gyr_x_dps,gyr_y_dps,gyr_z_dps", "gyr_x_rpm,gyr_y_rpm,gyr_z_rpm")
    err = error_of(write(tmp_path / "u.csv", text))
    assert "unknown unit suffix 'rpm'" in err.problem and "dps, rads" in err.problem


def test_non_numeric_cell(tmp_path: Path) -> None:
    text = canonical_text(8)
    text = replace_line(text, 7, "0.020000,0.0200,abc,1.0020,1.000,-0.500,2.000")
    err = error_of(write(tmp_path / "n.csv", text))
    assert (err.line, err.column) == (7, "acc_y_g")
    assert "'abc' is not a number" in err.problem
    assert "line 7, column 'acc_y_g'" in str(err)


def test_empty_cell(tmp_path: Path) -> None:
    text = replace_line(canonical_text(8), 9, "0.040000,0.0400,-0.0800,1.0040,,-1.000,4.000")
    err = error_of(write(tmp_path / "n.csv", text))
    assert (err.line, err.column) == (9, "gyr_x_dps")
    assert "empty cell" in err.problem


@pytest.mark.parametrize("cell", ["NA", "null", "nan", "N/A"])
def test_missing_value_word_is_named_as_written(tmp_path: Path, cell: str) -> None:
    # pandas reads these words as missing values; the message names what the file holds.
    text = replace_line(canonical_text(8), 9, f"0.040000,0.0400,-0.0800,1.0040,{cell},-1.000,4.000")
    err = error_of(write(tmp_path / "n.csv", text))
    assert (err.line, err.column) == (9, "gyr_x_dps")
    assert f"{cell!r} is not a number" in err.problem


def test_infinite_value(tmp_path: Path) -> None:
    text = replace_line(canonical_text(8), 6, "0.010000,inf,-0.0100,1.0010,0.500,-0.250,1.000")
    err = error_of(write(tmp_path / "n.csv", text))
    assert (err.line, err.column) == (6, "acc_x_g")
    assert "not a finite number" in err.problem


def test_non_numeric_time(tmp_path: Path) -> None:
    text = replace_line(canonical_text(8), 5, "12:00:00,0,0,1,0,0,0")
    err = error_of(write(tmp_path / "n.csv", text))
    assert (err.line, err.column) == (5, "time_s")


def test_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    text = canonical_text(8)
    lines = text.split("\n")
    lines.insert(6, "")  # a blank line between samples: pandas skips it, the message must not
    lines.insert(6, "   ")
    lines[10] = lines[10].replace("1.0040", "x")  # sample 4, now on line 11
    err = error_of(write(tmp_path / "n.csv", "\n".join(lines)))
    assert err.line == 11
    assert err.column == "acc_z_g"


def test_time_going_backwards(tmp_path: Path) -> None:
    text = replace_line(canonical_text(8), 10, "0.001000,0,0,1,0,0,0")
    err = error_of(write(tmp_path / "back.csv", text))
    assert (err.line, err.column) == (10, "time_s")
    assert "time goes backwards" in err.problem and "line 9" in err.problem


def test_row_with_too_many_fields(tmp_path: Path) -> None:
    text = replace_line(canonical_text(8), 8, "0.030000,0.03,-0.06,1.003,1.5,-0.75,3,99")
    err = error_of(write(tmp_path / "r.csv", text))
    assert err.line == 8
    assert "8 fields but the header has 7" in err.problem


def test_row_with_too_few_fields(tmp_path: Path) -> None:
    text = replace_line(canonical_text(8), 8, "0.030000,0.03,-0.06,1.003")
    err = error_of(write(tmp_path / "r.csv", text))
    assert err.line == 8
    assert "4 fields but the header has 7" in err.problem


def test_repeated_column_name(tmp_path: Path) -> None:
    text = "time_s,acc_x_g,acc_y_g,acc_z_g,acc_x_g\n0,0,0,1,0\n"
    err = error_of(write(tmp_path / "d.csv", text))
    assert "twice" in err.problem and err.column == "acc_x_g"


# ----------------------------------------------------------------------------- tolerated input


def test_bom_crlf_and_trailing_blank_lines(tmp_path: Path) -> None:
    text = canonical_text(6).replace("\n", "\r\n") + "\r\n\r\n  \r\n"
    path = tmp_path / "w.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    rec = read_recording(path)
    assert rec.n_samples == 6
    assert rec.metadata["exercise"] == "bench"
    np.testing.assert_allclose(rec.time_s, np.arange(6) / 100)


def test_units_by_suffix(tmp_path: Path) -> None:
    text = "time_s,acc_x_mps2,acc_y_mps2,acc_z_mps2,gyr_x_rads,gyr_y_rads,gyr_z_rads\n0,0,0,9.80665,1,0,0\n0.01,0,0,9.80665,1,0,0\n"
    rec = read_recording(write(tmp_path / "si.csv", text))
    np.testing.assert_allclose(rec.acc_g[0], [0, 0, 1])
    np.testing.assert_allclose(rec.gyr_dps[0], [np.degrees(1), 0, 0])
    text_g = "time_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps\n0,0,0,1,180,0,0\n"
    rec = read_recording(write(tmp_path / "g.csv", text_g))
    np.testing.assert_allclose(rec.acc_mps2[0], [0, 0, 9.80665])
    np.testing.assert_allclose(rec.gyr_rads[0], [np.pi, 0, 0])


def test_accelerometer_only(tmp_path: Path) -> None:
    rec = read_recording(write(tmp_path / "a.csv", "time_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n0.01,0,0,1\n"))
    assert rec.gyr_rads is None and rec.n_samples == 2


def test_empty_gyroscope_columns_mean_no_gyroscope(tmp_path: Path) -> None:
    rec = read_recording(write(tmp_path / "a.csv", CANONICAL_HEADER + "\n0,0,0,1,,,\n0.01,0,0,1,,,\n"))
    assert rec.gyr_rads is None and rec.n_samples == 2


def test_metadata_unknown_keys_kept(tmp_path: Path) -> None:
    rec = read_recording(write(tmp_path / "m.csv", canonical_text(3, metadata={"exercise": "squat", "coach_note": "left: knee"})))
    assert rec.metadata == {"exercise": "squat", "coach_note": "left: knee"}


def test_exact_duplicates_dropped_and_counted(tmp_path: Path) -> None:
    lines = canonical_text(6).rstrip("\n").split("\n")
    lines.insert(7, lines[6])
    lines.insert(7, lines[6])
    rec = read_recording(write(tmp_path / "d.csv", "\n".join(lines) + "\n"))
    assert rec.n_samples == 6
    assert rec.metadata["reader_dropped_duplicate_rows"] == "2"
    assert np.all(np.diff(rec.time_s) > 0)


def test_same_time_different_values_kept_and_counted(tmp_path: Path) -> None:
    # Packets delivered in one connection event carry the host's one stamp:
    # both samples are data, and both are kept.
    lines = canonical_text(6).rstrip("\n").split("\n")
    lines.insert(7, lines[6].replace("1.0020", "1.5"))
    rec = read_recording(write(tmp_path / "d.csv", "\n".join(lines) + "\n"))
    assert rec.n_samples == 7
    assert rec.metadata["reader_same_time_rows"] == "1"
    assert rec.time_s[2] == rec.time_s[3]
    assert rec.acc_g[2, 2] == pytest.approx(1.002) and rec.acc_g[3, 2] == pytest.approx(1.5)


def test_gaps_and_jitter_kept_as_recorded(tmp_path: Path) -> None:
    times = [0.0, 0.0098, 0.0203, 0.0297, 0.5, 0.5101]  # jitter, then a 0.47 s gap of lost packets
    text = CANONICAL_HEADER + "\n" + "".join(f"{t},0,0,1,0,0,0\n" for t in times)
    rec = read_recording(write(tmp_path / "j.csv", text))
    np.testing.assert_array_equal(rec.time_s, times)


def test_extra_columns_carried_through(tmp_path: Path) -> None:
    text = CANONICAL_HEADER + ",seq,mag_x_ut,label\n0,0,0,1,0,0,0,7,12.5,a\n0.01,0,0,1,0,0,0,8,,b\n"
    rec = read_recording(write(tmp_path / "x.csv", text))
    np.testing.assert_array_equal(rec.extra["seq"], [7, 8])
    assert rec.extra["mag_x_ut"][0] == 12.5 and np.isnan(rec.extra["mag_x_ut"][1])
    assert list(rec.extra["label"]) == ["a", "b"]


def test_spaces_after_commas(tmp_path: Path) -> None:
    text = "time_s, acc_x_g, acc_y_g, acc_z_g\n0, 0, 0, 1\n0.01, 0, 0, 1\n"
    assert read_recording(write(tmp_path / "s.csv", text)).n_samples == 2


def test_read_any_gives_the_same_canonical_errors(tmp_path: Path) -> None:
    text = replace_line(canonical_text(8), 7, "0.020000,0.0200,abc,1.0020,1.000,-0.500,2.000")
    path = write(tmp_path / "n.csv", text)
    with pytest.raises(RecordingFormatError) as info:
        read_any(path)
    assert (info.value.line, info.value.column) == (7, "acc_y_g")


def test_tab_separated_canonical_explained(tmp_path: Path) -> None:
    err = error_of(write(tmp_path / "t.csv", canonical_text(3).replace(",", "\t")))
    assert err.line == 4 and "separated by tabs" in err.problem


def test_parse_canonical_frame_and_text_entry_points() -> None:
    import pandas as pd

    from eccentric_sense.io import parse_canonical_frame
    from eccentric_sense.io.canonical import read_recording_text

    frame = pd.DataFrame({"time_s": [0.0, 0.01, 0.02], "acc_x_g": [0, "x", 0], "acc_y_g": [0, 0, 0], "acc_z_g": [1, 1, 1]})
    with pytest.raises(RecordingFormatError) as info:
        parse_canonical_frame(frame, metadata={}, path="mem.csv", header_line=3)
    assert (info.value.line, info.value.column) == (5, "acc_x_g")
    rec = read_recording_text("\ufeff" + canonical_text(4), path="mem.csv")
    assert rec.n_samples == 4 and rec.source == "mem.csv"
