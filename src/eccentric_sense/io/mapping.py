"""Reading foreign CSV layouts through an explicit :class:`ColumnMapping`.

A mapping says which column holds the time (and in what unit), which three
hold the accelerometer (and in what unit), optionally which three hold the
gyroscope, and how the file is laid out (header or a given column list,
delimiter, lines to skip).  :func:`read_with_mapping` turns such a file into a
:class:`~eccentric_sense.recording.Recording` in SI units with the same
validation as the canonical reader.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ..constants import STANDARD_GRAVITY
from ..errors import ConfigError, RecordingFormatError
from ..recording import Recording
from ._text import RowLocator, TextFile, check_numeric, clean_time_axis, find_header, load_text, parse_table

__all__ = [
    "ColumnMapping",
    "read_with_mapping",
    "ACC_UNIT_FACTORS",
    "GYR_UNIT_FACTORS",
    "TIME_UNITS",
    "parse_timestamps",
    "load_frame",
    "recording_from_frame",
]

#: Accelerometer unit -> factor to m/s^2.
ACC_UNIT_FACTORS = {"g": STANDARD_GRAVITY, "mps2": 1.0, "mg": STANDARD_GRAVITY / 1000.0}
#: Gyroscope unit -> factor to rad/s.
GYR_UNIT_FACTORS = {"dps": np.pi / 180.0, "rads": 1.0}
#: Time units: numeric seconds/milliseconds/microseconds (kept relative to the
#: file's own zero), Unix epoch milliseconds, or ISO-8601 style timestamps
#: (both absolute: they are shifted to start at 0 and the start is kept in
#: the metadata as ``start_time``).
TIME_UNITS = ("s", "ms", "us", "epoch_ms", "iso")
_NUMERIC_TIME_FACTORS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "epoch_ms": 1e-3}
_DELIMITER_NAMES = {"comma": ",", "tab": "\t", "semicolon": ";", "whitespace": None, "space": None}


@dataclass(frozen=True)
class ColumnMapping:
    """How to read a CSV layout that is not the canonical one.

    Parameters
    ----------
    time
        Name of the time column.  A tuple of names (e.g. ``("Date", "Time")``)
        is joined with a space before parsing, for files that split a
        timestamp over two columns.
    acc
        Names of the x, y, z accelerometer columns.
    acc_unit
        ``"g"``, ``"mps2"`` or ``"mg"``.
    time_unit
        ``"s"``, ``"ms"``, ``"us"`` (numbers), ``"epoch_ms"`` (Unix
        milliseconds) or ``"iso"`` (ISO-8601 timestamps such as
        ``2024-05-01T17:03:12.250``; a time of day alone also works).
    gyr
        Names of the x, y, z gyroscope columns, or ``None``.
    gyr_unit
        ``"dps"`` or ``"rads"``.
    columns
        For files without a header line: the names of the columns, in order.
        ``None`` means the first line after ``skip_rows`` and ``#`` lines is
        the header.
    delimiter
        Field separator; ``None`` splits on runs of white space.
    skip_rows
        Lines to skip before looking for ``#`` metadata and the header.
    decimal
        ``"."`` or ``","`` (decimal commas, as some European-locale exports
        write; the delimiter must then be something else).
    drop
        Columns not to carry through as extra columns (e.g. redundant time
        columns).
    metadata
        Metadata to add to the recording (e.g. ``device``).
    name
        A short name for messages (the preset name, or ``"mapping"``).
    """

    time: str | tuple[str, ...]
    acc: tuple[str, str, str]
    acc_unit: str = "g"
    time_unit: str = "s"
    gyr: tuple[str, str, str] | None = None
    gyr_unit: str = "dps"
    columns: tuple[str, ...] | None = None
    delimiter: str | None = ","
    skip_rows: int = 0
    decimal: str = "."
    drop: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)
    name: str = "mapping"

    def __post_init__(self) -> None:
        _check_choice("acc_unit", self.acc_unit, ACC_UNIT_FACTORS)
        _check_choice("gyr_unit", self.gyr_unit, GYR_UNIT_FACTORS)
        _check_choice("time_unit", self.time_unit, TIME_UNITS)
        if self.time_unit != "iso" and not isinstance(self.time, str):
            raise ConfigError("a time column split over several columns needs time_unit='iso'")
        for label, names in (("acc", self.acc), ("gyr", self.gyr)):
            if names is not None and (len(names) != 3 or not all(isinstance(n, str) and n for n in names)):
                raise ConfigError(f"ColumnMapping.{label} needs exactly three column names (x, y, z), got {names!r}")
        if self.delimiter is not None and self.delimiter in _DELIMITER_NAMES:
            object.__setattr__(self, "delimiter", _DELIMITER_NAMES[self.delimiter])
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ConfigError(f"delimiter must be one character or None (white space), got {self.delimiter!r}")
        if self.decimal not in (".", ","):
            raise ConfigError(f"decimal must be '.' or ',', got {self.decimal!r}")
        if self.decimal == "," and self.delimiter == ",":
            raise ConfigError("decimal commas need another delimiter (e.g. ';' or tab)")
        if not isinstance(self.skip_rows, int) or self.skip_rows < 0:
            raise ConfigError(f"skip_rows must be a non-negative integer, got {self.skip_rows!r}")
        if self.columns is not None:
            columns = tuple(c.strip() for c in self.columns)
            if len(set(columns)) != len(columns) or not all(columns):
                raise ConfigError(f"the column list must have distinct, non-empty names, got {list(self.columns)}")
            object.__setattr__(self, "columns", columns)
            missing = [n for n in self.required_columns if n not in columns]
            if missing:
                raise ConfigError(f"the column list {list(columns)} lacks {', '.join(missing)} named by the mapping")

    @property
    def time_columns(self) -> tuple[str, ...]:
        """The time column name(s) as a tuple."""
        return (self.time,) if isinstance(self.time, str) else tuple(self.time)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Every column the mapping reads."""
        return self.time_columns + tuple(self.acc) + (tuple(self.gyr) if self.gyr else ())


