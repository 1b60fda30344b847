"""The canonical recording CSV (see ``docs/recording-format.md``).

Reading is done with pandas' C parser (fast enough for hours of 1 kHz data);
every problem is reported as a :class:`~eccentric_sense.errors.RecordingFormatError`
naming the file, line and column.  Writing is incremental: the header goes to
disk first and every batch is flushed, so a crash loses nothing already written.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import IO, Mapping, Sequence

import numpy as np
import pandas as pd

from ..constants import STANDARD_GRAVITY
from ..errors import RecordingFormatError
from ..recording import Recording
from ._text import HeaderInfo, RowLocator, TextFile, check_numeric, clean_time_axis, find_header, load_text, parse_table

__all__ = [
    "read_recording",
    "read_recording_text",
    "write_recording",
    "RecordingWriter",
    "MAGIC_LINE",
    "parse_canonical_frame",
    "ACC_UNITS",
    "GYR_UNITS",
]

MAGIC_LINE = "# eccentric-sense recording v1"
TIME_COLUMN = "time_s"
_AXES = ("x", "y", "z")
#: accelerometer unit suffix -> factor to m/s^2
ACC_UNITS = {"g": STANDARD_GRAVITY, "mps2": 1.0}
#: gyroscope unit suffix -> factor to rad/s
GYR_UNITS = {"dps": np.pi / 180.0, "rads": 1.0}
#: Names accepted by ``read_any(format=...)`` (kept here so messages can list them).
FORMAT_NAMES = ("canonical", "metabase", "witmotion", "arduino", "headerless")


def _find_unit_columns(
    columns: Sequence[str], prefix: str, units: Mapping[str, float], where: RowLocator
) -> tuple[list[str], float] | None:
    """Find ``{prefix}_{axis}_{unit}`` columns; return their names and the SI factor."""
    candidates = [c for c in columns if c.startswith(prefix + "_")]
    if not candidates:
        return None
    for unit, factor in units.items():
        names = [f"{prefix}_{axis}_{unit}" for axis in _AXES]
        if all(n in columns for n in names):
            return names, factor
    # Columns with the prefix exist but do not form a known triple: say exactly why.
    known = " or ".join(f"{prefix}_x_{u}" for u in units)
    found_units = sorted({c.rsplit("_", 1)[-1] for c in candidates if c.count("_") >= 2})
    unknown = [u for u in found_units if u not in units]
    if unknown:
        problem = (
            f"unknown unit suffix {', '.join(repr(u) for u in unknown)} in {', '.join(candidates)}; "
            f"known units are {', '.join(units)} (e.g. {known})"
        )
    else:
        problem = (
            f"columns {', '.join(candidates)} do not form a complete x/y/z triple in one unit "
            f"(expected e.g. {prefix}_x_{next(iter(units))},{prefix}_y_{next(iter(units))},{prefix}_z_{next(iter(units))})"
        )
    raise RecordingFormatError(where.path, problem, line=where.header.header_index + 1, column=candidates[0])


def parse_canonical_frame(
    frame: pd.DataFrame,
    *,
    metadata: dict[str, str],
    path: str,
    header_line: int,
) -> Recording:
    """Turn a parsed canonical table into a :class:`Recording`, validating as we go.

    ``header_line`` is the 1-based line of the header; row ``i`` of ``frame``
    is reported as line ``header_line + 1 + i``.
    """
    header = HeaderInfo(dict(metadata), header_line - 1, "", 0)
    return _recording_from_frame(frame, RowLocator(path, header))


def _recording_from_frame(frame: pd.DataFrame, where: RowLocator) -> Recording:
    columns = [str(c).strip() for c in frame.columns]
    frame.columns = columns
    path = where.path
    header_line = where.header.header_index + 1
    if TIME_COLUMN not in columns and len(columns) == 1 and any(d in columns[0] for d in "\t;"):
        separator = "tabs" if "\t" in columns[0] else "semicolons"
        raise RecordingFormatError(
            path,
            f"the header is separated by {separator}; the canonical format separates columns with commas",
            line=header_line,
        )
    if TIME_COLUMN not in columns:
        raise RecordingFormatError(
            path,
            f"no '{TIME_COLUMN}' column in the header (found: {_shorten(columns)}); "
            "the canonical layout is time_s,acc_x_g,acc_y_g,acc_z_g[,gyr_x_dps,gyr_y_dps,gyr_z_dps]; "
            f"for another layout use --format ({', '.join(FORMAT_NAMES)})",
            line=header_line,
        )
    acc = _find_unit_columns(columns, "acc", ACC_UNITS, where)
    if acc is None:
        raise RecordingFormatError(
            path,
            f"no accelerometer columns (found: {_shorten(columns)}); "
            "expected acc_x_g,acc_y_g,acc_z_g or acc_x_mps2,acc_y_mps2,acc_z_mps2",
            line=header_line,
        )
    gyr = _find_unit_columns(columns, "gyr", GYR_UNITS, where)
    if gyr is not None and all(frame[c].isna().all() for c in gyr[0]):
        # A writer opened with gyroscope columns that never received rates
        # leaves them empty: that is an accelerometer-only recording.
        frame = frame.drop(columns=gyr[0])
        columns = list(frame.columns)
        gyr = None
    used = [TIME_COLUMN, *acc[0], *(gyr[0] if gyr else [])]
    if len(frame) == 0:
        raise RecordingFormatError(path, "the file has a header but no samples", line=header_line)
    values = check_numeric(frame, used, where)
    time_s = values[TIME_COLUMN]
    acc_values = np.column_stack([values[c] for c in acc[0]])
    acc_values *= acc[1]  # in place: no second (n, 3) array
    sensors = [acc_values]
    gyr_values = None
    if gyr:
        gyr_values = np.column_stack([values[c] for c in gyr[0]])
        gyr_values *= gyr[1]
        sensors.append(gyr_values)
    keep, notes = clean_time_axis(time_s, sensors, where, time_column=TIME_COLUMN)
    extra = {c: frame[c].to_numpy() for c in columns if c not in used}
    if not keep.all():
        time_s, acc_values = time_s[keep], acc_values[keep]
        gyr_values = gyr_values[keep] if gyr_values is not None else None
        extra = {k: v[keep] for k, v in extra.items()}
    metadata = dict(where.header.metadata)
    metadata.update(notes)
    return Recording(
        time_s=time_s,
        acc_mps2=acc_values,
        gyr_rads=gyr_values,
        metadata=metadata,
        extra=extra,
        source=path,
    )


def _shorten(columns: Sequence[str], limit: int = 8) -> str:
    if not columns:
        return "nothing"
    shown = ", ".join(columns[:limit])
    return shown + (f", ... ({len(columns)} columns)" if len(columns) > limit else "")


def read_recording(path: str | os.PathLike[str]) -> Recording:
    """Read a recording in the canonical CSV format.

    Parameters
    ----------
    path
        The CSV file.

    Returns
    -------
    Recording

    Raises
    ------
    RecordingFormatError
        With file, line and column, for anything the file does not satisfy.
    """
    return read_canonical_file(load_text(path))


def read_recording_text(text: str, *, path: str = "<memory>") -> Recording:
    """Read canonical CSV from a string (used by :func:`read_recording` and tests)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return read_canonical_file(TextFile(path, text))


