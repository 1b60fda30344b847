"""Presets for the CSV layouts users actually have, and recognising them.

Each :class:`Preset` knows how to recognise its layout from the first lines
of a file (``detects``) and how to read it (``read``).  The layouts and the
exact header spellings are documented in ``docs/recording-format.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..errors import ConfigError, RecordingFormatError
from ..recording import Recording, median_reading_g, units_advice
from ._text import RowLocator, TextFile, check_numeric, clean_time_axis, load_text, split_lines
from .canonical import ACC_UNITS, GYR_UNITS, TIME_COLUMN, _recording_from_frame, read_canonical_file
from .mapping import (
    ACC_UNIT_FACTORS,
    GYR_UNIT_FACTORS,
    ColumnMapping,
    load_frame,
    recording_from_frame,
)

__all__ = ["Preset", "ReadOptions", "Sniff", "PRESETS", "sniff", "detect_preset"]

#: Lines looked at when recognising a layout.
_SNIFF_LINES = 12


@dataclass(frozen=True)
class ReadOptions:
    """User overrides that a preset may honour."""

    columns: tuple[str, ...] | None = None
    acc_unit: str | None = None
    gyr_unit: str | None = None


@dataclass(frozen=True)
class Sniff:
    """The first non-comment lines of a file, split into fields."""

    lines: tuple[str, ...]
    index: tuple[int, ...]  # 0-based line index of each entry of ``lines``

    @property
    def header(self) -> str:
        return self.lines[0] if self.lines else ""

    def fields(self, i: int = 0) -> list[str]:
        line = self.lines[i] if i < len(self.lines) else ""
        return [f.strip() for f in _split_fields(line, guess_delimiter(line))]


def guess_delimiter(line: str) -> str | None:
    """Tab, comma or semicolon when the line has one (in that order), else white space."""
    for delimiter in ("\t", ",", ";"):
        if delimiter in line:
            return delimiter
    return None


def _split_fields(line: str, delimiter: str | None) -> list[str]:
    return line.split() if delimiter is None else line.split(delimiter)


def sniff(file: TextFile) -> Sniff:
    """Collect the first non-blank, non-``#`` lines."""
    lines: list[str] = []
    index: list[int] = []
    for i, line in enumerate(split_lines(file.head(64 * 1024))):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        lines.append(line)
        index.append(i)
        if len(lines) >= _SNIFF_LINES:
            break
    return Sniff(tuple(lines), tuple(index))


@dataclass(frozen=True)
class Preset:
    """A known file layout.

    Attributes
    ----------
    name
        The ``--format`` name.
    summary
        One line for ``--help``.
    example
        The header line the preset expects (abbreviated where long).
    detects
        ``detects(sniff) -> bool``: whether a file looks like this layout.
    reader
        ``reader(file, options) -> Recording``.
    """

    name: str
    summary: str
    example: str
    detects: Callable[[Sniff], bool]
    reader: Callable[[TextFile, ReadOptions], Recording]

    def read(self, file: TextFile, options: ReadOptions = ReadOptions()) -> Recording:
        """Read ``file`` as this layout."""
        return self.reader(file, options)


# ----------------------------------------------------------------------------- canonical


def _detect_canonical(s: Sniff) -> bool:
    return TIME_COLUMN in s.fields(0)


def _read_canonical(file: TextFile, options: ReadOptions) -> Recording:
    if options.acc_unit or options.gyr_unit:
        raise ConfigError(
            "the canonical format takes its units from the column names (acc_x_g / acc_x_mps2, "
            "gyr_x_dps / gyr_x_rads); do not pass units for it"
        )
    if options.columns:
        raise ConfigError("--columns is for headerless files; the canonical format has a header line")
    return read_canonical_file(file)


# ----------------------------------------------------------------------------- MetaBase

#: MetaBase's columns (MbientLab MetaBase app CSV export): a header like
#: ``epoch (ms),time (-13:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)``.
METABASE_EPOCH = "epoch (ms)"
METABASE_ELAPSED = "elapsed (s)"
_METABASE_AXIS = re.compile(r"^([xyz])-axis \((.+)\)$")
_METABASE_TIME = re.compile(r"^time \(.*\)$")
_METABASE_ACC_UNITS = {"g": "g", "m/s^2": "mps2", "m/s²": "mps2", "m/s2": "mps2"}
_METABASE_GYR_UNITS = {"deg/s": "dps", "°/s": "dps", "rad/s": "rads"}
_ACC_WORD, _GYR_WORD = "Accelerometer", "Gyroscope"