def _check_choice(label: str, value: str, choices) -> None:
    if value not in choices:
        raise ConfigError(f"unknown {label} {value!r}; valid: {', '.join(choices)}")


def read_with_mapping(path: str | os.PathLike[str], mapping: ColumnMapping) -> Recording:
    """Read a CSV file laid out as ``mapping`` describes.

    Raises
    ------
    RecordingFormatError
        With file, line and column for anything the file does not satisfy.
    ConfigError
        When the mapping itself is invalid.
    """
    return read_mapped_file(load_text(path), mapping)


def read_mapped_file(file: TextFile, mapping: ColumnMapping, *, hint: str = "") -> Recording:
    """:func:`read_with_mapping` on an already loaded file.

    ``hint`` is appended to "missing column" messages (e.g. which
    ``--format`` might fit instead).
    """
    frame, where = load_frame(
        file, skip_rows=mapping.skip_rows, delimiter=mapping.delimiter, columns=mapping.columns, decimal=mapping.decimal
    )
    return recording_from_frame(frame, mapping, where, hint=hint)


def load_frame(
    file: TextFile,
    *,
    skip_rows: int = 0,
    delimiter: str | None = ",",
    columns: Sequence[str] | None = None,
    decimal: str = ".",
) -> tuple[pd.DataFrame, RowLocator]:
    """Parse the table of ``file`` (after ``skip_rows`` lines and ``#`` metadata)."""
    header = find_header(file, skip_rows=skip_rows)
    frame = parse_table(file, header, delimiter=delimiter, names=columns, decimal=decimal)
    frame = _drop_empty_unnamed(frame)
    where = RowLocator(file.path, header, file, has_header=columns is None, delimiter=delimiter)
    return frame, where


def recording_from_frame(
    frame: pd.DataFrame, mapping: ColumnMapping, where: RowLocator, *, hint: str = ""
) -> Recording:
    """Validate a parsed table against ``mapping`` and build the recording."""
    _require_columns(frame, mapping, where, hint)
    if len(frame) == 0:
        raise RecordingFormatError(where.path, "the file has a header but no samples", line=where.header.header_index + 1)
    metadata = dict(where.header.metadata)
    metadata.update(mapping.metadata)
    time_s, start = _time_axis(frame, mapping, where)
    if start is not None:
        metadata.setdefault("start_time", start)
    sensor_columns = list(mapping.acc) + (list(mapping.gyr) if mapping.gyr else [])
    values = check_numeric(frame, sensor_columns, where)
    acc = np.column_stack([values[c] for c in mapping.acc]) * ACC_UNIT_FACTORS[mapping.acc_unit]
    gyr = None
    if mapping.gyr:
        gyr = np.column_stack([values[c] for c in mapping.gyr]) * GYR_UNIT_FACTORS[mapping.gyr_unit]
    stacked = acc if gyr is None else np.hstack([acc, gyr])
    keep, notes = clean_time_axis(time_s, stacked, where, time_column=mapping.time_columns[0])
    metadata.update(notes)
    skip = set(mapping.required_columns) | set(mapping.drop)
    extra = {c: frame[c].to_numpy() for c in frame.columns if c not in skip}
    if not keep.all():
        time_s, acc = time_s[keep], acc[keep]
        gyr = gyr[keep] if gyr is not None else None
        extra = {k: v[keep] for k, v in extra.items()}
    return Recording(time_s=time_s, acc_mps2=acc, gyr_rads=gyr, metadata=metadata, extra=extra, source=where.path)