def read_canonical_file(file: TextFile) -> Recording:
    """Read canonical CSV from an already loaded :class:`TextFile`."""
    header = find_header(file)
    frame = parse_table(file, header)
    return _recording_from_frame(frame, RowLocator(file.path, header, file))


# ----------------------------------------------------------------------------- writing

def _format_header(metadata: Mapping[str, object], columns: Sequence[str]) -> str:
    lines = [MAGIC_LINE]
    for key, value in metadata.items():
        text = str(value).replace("\n", " ")
        lines.append(f"# {key}: {text}")
    lines.append(",".join(columns))
    return "\n".join(lines) + "\n"


class RecordingWriter:
    """Append samples to a canonical CSV as they arrive.

    The header is written and flushed on open.  :meth:`write` appends rows
    and flushes at least every ``flush_interval_s`` of wall-clock time
    (and always on :meth:`flush`/:meth:`close`), calling ``os.fsync`` so the
    data survives a crash of this process.

    Parameters
    ----------
    path
        Output file.  An existing file is never overwritten unless
        ``overwrite=True``.
    metadata
        ``key: value`` pairs written as ``#`` lines.
    gyroscope
        Whether gyroscope columns are written.
    extra_columns
        Names of additional numeric columns (e.g. ``seq``).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        metadata: Mapping[str, object] | None = None,
        gyroscope: bool = True,
        extra_columns: Sequence[str] = (),
        overwrite: bool = False,
        flush_interval_s: float = 0.25,
    ) -> None:
        import time as _time

        self._clock = _time.monotonic
        self.path = Path(path)
        self.gyroscope = gyroscope
        self.extra_columns = tuple(extra_columns)
        self.columns = [TIME_COLUMN, "acc_x_g", "acc_y_g", "acc_z_g"]
        if gyroscope:
            self.columns += ["gyr_x_dps", "gyr_y_dps", "gyr_z_dps"]
        self.columns += list(self.extra_columns)
        mode = "w" if overwrite else "x"
        try:
            self._handle: IO[str] = open(self.path, mode, encoding="utf-8", newline="")
        except FileExistsError:
            raise RecordingFormatError(
                str(self.path), "already exists; choose another --out or delete it first"
            ) from None
        except OSError as exc:
            raise RecordingFormatError(str(self.path), f"cannot be created: {exc.strerror or exc}") from None
        self.samples_written = 0
        self._flush_interval = flush_interval_s
        self._handle.write(_format_header(metadata or {}, self.columns))
        self.flush()

    def write(
        self,
        time_s: np.ndarray,
        acc_g: np.ndarray,
        gyr_dps: np.ndarray | None = None,
        extra: Mapping[str, np.ndarray] | None = None,
    ) -> None:
        """Append a batch of samples (arrays, samples first)."""
        time_s = np.atleast_1d(np.asarray(time_s, dtype=float))
        if time_s.size == 0:
            return
        parts = [time_s[:, None], np.atleast_2d(np.asarray(acc_g, dtype=float))]
        if self.gyroscope:
            if gyr_dps is None:
                gyr_dps = np.full((time_s.size, 3), np.nan)
            parts.append(np.atleast_2d(np.asarray(gyr_dps, dtype=float)))
        for name in self.extra_columns:
            values = (extra or {}).get(name)
            column = np.full(time_s.size, np.nan) if values is None else np.asarray(values, dtype=float)
            parts.append(column[:, None])
        table = np.hstack(parts)
        buffer = io.StringIO()
        # Time to the microsecond, accelerations to 1 micro-g, rates to 10 micro-deg/s:
        # finer than any 16-bit sensor's quantisation, so writing loses nothing.
        formats = ["%.6f", "%.7f", "%.7f", "%.7f"]
        if self.gyroscope:
            formats += ["%.5f", "%.5f", "%.5f"]
        formats += ["%.10g"] * len(self.extra_columns)
        np.savetxt(buffer, table, delimiter=",", fmt=formats)
        self._handle.write(buffer.getvalue().replace("nan", ""))
        self.samples_written += time_s.size
        if self._clock() - self._last_flush >= self._flush_interval:
            self.flush()

    def flush(self) -> None:
        """Push everything written so far to the disk."""
        self._handle.flush()
        try:
            os.fsync(self._handle.fileno())
        except OSError:  # pragma: no cover - fsync unsupported (e.g. some pipes)
            pass
        self._last_flush = self._clock()

    def close(self) -> None:
        """Flush and close the file (idempotent)."""
        if not self._handle.closed:
            self.flush()
            self._handle.close()

    def __enter__(self) -> "RecordingWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def write_recording(
    recording: Recording,
    path: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    metadata: Mapping[str, object] | None = None,
) -> Path:
    """Write a whole :class:`Recording` as canonical CSV and return the path."""
    meta = dict(recording.metadata)
    if metadata:
        meta.update({k: str(v) for k, v in metadata.items()})
    extra_names = [k for k, v in recording.extra.items() if np.asarray(v).dtype.kind in "fiub"]
    with RecordingWriter(
        path,
        metadata=meta,
        gyroscope=recording.has_gyroscope,
        extra_columns=extra_names,
        overwrite=overwrite,
        flush_interval_s=1e9,
    ) as writer:
        writer.write(
            recording.time_s,
            recording.acc_g,
            recording.gyr_dps,
            {k: recording.extra[k] for k in extra_names},
        )
    return Path(path)


