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
from typing import IO, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..constants import STANDARD_GRAVITY
from ..errors import RecordingFormatError
from ..recording import Recording

__all__ = ["read_recording", "write_recording", "RecordingWriter", "MAGIC_LINE", "parse_canonical_frame"]

MAGIC_LINE = "# eccentric-sense recording v1"
TIME_COLUMN = "time_s"
_AXES = ("x", "y", "z")
#: accelerometer unit suffix -> factor to m/s^2
ACC_UNITS = {"g": STANDARD_GRAVITY, "mps2": 1.0}
#: gyroscope unit suffix -> factor to rad/s
GYR_UNITS = {"dps": np.pi / 180.0, "rads": 1.0}


def _split_metadata(lines: Sequence[str]) -> tuple[dict[str, str], int]:
    """Parse leading ``# key: value`` lines; return metadata and the header's 0-based line index."""
    metadata: dict[str, str] = {}
    index = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            return metadata, index
        body = stripped.lstrip("#").strip()
        if ":" in body:
            key, value = body.split(":", 1)
            metadata[key.strip()] = value.strip()
    return metadata, len(lines)


def _find_unit_columns(
    columns: Sequence[str], prefix: str, units: Mapping[str, float], path: str, header_line: int
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
    found_units = sorted({c.rsplit("_", 1)[-1] for c in candidates})
    known = ", ".join(f"'{prefix}_x_{u}'" for u in units)
    raise RecordingFormatError(
        path,
        f"columns {', '.join(candidates)} do not form an x/y/z triple in a known unit "
        f"(found unit suffix {', '.join(found_units)}; expected e.g. {known})",
        line=header_line,
    )


def parse_canonical_frame(
    frame: pd.DataFrame,
    *,
    metadata: dict[str, str],
    path: str,
    header_line: int,
) -> Recording:
    """Turn a parsed canonical table into a :class:`Recording`, validating as we go."""
    columns = [str(c).strip() for c in frame.columns]
    frame.columns = columns
    if TIME_COLUMN not in columns:
        raise RecordingFormatError(
            path,
            f"no '{TIME_COLUMN}' column in the header (found: {', '.join(columns) or 'nothing'}); "
            "the canonical format needs time_s,acc_x_g,acc_y_g,acc_z_g[,gyr_x_dps,...]. "
            "For another layout pass --format (see 'eccentric-sense analyze --help')",
            line=header_line,
        )
    acc = _find_unit_columns(columns, "acc", ACC_UNITS, path, header_line)
    if acc is None:
        raise RecordingFormatError(
            path,
            "no accelerometer columns (expected acc_x_g,acc_y_g,acc_z_g or acc_x_mps2,...)",
            line=header_line,
        )
    gyr = _find_unit_columns(columns, "gyr", GYR_UNITS, path, header_line)
    used = [TIME_COLUMN, *acc[0], *(gyr[0] if gyr else [])]
    _check_numeric(frame, used, path, header_line)
    if len(frame) == 0:
        raise RecordingFormatError(path, "the file has a header but no samples")
    time_s = frame[TIME_COLUMN].to_numpy(dtype=float)
    acc_values = frame[acc[0]].to_numpy(dtype=float) * acc[1]
    gyr_values = frame[gyr[0]].to_numpy(dtype=float) * gyr[1] if gyr else None
    time_s, acc_values, gyr_values, keep = _clean_time_axis(
        time_s, acc_values, gyr_values, path=path, first_data_line=header_line + 1
    )
    extra = {
        c: frame[c].to_numpy()[keep] for c in columns if c not in used
    }
    return Recording(
        time_s=time_s,
        acc_mps2=acc_values,
        gyr_rads=gyr_values,
        metadata=metadata,
        extra=extra,
        source=path,
    )


def _check_numeric(frame: pd.DataFrame, names: Sequence[str], path: str, header_line: int) -> None:
    """Every used cell must be a finite number; report the first that is not."""
    for name in names:
        column = frame[name]
        if column.dtype.kind in "fiu":
            values = column.to_numpy(dtype=float)
            bad = ~np.isfinite(values)
        else:
            converted = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
            bad = ~np.isfinite(converted)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            cell = column.iloc[row]
            shown = "an empty cell" if (isinstance(cell, float) and np.isnan(cell)) or str(cell).strip() == "" else f"{str(cell)!r}"
            raise RecordingFormatError(
                path,
                f"{shown} is not a number",
                line=header_line + 1 + row,
                column=name,
            )


def _clean_time_axis(
    time_s: np.ndarray,
    acc: np.ndarray,
    gyr: np.ndarray | None,
    *,
    path: str,
    first_data_line: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Drop exact duplicate rows and reject time running backwards.

    Duplicated rows (the same time stamp written twice, as host loggers do on
    retransmission) are dropped; a later time stamp that is *smaller* than an
    earlier one is an error, because re-ordering would silently invent motion.
    Returns the cleaned arrays and the boolean mask of kept rows.
    """
    step = np.diff(time_s)
    backwards = np.flatnonzero(step < 0)
    if backwards.size:
        row = int(backwards[0]) + 1
        raise RecordingFormatError(
            path,
            f"time goes backwards ({time_s[row - 1]:g} s then {time_s[row]:g} s); "
            "times must be non-decreasing",
            line=first_data_line + row,
            column=TIME_COLUMN,
        )
    keep = np.ones(time_s.size, dtype=bool)
    keep[1:] = step > 0
    return time_s[keep], acc[keep], (gyr[keep] if gyr is not None else None), keep


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
    path_str = str(path)
    try:
        with open(path, "r", encoding="utf-8", errors="strict", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise RecordingFormatError(path_str, "file not found") from None
    except IsADirectoryError:
        raise RecordingFormatError(path_str, "is a directory, not a CSV file") from None
    except UnicodeDecodeError as exc:
        raise RecordingFormatError(path_str, f"not a text file (byte {exc.start} is not UTF-8)") from None
    except OSError as exc:
        raise RecordingFormatError(path_str, f"cannot be read: {exc.strerror or exc}") from None
    return read_recording_text(text, path=path_str)


def read_recording_text(text: str, *, path: str = "<memory>") -> Recording:
    """Read canonical CSV from a string (used by :func:`read_recording` and tests)."""
    if not text.strip():
        raise RecordingFormatError(path, "the file is empty")
    head = text[: 64 * 1024].splitlines()
    metadata, header_index = _split_metadata(head)
    if header_index >= len(head):
        raise RecordingFormatError(path, "the file has metadata lines but no header line")
    header_line = header_index + 1
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            skiprows=header_index,
            skipinitialspace=True,
            comment=None,
            low_memory=False,
        )
    except pd.errors.ParserError as exc:
        line = _line_from_parser_error(str(exc), header_index)
        raise RecordingFormatError(path, f"malformed CSV row ({_short_parser_message(str(exc))})", line=line) from None
    except pd.errors.EmptyDataError:
        raise RecordingFormatError(path, "no header line after the metadata") from None
    return parse_canonical_frame(frame, metadata=metadata, path=path, header_line=header_line)


def _line_from_parser_error(message: str, header_index: int) -> int | None:
    import re

    match = re.search(r"line (\d+)", message)
    if not match:
        return None
    return int(match.group(1)) + header_index


def _short_parser_message(message: str) -> str:
    message = message.strip().rstrip(".")
    if "Expected" in message and "fields" in message:
        import re

        match = re.search(r"Expected (\d+) fields in line \d+, saw (\d+)", message)
        if match:
            return f"expected {match.group(1)} fields, found {match.group(2)}"
    return message.split("\n")[0]


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