def _drop_empty_unnamed(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the nameless, empty column a trailing delimiter creates."""
    unnamed = [c for c in frame.columns if c.startswith("Unnamed: ") and frame[c].isna().all()]
    return frame.drop(columns=unnamed) if unnamed else frame


def _require_columns(frame: pd.DataFrame, mapping: ColumnMapping, where: RowLocator, hint: str) -> None:
    present = list(frame.columns)
    missing = [c for c in mapping.required_columns if c not in present]
    if not missing:
        return
    shown = ", ".join(present[:12]) + (f", ... ({len(present)} columns)" if len(present) > 12 else "")
    problem = (
        f"missing column{'s' if len(missing) > 1 else ''} {', '.join(repr(m) for m in missing)} "
        f"needed by the {mapping.name} layout (found: {shown or 'nothing'})"
    )
    if hint:
        problem += f"; {hint}"
    raise RecordingFormatError(where.path, problem, line=where.header.header_index + 1, column=missing[0])


def _time_axis(frame: pd.DataFrame, mapping: ColumnMapping, where: RowLocator) -> tuple[np.ndarray, str | None]:
    """Time in seconds, and the absolute start as ISO text for absolute clocks."""
    name = mapping.time_columns[0]
    if mapping.time_unit in _NUMERIC_TIME_FACTORS:
        raw = check_numeric(frame, [name], where)[name]
        if mapping.time_unit == "epoch_ms":
            # Subtract in integer milliseconds-scale first: epoch values carry
            # 13 digits, so shifting before scaling keeps sub-ms precision.
            start_ms = raw[0]
            start = pd.Timestamp(int(start_ms), unit="ms", tz="UTC").isoformat()
            return (raw - start_ms) * 1e-3, start
        return raw * _NUMERIC_TIME_FACTORS[mapping.time_unit], None
    if len(mapping.time_columns) == 1:
        texts = frame[name].astype("string")
    else:
        texts = frame[list(mapping.time_columns)].astype("string").agg(" ".join, axis=1)
    seconds, bad_row, start = parse_timestamps(texts)
    if bad_row is not None:
        cell = frame[name].iloc[bad_row] if len(mapping.time_columns) == 1 else texts.iloc[bad_row]
        raise RecordingFormatError(
            where.path,
            f"{_quote(cell)} is not a timestamp (expected e.g. 2024-05-01T17:03:12.250 or 17:03:12.250)",
            line=where.line(bad_row),
            column=name,
        )
    return seconds, start


def _quote(cell: object) -> str:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)) or pd.isna(cell) or str(cell).strip() == "":
        return "an empty cell"
    text = str(cell)
    return repr(text if len(text) <= 40 else text[:37] + "...")


#: Date (optional) and clock as loggers write them: "2024-3-5 9:3:7.25",
#: "2019-01-11T16.10.08.270" (MetaBase), "2024-03-05 10:11:12:250" (WitMotion
#: writes milliseconds after a colon), "16:10:08.270" (time of day alone).
_CLOCK = re.compile(
    r"^(?:(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})[ T])?"
    r"(?P<h>\d{1,2})[:.](?P<mi>\d{1,2})[:.](?P<s>\d{1,2})(?:(?P<sep>[:.])(?P<frac>\d{1,9}))?$"
)
_CLOCK_SEPARATORS = str.maketrans({c: "," for c in "-T:. "})
_EDGE_SPACE = re.compile(r"^[ \t]+|[ \t]+$", re.MULTILINE)
_DAY_S = 86400.0


def parse_timestamps(texts: pd.Series) -> tuple[np.ndarray, int | None, str | None]:
    """Parse timestamp strings to seconds relative to the first one.

    Accepts ISO-8601 (``T`` or space separated, optional zone offset,
    fractional seconds), unpadded clock fields, WitMotion's ``H:M:S:ms``,
    MetaBase's ``H.M.S.ms`` and a time of day alone (midnight roll-overs are
    unwrapped).  All rows must share the first row's layout.  Returns the
    seconds, the first row that could not be parsed (or ``None``) and the
    first timestamp as written.
    """
    if len(texts) == 0:
        return np.zeros(0), None, None
    # One big string: stripping and splitting it runs in C, not once per row.
    joined = "\n".join(v if isinstance(v, str) else "" for v in texts.tolist())
    joined = _EDGE_SPACE.sub("", joined)
    start = joined.split("\n", 1)[0]
    layout = _CLOCK.match(start)
    if layout is not None:
        days, clock, bad = _clock_fields(joined, texts, layout)
        if bad.any():
            return np.zeros(0), int(np.flatnonzero(bad)[0]), None
        # Subtract before combining: seconds since 1970 in float64 would keep
        # only about 0.2 us, seconds since the first sample keep far more.
        return (days - days[0]) * _DAY_S + (clock - clock[0]), None, start
    # ISO-8601 with zone offsets and the like: pandas' own parser.
    cleaned = pd.Series(joined.split("\n"), dtype=object)
    try:
        stamps = pd.to_datetime(cleaned, format="ISO8601", utc=True, errors="coerce")
    except (ValueError, OverflowError, TypeError):
        stamps = pd.Series(pd.NaT, index=cleaned.index)
    failed = stamps.isna().to_numpy()
    if failed.any():
        return np.zeros(0), int(np.flatnonzero(failed)[0]), None
    elapsed_ns = (stamps - stamps.iloc[0]).to_numpy().astype("timedelta64[ns]").astype("int64")
    return elapsed_ns * 1e-9, None, start


def _clock_fields(joined: str, texts: pd.Series, layout: re.Match[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day number, seconds into the day, and the rows that did not parse.

    ``joined`` holds the timestamps ``texts``, one per line.  Day numbers count
    from 1970-01-01, or, for times of day without a date, the midnights
    passed since the first sample.  The fields are split by turning every
    separator into a comma and letting pandas' C parser read the numbers: far
    faster than a regular expression per row.
    """
    n = len(texts)
    has_date = layout.group("y") is not None
    separator = layout.group("sep")
    names = (["y", "mo", "d"] if has_date else []) + ["h", "mi", "s"] + (["frac"] if separator else [])
    try:
        fields = pd.read_csv(
            io.StringIO(joined.translate(_CLOCK_SEPARATORS) + "\n"),
            header=None,
            names=names,
            dtype={"frac": str} if separator else None,
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError, OverflowError):
        fields = None
    if fields is None or len(fields) != n:
        # Some row has another layout: find the first one for the message.
        rows = [t.strip() if isinstance(t, str) else "" for t in texts.tolist()]
        bad = np.array([not _same_layout(_CLOCK.match(t), has_date, separator) for t in rows])
        return np.zeros(n), np.zeros(n), bad
    number = {}
    for k in names:
        if k != "frac":
            column = fields[k]
            number[k] = (
                column.to_numpy(dtype=float)
                if column.dtype.kind in "fiu"
                else pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
            )
    clock = number["h"] * 3600 + number["mi"] * 60 + number["s"]
    bad = ~np.isfinite(clock) | (number["h"] > 23) | (number["mi"] > 59) | (number["s"] > 60)
    if separator:
        digits = fields["frac"].fillna("")
        length = digits.str.len().to_numpy(dtype=float)
        value = pd.to_numeric(digits, errors="coerce").to_numpy(dtype=float)
        # "." introduces a decimal fraction; ":" (WitMotion) a count of milliseconds.
        fraction = value / (10.0**length if separator == "." else 1000.0)
        bad |= ~np.isfinite(fraction) | (fraction >= 1) | (length > 9)
        clock = clock + np.where(np.isfinite(fraction), fraction, 0.0)
    for k in number:
        bad |= ~np.isfinite(number[k]) | (number[k] != np.round(number[k]))
    if not has_date:
        # A time of day wraps at midnight: every large backwards jump is a new day.
        jumps = np.diff(np.where(bad, 0.0, clock)) < -_DAY_S / 2
        return np.concatenate([[0.0], np.cumsum(jumps)]), clock, bad
    days = np.zeros(n)
    ok = ~bad & (number["mo"] >= 1) & (number["mo"] <= 12) & (number["d"] >= 1)
    if ok.any():
        months = (number["y"][ok] - 1970).astype("int64").astype("datetime64[Y]").astype("datetime64[M]")
        months = months + (number["mo"][ok] - 1).astype("int64")
        day_numbers = months.astype("datetime64[D]") + (number["d"][ok] - 1).astype("int64")
        # 31 February would roll over into March: reject it.
        rolled = day_numbers.astype("datetime64[M]") != months
        days[ok] = day_numbers.astype("int64")
        ok[np.flatnonzero(ok)[rolled]] = False
    return days, clock, bad | ~ok


def _same_layout(match: re.Match[str] | None, has_date: bool, separator: str | None) -> bool:
    return match is not None and (match.group("y") is not None) == has_date and match.group("sep") == separator