def _detect_metabase(s: Sniff) -> bool:
    fields = s.fields(0)
    return METABASE_EPOCH in fields and any(_METABASE_AXIS.match(f) for f in fields)


def _metabase_axes(fields: Sequence[str]) -> tuple[tuple[str, str, str], str] | None:
    """The x/y/z columns and their unit text, if the header has a full triple in one unit."""
    found: dict[str, tuple[str, str]] = {}
    for name in fields:
        match = _METABASE_AXIS.match(name)
        if match and match.group(1) not in found:
            found[match.group(1)] = (name, match.group(2).strip())
    if set(found) != {"x", "y", "z"} or len({u for _, u in found.values()}) != 1:
        return None
    return (found["x"][0], found["y"][0], found["z"][0]), found["x"][1]


def _metabase_kind(file: TextFile) -> tuple[str, tuple[str, str, str], str, RowLocator, pd.DataFrame]:
    """Parse a MetaBase file; return its kind ("acc"/"gyr"), axis columns, unit, locator, table."""
    frame, where = load_frame(file, delimiter=",")
    line = where.header.header_index + 1
    if METABASE_EPOCH not in frame.columns:
        raise RecordingFormatError(
            file.path,
            f"no {METABASE_EPOCH!r} column; a MetaBase export starts "
            "'epoch (ms),time (...),elapsed (s),x-axis (g),...'",
            line=line,
        )
    axes = _metabase_axes(list(frame.columns))
    if axes is None:
        raise RecordingFormatError(
            file.path,
            "no complete 'x-axis (unit),y-axis (unit),z-axis (unit)' column triple in one unit",
            line=line,
        )
    names, unit = axes
    if unit in _METABASE_ACC_UNITS:
        return "acc", names, _METABASE_ACC_UNITS[unit], where, frame
    if unit in _METABASE_GYR_UNITS:
        return "gyr", names, _METABASE_GYR_UNITS[unit], where, frame
    raise RecordingFormatError(
        file.path,
        f"this MetaBase file holds {unit!r} data, not acceleration (g) or angular rate (deg/s); "
        f"pass the ..._{_ACC_WORD}_....csv file",
        line=line,
        column=names[0],
    )


def _partner(path: str, own: str, other: str) -> tuple[Path | None, list[Path]]:
    """The sibling file with ``other`` in place of ``own`` in the name.

    MetaBase names files ``<prefix>_Accelerometer_<rate>Hz_<fw>.csv`` and
    ``<prefix>_Gyroscope_<rate>Hz_<fw>.csv``; the rates may differ, so after
    the exact swap we accept any one sibling with the same prefix.
    Returns the partner (or ``None``) and all candidates.
    """
    here = Path(path)
    name = here.name
    if own not in name:
        return None, []
    exact = here.with_name(name.replace(own, other, 1))
    if exact.is_file():
        return exact, [exact]
    prefix = name[: name.index(own)] + other
    try:
        candidates = sorted(
            p for p in here.parent.iterdir() if p.name.startswith(prefix) and p.suffix.lower() == ".csv" and p.is_file()
        )
    except OSError:
        return None, []
    return (candidates[0] if len(candidates) == 1 else None), candidates


