"""Large tables are parsed in pieces on several threads: the frame, and every error, are those of one parse."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eccentric_sense.errors import RecordingFormatError
from eccentric_sense.io import _text, read_recording
from eccentric_sense.io._text import READ_THREADS_ENV, TextFile, _read_in_pieces, find_header

from helpers_io import CANONICAL_HEADER, canonical_text, write

_KWARGS = {"sep": ",", "skipinitialspace": True, "decimal": ".", "keep_default_na": False, "na_values": [""]}

_decimals = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda v: f"{v:.6f}")
_cells = st.one_of(
    _decimals,
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["", " ", "NA", "nan", "abc", '"1.5"', "1e-3", "-0", "1,2"]),
)


def _table(rows: list[list[str]], names: list[str] | None, line_end: str, blank_every: int) -> bytes:
    lines = [",".join(names)] if names is not None else []
    for index, row in enumerate(rows):
        if blank_every and index % blank_every == 0:
            lines.append("")
        lines.append(",".join(row))
    return (line_end.join(lines) + line_end).encode()


def _whole(file: TextFile, kwargs: dict[str, object]) -> pd.DataFrame:
    header = find_header(file)
    return pd.read_csv(file.stream_from(header.offset), engine="c", comment=None, **kwargs)


@st.composite
def _tables(draw: st.DrawFn, cells: st.SearchStrategy[str]) -> tuple[bytes, dict[str, object], int]:
    width = draw(st.integers(1, 6))
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width), min_size=4, max_size=60))
    with_header = draw(st.booleans())
    names = [f"c{k}" for k in range(width)]
    kwargs = dict(_KWARGS) if with_header else {**_KWARGS, "header": None, "names": names}
    data = _table(rows, names if with_header else None, draw(st.sampled_from(["\n", "\r\n"])), draw(st.integers(0, 5)))
    return data, kwargs, draw(st.integers(2, 5))


@settings(max_examples=150, deadline=None)
@given(_tables(_decimals))
def test_numeric_tables_are_parsed_in_pieces_to_the_same_frame(case: tuple[bytes, dict[str, object], int]) -> None:
    data, kwargs, threads = case
    file = TextFile("<table>", None, data=data)
    pieces = _read_in_pieces(file, find_header(file), kwargs, threads, min_piece_bytes=1)
    assert pieces is not None, "a table of decimal numbers is always split"
    pd.testing.assert_frame_equal(pieces, _whole(file, kwargs), check_exact=True)


@settings(max_examples=300, deadline=None)
@given(_tables(_cells))
def test_any_table_in_pieces_is_the_one_parse_or_left_to_it(case: tuple[bytes, dict[str, object], int]) -> None:
    data, kwargs, threads = case
    file = TextFile("<table>", None, data=data)
    try:
        find_header(file)
    except RecordingFormatError:
        assume(False)  # blank lines only: no table to parse, in pieces or not
    try:
        whole = _whole(file, kwargs)
    except (pd.errors.ParserError, ValueError):
        whole = None
    pieces = _read_in_pieces(file, find_header(file), kwargs, threads, min_piece_bytes=1)
    if pieces is not None:
        assert whole is not None, "a table one parse rejects is left to that parse (and its error message)"
        pd.testing.assert_frame_equal(pieces, whole, check_exact=True)


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pieces of a few hundred bytes on three threads, so a small file takes the path of an hour-long one."""
    monkeypatch.setattr(_text, "_PIECE_MIN_BYTES", 256)
    monkeypatch.setenv(READ_THREADS_ENV, "3")


def test_a_recording_read_in_pieces_is_the_recording_read_in_one(
    tmp_path: Path, small_pieces: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "r.csv", canonical_text(400))
    file = TextFile(str(path), None, data=path.read_bytes())
    assert _read_in_pieces(file, find_header(file), dict(_KWARGS), 3) is not None
    in_pieces = read_recording(path)
    monkeypatch.setenv(READ_THREADS_ENV, "1")
    in_one = read_recording(path)
    assert in_pieces.n_samples == 400
    for name in ("time_s", "acc_mps2", "gyr_rads"):
        np.testing.assert_array_equal(getattr(in_pieces, name), getattr(in_one, name))
    assert in_pieces.metadata == in_one.metadata


def _with_line(text: str, line: int, new: str) -> str:
    lines = text.split("\n")
    lines[line - 1] = new
    return "\n".join(lines)


@pytest.mark.parametrize(
    ("line", "row", "expected"),
    [
        (350, "3.45,0.1,0.2,abc,0,0,0", "'abc'"),
        (300, "2.95,0.1,0.2,1,0,0,0,7", "fields"),
        (380, "3.75,0.1,0.2,NA,0,0,0", "NA"),
    ],
)
def test_errors_in_a_late_piece_name_their_line(
    tmp_path: Path, small_pieces: None, line: int, row: str, expected: str
) -> None:
    path = write(tmp_path / "bad.csv", _with_line(canonical_text(400), line, row))
    with pytest.raises(RecordingFormatError) as info:
        read_recording(path)
    assert info.value.line == line
    assert expected in str(info.value)


def test_missing_value_words_in_every_piece_mean_missing_as_in_one_parse(tmp_path: Path, small_pieces: None) -> None:
    # An extra column holding "NA" in every piece: pandas' default missing
    # values make it a number column with gaps, however the table is parsed.
    rows = [f"{i / 100:.6f},0,0,1,0,0,0,{i}.5" for i in range(400)]
    gaps = [50, 200, 350]
    for row in gaps:
        rows[row] = f"{row / 100:.6f},0,0,1,0,0,0,NA"
    path = write(tmp_path / "na.csv", CANONICAL_HEADER + ",mag_x_ut\n" + "\n".join(rows) + "\n")
    magnetometer = read_recording(path).extra["mag_x_ut"]
    assert magnetometer.dtype.kind == "f"
    np.testing.assert_array_equal(np.flatnonzero(np.isnan(magnetometer)), gaps)
    assert magnetometer[349] == 349.5 and magnetometer[351] == 351.5


def test_a_table_with_a_text_column_is_parsed_once(
    tmp_path: Path, small_pieces: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A column of text (the clock-time column of a MetaBase export, here a
    # label) makes the pieces useless; the first rows show it, so the table
    # is not parsed in pieces first and then again in one go.
    monkeypatch.setattr(_text, "_PROBE_BYTES", 512)
    rows = [f"{i / 100:.6f},0,0,1,0,0,0,rep{i // 50}" for i in range(400)]
    path = write(tmp_path / "label.csv", CANONICAL_HEADER + ",label\n" + "\n".join(rows) + "\n")
    parsed_rows: list[int] = []
    read_csv = pd.read_csv

    def counting_read_csv(*args: object, **kwargs: object) -> pd.DataFrame:
        frame = read_csv(*args, **kwargs)
        parsed_rows.append(len(frame))
        return frame

    monkeypatch.setattr(_text.pd, "read_csv", counting_read_csv)
    recording = read_recording(path)
    assert list(recording.extra["label"][:2]) == ["rep0", "rep0"]
    assert sum(rows_parsed >= 100 for rows_parsed in parsed_rows) == 1, parsed_rows