def _read_metabase(file: TextFile, options: ReadOptions) -> Recording:
    if options.columns:
        raise ConfigError("--columns is for headerless files; a MetaBase export has a header line")
    kind, names, unit, where, frame = _metabase_kind(file)
    if kind == "gyr":
        partner, candidates = _partner(file.path, _GYR_WORD, _ACC_WORD)
        if partner is None:
            raise RecordingFormatError(
                file.path,
                "this is a MetaBase gyroscope file and no single accelerometer file was found beside it "
                f"({len(candidates)} candidates); pass the ..._{_ACC_WORD}_....csv file",
            )
        return _read_metabase(load_text(partner), options)
    acc_unit = options.acc_unit or unit
    acc_time_ms, acc, rows = _metabase_stream(frame, names, where)
    acc = acc * ACC_UNIT_FACTORS[acc_unit]
    metadata = dict(where.header.metadata)
    metadata.setdefault("device", "MetaMotion (MetaBase export)")
    extra = {
        c: frame[c].to_numpy()[rows]
        for c in frame.columns
        if c not in (METABASE_EPOCH, METABASE_ELAPSED, *names) and not _METABASE_TIME.match(c)
    }
    keep = np.ones(acc_time_ms.size, dtype=bool)
    gyr = None
    partner, candidates = _partner(file.path, _ACC_WORD, _GYR_WORD)
    if partner is not None:
        gyr_file = load_text(partner)
        g_kind, g_names, g_unit, g_where, g_frame = _metabase_kind(gyr_file)
        if g_kind != "gyr":
            raise RecordingFormatError(
                gyr_file.path,
                f"expected gyroscope columns 'x-axis (deg/s)',... but found {', '.join(g_names)}",
                line=g_where.header.header_index + 1,
            )
        gyr_time_ms, gyr_values, _ = _metabase_stream(g_frame, g_names, g_where)
        metadata.update({f"gyroscope_{k}": v for k, v in g_where.header.metadata.items() if k.startswith("reader_")})
        gyr_values = gyr_values * GYR_UNIT_FACTORS[options.gyr_unit or g_unit]
        # The two sensors are sampled separately: interpolate the gyroscope onto
        # the accelerometer's time stamps, inside the span both cover (outside
        # it interpolation would invent constant rates).
        keep = (acc_time_ms >= gyr_time_ms[0]) & (acc_time_ms <= gyr_time_ms[-1])
        if not keep.any():
            raise RecordingFormatError(
                file.path,
                f"its time span does not overlap that of the gyroscope file {partner.name}; "
                "were they recorded in the same session?",
                column=METABASE_EPOCH,
            )
        gyr = np.column_stack([np.interp(acc_time_ms[keep], gyr_time_ms, gyr_values[:, k]) for k in range(3)])
        metadata["gyroscope_file"] = partner.name
        outside = int((~keep).sum())
        if outside:
            metadata["reader_dropped_acc_outside_gyroscope"] = str(outside)
    elif len(candidates) > 1:
        metadata["gyroscope_file"] = f"not merged: {len(candidates)} candidate files"
    time_ms = acc_time_ms[keep]
    metadata["start_time"] = pd.Timestamp(int(time_ms[0]), unit="ms", tz="UTC").isoformat()
    time_s = (time_ms - time_ms[0]) * 1e-3
    if not keep.all():
        extra = {k: v[keep] for k, v in extra.items()}
    return Recording(time_s=time_s, acc_mps2=acc[keep], gyr_rads=gyr, metadata=metadata, extra=extra, source=file.path)


def _metabase_stream(
    frame: pd.DataFrame, names: tuple[str, str, str], where: RowLocator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Epoch ms, the three values and the kept-row mask of one MetaBase stream, validated and de-duplicated."""
    if len(frame) == 0:
        raise RecordingFormatError(where.path, "the file has a header but no samples", line=where.header.header_index + 1)
    values = check_numeric(frame, [METABASE_EPOCH, *names], where)
    time_ms = values[METABASE_EPOCH]
    vectors = np.column_stack([values[n] for n in names])
    keep, notes = clean_time_axis(time_ms, vectors, where, time_column=METABASE_EPOCH)
    where.header.metadata.update(notes)
    return time_ms[keep], vectors[keep], keep


# ----------------------------------------------------------------------------- WitMotion

#: Column sets of WitMotion's PC software and SDK text exports, as spelled in
#: the files (see docs/recording-format.md for the sources).  Each entry:
#: accelerometer triple, gyroscope triple, candidate time columns (in order).
_WITMOTION_LAYOUTS: tuple[tuple[tuple[str, str, str], tuple[str, str, str], tuple[str | tuple[str, ...], ...]], ...] = (
    # Newer WitMotion software: "Time  Device name  Chip Time()  Acceleration X(g) ..."
    (
        ("Acceleration X(g)", "Acceleration Y(g)", "Acceleration Z(g)"),
        ("Angular velocity X(°/s)", "Angular velocity Y(°/s)", "Angular velocity Z(°/s)"),
        ("Chip Time()", "Chip Time", "Time"),
    ),
    # Older PC software and the Python SDK: "ChipTime  ax(g) ay(g) az(g)  wx(deg/s) ..."
    (
        ("ax(g)", "ay(g)", "az(g)"),
        ("wx(deg/s)", "wy(deg/s)", "wz(deg/s)"),
        ("ChipTime", "Chiptime", "Time(s)", "Time", "time"),
    ),
    # Another software version: "time  AccX(g) AccY(g) AccZ(g)  AsX(°/s) ..."
    (
        ("AccX(g)", "AccY(g)", "AccZ(g)"),
        ("AsX(°/s)", "AsY(°/s)", "AsZ(°/s)"),
        ("time", "Time", "ChipTime"),
    ),
    # White-space separated variant: "Date Time ax ay az wx wy wz AngleX ..."
    (("ax", "ay", "az"), ("wx", "wy", "wz"), (("Date", "Time"), "Time")),
)
_WITMOTION_DEVICE = "Device name"


def _witmotion_header(s: Sniff) -> tuple[int, str | None, list[str], int] | None:
    """Find the WitMotion header among the first lines: (sniff entry, delimiter, fields, layout)."""
    for i, line in enumerate(s.lines[:6]):
        delimiter = "\t" if "\t" in line else (None if "," not in line else ",")
        fields = [f.strip() for f in _split_fields(line, delimiter)]
        for k, (acc, _gyr, _time) in enumerate(_WITMOTION_LAYOUTS):
            if all(a in fields for a in acc):
                if k == len(_WITMOTION_LAYOUTS) - 1 and not any(f.startswith("Angle") for f in fields):
                    continue  # bare "ax ay az" is too generic without WitMotion's angle columns
                return i, delimiter, fields, k
    return None


def _detect_witmotion(s: Sniff) -> bool:
    return _witmotion_header(s) is not None


def _read_witmotion(file: TextFile, options: ReadOptions) -> Recording:
    if options.columns:
        raise ConfigError("--columns is for headerless files; a WitMotion export has a header line")
    s = sniff(file)
    found = _witmotion_header(s)
    if found is None:
        raise RecordingFormatError(
            file.path,
            "no WitMotion header found in the first lines (expected columns such as "
            "'ax(g) ay(g) az(g) wx(deg/s) ...' or 'Acceleration X(g) ... Angular velocity X(°/s) ...')",
            line=s.index[0] + 1 if s.index else None,
        )
    entry, delimiter, fields, layout = found
    acc, gyr, time_candidates = _WITMOTION_LAYOUTS[layout]
    decimal = _witmotion_decimal(s, entry, delimiter, fields, acc)
    frame, where = load_frame(file, skip_rows=s.index[entry], delimiter=delimiter, decimal=decimal)
    if len(frame) == 0:
        raise RecordingFormatError(file.path, "the file has a header but no samples", line=where.header.header_index + 1)
    if _WITMOTION_DEVICE in frame.columns:
        devices = frame[_WITMOTION_DEVICE].dropna().astype(str).str.strip().unique()
        if len(devices) > 1:
            raise RecordingFormatError(
                file.path,
                f"holds samples of {len(devices)} sensors ({', '.join(devices[:4])}); "
                "export one sensor per file",
                column=_WITMOTION_DEVICE,
            )
    time_column = _first_present(frame, time_candidates)
    if time_column is None:
        if frame.columns[0].startswith("Unnamed: ") or frame.columns[0] == "":
            time_column = frame.columns[0]  # the SDK writes its time column with a blank name
        else:
            raise RecordingFormatError(
                file.path,
                f"no time column (looked for {', '.join(_show(t) for t in time_candidates)})",
                line=where.header.header_index + 1,
            )
    time_unit = "iso"
    if isinstance(time_column, str) and frame[time_column].dtype.kind in "fiu":
        time_unit = "s"
    has_gyr = all(g in frame.columns for g in gyr)
    mapping = ColumnMapping(
        time=time_column,
        acc=acc,
        acc_unit=options.acc_unit or "g",
        gyr=gyr if has_gyr else None,
        gyr_unit=options.gyr_unit or "dps",
        time_unit=time_unit,
        delimiter=delimiter,
        decimal=decimal,
        metadata={"device": "WitMotion (PC software export)"},
        name="witmotion",
    )
    return recording_from_frame(frame, mapping, where)


_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


def _witmotion_decimal(s: Sniff, entry: int, delimiter: str | None, fields: list[str], acc: Sequence[str]) -> str:
    """"," when the first sample writes its acceleration with a decimal comma (European Windows locales)."""
    if delimiter == "," or entry + 1 >= len(s.lines):
        return "."
    values = [v.strip() for v in _split_fields(s.lines[entry + 1], delimiter)]
    column = fields.index(acc[0])
    return "," if column < len(values) and _DECIMAL_COMMA.match(values[column]) else "."


def _first_present(frame: pd.DataFrame, candidates) -> str | tuple[str, ...] | None:
    for candidate in candidates:
        names = (candidate,) if isinstance(candidate, str) else candidate
        if all(n in frame.columns for n in names) and not frame[list(names)].isna().all().all():
            return candidate
    return None


def _show(candidate: str | tuple[str, ...]) -> str:
    return repr(candidate) if isinstance(candidate, str) else "+".join(repr(c) for c in candidate)


# ----------------------------------------------------------------------------- Arduino

#: Time column names of Arduino-style loggers (lower case) and their unit.
_ARDUINO_TIME = {
    "tmillis": "ms",
    "millis": "ms",
    "time_ms": "ms",
    "timems": "ms",
    "t_ms": "ms",
    "timestamp_ms": "ms",
    "ms": "ms",
    "tmicros": "us",
    "micros": "us",
    "time_us": "us",
    "t_us": "us",
    "us": "us",
}
_ARDUINO_ACC = (("ax", "ay", "az"), ("accx", "accy", "accz"), ("acc_x", "acc_y", "acc_z"), ("a_x", "a_y", "a_z"))
_ARDUINO_GYR = (
    ("gx", "gy", "gz"),
    ("gyrx", "gyry", "gyrz"),
    ("gyr_x", "gyr_y", "gyr_z"),
    ("gyrox", "gyroy", "gyroz"),
    ("gyro_x", "gyro_y", "gyro_z"),
    ("g_x", "g_y", "g_z"),
)


def _arduino_columns(fields: Sequence[str]) -> tuple[str, str, tuple[str, str, str], tuple[str, str, str] | None] | None:
    """(time column, time unit, acc names, gyro names) in the file's own spelling."""
    lower = {f.lower(): f for f in fields}
    time = next(((lower[n], u) for n, u in _ARDUINO_TIME.items() if n in lower), None)
    acc = next((tuple(lower[n] for n in triple) for triple in _ARDUINO_ACC if all(n in lower for n in triple)), None)
    if time is None or acc is None:
        return None
    gyr = next((tuple(lower[n] for n in triple) for triple in _ARDUINO_GYR if all(n in lower for n in triple)), None)
    return time[0], time[1], acc, gyr  # type: ignore[return-value]


def _detect_arduino(s: Sniff) -> bool:
    return _arduino_columns(s.fields(0)) is not None


def _read_arduino(file: TextFile, options: ReadOptions) -> Recording:
    if options.columns:
        raise ConfigError("--columns is for headerless files; this Arduino-style log has a header line")
    s = sniff(file)
    delimiter = guess_delimiter(s.header)
    found = _arduino_columns(s.fields(0))
    if found is None:
        raise RecordingFormatError(
            file.path,
            f"not an Arduino-style log: expected a time column ({', '.join(sorted(_ARDUINO_TIME))}) "
            f"and ax,ay,az (found: {', '.join(s.fields(0)[:10]) or 'nothing'})",
            line=s.index[0] + 1 if s.index else None,
        )
    time, time_unit, acc, gyr = found
    assumed = options.acc_unit is None
    mapping = ColumnMapping(
        time=time,
        time_unit=time_unit,
        acc=acc,
        acc_unit=options.acc_unit or "g",
        gyr=gyr,
        gyr_unit=options.gyr_unit or "dps",
        delimiter=delimiter,
        name="arduino",
        metadata={
            "device": "Arduino-style logger",
            "units": f"acc {options.acc_unit or 'g (assumed)'}, gyro {options.gyr_unit or 'deg/s (assumed)'}",
        },
    )
    frame, where = load_frame(file, delimiter=delimiter)
    recording = recording_from_frame(frame, mapping, where)
    if assumed:
        _check_assumed_g(recording, file.path)
    return recording


def _check_assumed_g(recording: Recording, path: str) -> None:
    """Catch the usual unit mistakes when "g" was only assumed.

    Gravity alone makes the median magnitude about 1 g; about 9.8 means the
    logger wrote m/s^2, about 1000 means mg, and thousands mean raw counts.
    """
    if recording.n_samples == 0:
        return
    median = median_reading_g(recording.acc_mps2)
    advice = units_advice(median)
    if advice is None:
        return
    raise RecordingFormatError(
        path,
        f"the accelerometer columns were assumed to be in g, but their median magnitude is {median:.3g} g "
        f"(about 1 g expected from gravity); {advice}",
    )


# ----------------------------------------------------------------------------- headerless

_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def _detect_headerless(s: Sniff) -> bool:
    fields = s.fields(0)
    return len(fields) >= 4 and all(_NUMBER.match(f) for f in fields)


def _read_headerless(file: TextFile, options: ReadOptions) -> Recording:
    columns = options.columns
    example = "time_s,acc_x_g,acc_y_g,acc_z_g[,gyr_x_dps,gyr_y_dps,gyr_z_dps]"
    if not columns:
        raise ConfigError(f"a file without a header line needs its column names: pass --columns {example}")
    _check_canonical_names(columns, example)
    s = sniff(file)
    if not s.lines:
        raise RecordingFormatError(file.path, "the file has no samples")
    delimiter = guess_delimiter(s.header)
    first = s.fields(0)
    if not all(_NUMBER.match(f) for f in first):
        raise RecordingFormatError(
            file.path,
            f"the first line is not numbers ({s.header.strip()[:60]!r}); the file seems to have a header, "
            "so drop --format headerless / --columns",
            line=s.index[0] + 1,
        )
    if len(first) != len(columns):
        raise RecordingFormatError(
            file.path,
            f"this row has {len(first)} fields but --columns names {len(columns)} ({', '.join(columns)})",
            line=s.index[0] + 1,
        )
    frame, where = load_frame(file, delimiter=delimiter, columns=columns)
    return _recording_from_frame(frame, where)


def _check_canonical_names(columns: Sequence[str], example: str) -> None:
    names = [c.strip() for c in columns]
    if TIME_COLUMN not in names:
        raise ConfigError(f"--columns must name a '{TIME_COLUMN}' column (e.g. {example}); got {','.join(names)}")
    for prefix, units in (("acc", ACC_UNITS), ("gyr", GYR_UNITS)):
        with_prefix = [n for n in names if n.startswith(prefix + "_")]
        if prefix == "acc" and not with_prefix:
            raise ConfigError(f"--columns must name the accelerometer columns (e.g. {example}); got {','.join(names)}")
        if with_prefix and not any(all(f"{prefix}_{a}_{u}" in names for a in "xyz") for u in units):
            raise ConfigError(
                f"--columns {','.join(with_prefix)} must be a complete {prefix}_x/y/z triple with a unit suffix "
                f"({', '.join(units)}), e.g. {prefix}_x_{next(iter(units))}"
            )
    if len(set(names)) != len(names):
        raise ConfigError(f"--columns names a column twice: {','.join(names)}")


# ----------------------------------------------------------------------------- registry

PRESETS: dict[str, Preset] = {
    preset.name: preset
    for preset in (
        Preset(
            "canonical",
            "eccentric-sense's own CSV (units from the column suffixes)",
            "time_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps",
            _detect_canonical,
            _read_canonical,
        ),
        Preset(
            "metabase",
            "MetaMotion/MetaBase export; pass the _Accelerometer_ file, its _Gyroscope_ partner is merged",
            "epoch (ms),time (01:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)",
            _detect_metabase,
            _read_metabase,
        ),
        Preset(
            "witmotion",
            "WitMotion PC-software / SDK text export (tab separated)",
            "ChipTime ax(g) ay(g) az(g) wx(deg/s) ... or Chip Time() Acceleration X(g) ...",
            _detect_witmotion,
            _read_witmotion,
        ),
        Preset(
            "arduino",
            "Arduino-style log with a millis/micros column; assumes g and deg/s (--acc-unit/--gyr-unit)",
            "tMillis,ax,ay,az,gx,gy,gz",
            _detect_arduino,
            _read_arduino,
        ),
        Preset(
            "headerless",
            "numbers only, no header line; name the columns with --columns",
            "--columns time_s,acc_x_g,acc_y_g,acc_z_g[,gyr_x_dps,gyr_y_dps,gyr_z_dps]",
            _detect_headerless,
            _read_headerless,
        ),
    )
}


def detect_preset(file: TextFile) -> Preset | None:
    """The first preset whose ``detects`` accepts the file, in :data:`PRESETS` order."""
    s = sniff(file)
    if not s.lines:
        return None
    for preset in PRESETS.values():
        if preset.detects(s):
            return preset
    return None
