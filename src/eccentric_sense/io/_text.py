"""Shared plumbing of the CSV readers: opening files, finding the header,
parsing with pandas' C parser, and turning row numbers back into line numbers.

Everything a user can get wrong becomes a :class:`RecordingFormatError` that
names the file and, where known, the line and the column.  Line numbers are
only computed on the error path, so the fast path stays a plain
``pandas.read_csv``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ..errors import RecordingFormatError
from ..recording import repeated_rows

__all__ = [
    "TextFile",
    "load_text",
    "split_lines",
    "HeaderInfo",
    "find_header",
    "parse_table",
    "read_threads",
    "READ_THREADS_ENV",
    "RowLocator",
    "check_numeric",
    "clean_time_axis",
]

#: How much of the file is scanned for metadata and the header.
_HEAD_CHARS = 64 * 1024
#: Tables of at least this many bytes per thread are parsed in pieces on
#: several threads (see :func:`_read_in_pieces`); smaller ones in one go.
_PIECE_MIN_BYTES = 4 * 1024 * 1024
#: How much of a large table is parsed first to see whether every column holds numbers.
_PROBE_BYTES = 64 * 1024
#: Environment variable setting the number of parsing threads ("1": one).
READ_THREADS_ENV = "ECCENTRIC_SENSE_READ_THREADS"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
try:  # the strings read_csv takes for missing values by default
    from pandas._libs.parsers import STR_NA_VALUES as _DEFAULT_NA_STRINGS
except ImportError:  # pragma: no cover - a private name; parse_table then always uses the defaults
    _DEFAULT_NA_STRINGS = None
#: Marker bytes of WitMotion's PC software when it writes GBK instead of UTF-8
#: ("°" is A1 E3 in GBK); only then is a non-UTF-8 file decoded as GB18030.
_GBK_HINTS = (b"\xa1\xe3", b"\xa1\xe6")


class TextFile:
    """A recording file as text.

    ``text`` may be ``None`` when ``data`` is pure ASCII (every canonical
    recording): the text is then decoded from the bytes only if something
    needs all of it (an error message naming a line).  The parser reads the
    bytes, and finding the header and the layout reads only the
    :meth:`head`, so a large file is not held twice.
    """

    def __init__(self, path: str, text: str | None, encoding: str = "utf-8", data: bytes | None = None) -> None:
        if text is None and data is None:
            raise ValueError("TextFile needs its text or its (ASCII) bytes")
        self.path = path
        self._text = text
        self.encoding = encoding
        #: The text as UTF-8 bytes (no BOM); the C parser reads bytes fastest.
        self.data = data

    def __repr__(self) -> str:
        return f"TextFile({self.path!r}, encoding={self.encoding!r})"

    @property
    def text(self) -> str:
        """The whole text."""
        if self._text is None:
            self._text = self.data.decode("ascii")
        return self._text

    def head(self, chars: int) -> str:
        """The first ``chars`` characters of the text."""
        if self._text is None:
            return self.data[:chars].decode("ascii")  # ASCII: one byte per character
        return self._text[:chars]

    def stream_from(self, offset: int) -> io.BytesIO:
        """A binary stream of the UTF-8 text from character ``offset`` on.

        The stream shares the file's bytes and starts at the offset (a seek,
        not a slice: slicing copied the whole file once more).
        """
        if self.data is None:
            self.data = self.text.encode("utf-8")
        stream = io.BytesIO(self.data)
        stream.seek(len(self.head(offset).encode("utf-8")))
        return stream


def load_text(path: str | os.PathLike[str]) -> TextFile:
    """Read a file as text, or raise a one-line :class:`RecordingFormatError`.

    UTF-8 (with or without BOM) is expected.  A GBK-encoded WitMotion export
    is recognised by its degree sign and decoded as GB18030; anything else
    that is not UTF-8, or that contains NUL bytes, is "not a text file".
    """
    path_str = os.fspath(path)
    try:
        with open(path_str, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise RecordingFormatError(path_str, "file not found; check the path") from None
    except IsADirectoryError:
        raise RecordingFormatError(path_str, f"is a directory, not a recording file; {_files_hint(path_str)}") from None
    except PermissionError:
        raise RecordingFormatError(path_str, "cannot be read: permission denied") from None
    except OSError as exc:
        raise RecordingFormatError(path_str, f"cannot be read: {exc.strerror or exc}") from None
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise RecordingFormatError(
            path_str,
            f"not a text file (byte {nul} is a NUL byte); a recording must be a CSV text file",
            line=raw.count(b"\n", 0, nul) + 1,
        )
    if raw.isascii():
        # Valid UTF-8 without a BOM: kept as bytes, decoded only if needed.
        return TextFile(path_str, None, "utf-8", raw)
    encoding = "utf-8"
    data: bytes | None = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = None
        if any(hint in raw[:_HEAD_CHARS] for hint in _GBK_HINTS):
            try:
                text = raw.decode("gb18030")
                encoding = "gb18030"
                data = None
            except UnicodeDecodeError:
                text = None
        if text is None:
            raise RecordingFormatError(
                path_str,
                f"not a text file (byte {exc.start} is not valid UTF-8); a recording must be a CSV text file",
                line=raw.count(b"\n", 0, exc.start) + 1,
            ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return TextFile(path_str, text, encoding, data)


def _files_hint(directory: str) -> str:
    try:
        names = sorted(n for n in os.listdir(directory) if n.lower().endswith((".csv", ".txt")))
    except OSError:
        names = []
    if not names:
        return "pass a recording file"
    shown = ", ".join(names[:3]) + (f" ... ({len(names)} files)" if len(names) > 3 else "")
    return f"pass one of the files in it ({shown})"


def split_lines(text: str) -> list[str]:
    """Split on the line breaks the CSV parser recognises (LF, CRLF, CR) and nothing else."""
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


@dataclass
class HeaderInfo:
    """Where the table starts.

    Attributes
    ----------
    metadata
        ``# key: value`` lines before the header.
    header_index
        0-based index of the header line (or of the first data line when the
        file has no header).
    header_line
        The header line's text.
    offset
        Character offset of ``header_index`` in the text.
    """

    metadata: dict[str, str]
    header_index: int
    header_line: str
    offset: int


def find_header(file: TextFile, *, skip_rows: int = 0) -> HeaderInfo:
    """Skip ``skip_rows`` lines, then ``#`` metadata and blank lines; return the first other line."""
    # The header is near the top: the head is searched first, the whole text
    # only when the header is not in it (long metadata, or no header at all).
    head = file.head(_HEAD_CHARS)
    if len(head) == _HEAD_CHARS:
        found, _ = _scan_for_header(head, skip_rows, partial=True)
        if found is not None:
            return found
    text = file.text
    if not text or text.isspace():  # not text.strip(), which copies the whole file
        raise RecordingFormatError(file.path, "the file is empty; it needs a header line and samples")
    found, index = _scan_for_header(text, skip_rows, partial=False)
    if found is not None:
        return found
    if skip_rows and index <= skip_rows:
        raise RecordingFormatError(file.path, f"the file has only {index} lines, fewer than the {skip_rows} to skip")
    raise RecordingFormatError(file.path, "the file has only comment or metadata lines, no header and no samples")


def _scan_for_header(text: str, skip_rows: int, *, partial: bool) -> tuple[HeaderInfo | None, int]:
    """The header in ``text`` and the number of lines read; ``partial``: ``text`` is a head of the file.

    In a head, a line that runs to its end may continue beyond it: the
    search stops there without an answer.
    """
    metadata: dict[str, str] = {}
    offset = 0
    index = 0
    for match in _iter_lines(text):
        line = match.group(1)
        if partial and match.end(1) == len(text):
            return None, index
        if index >= skip_rows:
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                return HeaderInfo(metadata, index, line, offset), index
            if stripped.startswith("#"):
                body = stripped.lstrip("#").strip()
                if ":" in body:
                    key, value = body.split(":", 1)
                    if key.strip():
                        metadata[key.strip()] = value.strip()
        offset = match.end()
        index += 1
    return None, index


def _iter_lines(text: str):
    return re.finditer(r"([^\r\n]*)(?:\r\n|\r|\n|$)", text)


@dataclass
class RowLocator:
    """Maps 0-based data rows of a parsed table back to 1-based file lines.

    With the file's text it skips blank lines exactly as pandas does; without
    it (a frame built in memory) it assumes one line per row.
    """

    path: str
    header: HeaderInfo
    file: TextFile | None = None
    has_header: bool = True
    delimiter: str | None = ","

    def line(self, row: int) -> int:
        """1-based file line of data row ``row`` (error path only: walks the text)."""
        first = self.header.header_index + 1
        if self.file is None:
            return first + row + (1 if self.has_header else 0)
        lines = split_lines(self.file.text[self.header.offset :])
        remaining = row
        for i, text in enumerate(lines):
            if (self.has_header and i == 0) or not text.strip():
                continue
            if remaining == 0:
                return first + i
            remaining -= 1
        return self.header.header_index + len(lines)

    def field_text(self, line: int, position: int) -> str | None:
        """Raw text of field ``position`` (0-based) on 1-based ``line``, or ``None`` when unknown."""
        if self.file is None:
            return None
        lines = split_lines(self.file.text)
        if line - 1 >= len(lines):
            return None
        text = lines[line - 1]
        fields = text.split() if self.delimiter is None else text.split(self.delimiter)
        return fields[position].strip() if position < len(fields) else None

    def field_count(self, line: int) -> int | None:
        """Number of fields on 1-based ``line``, or ``None`` when the text is not known."""
        if self.file is None:
            return None
        lines = split_lines(self.file.text)
        if line - 1 >= len(lines):
            return 0
        text = lines[line - 1]
        return len(text.split()) if self.delimiter is None else len(text.split(self.delimiter))


def parse_table(
    file: TextFile,
    header: HeaderInfo,
    *,
    delimiter: str | None = ",",
    names: Sequence[str] | None = None,
    decimal: str = ".",
) -> pd.DataFrame:
    """Parse the table from ``header.offset`` on with pandas' C parser.

    ``names`` given means the file has no header line.  ``delimiter=None``
    splits on runs of white space.  ``decimal=","`` reads decimal commas.
    """
    kwargs: dict[str, object] = {"decimal": decimal}
    if delimiter is None:
        kwargs["sep"] = r"\s+"
    else:
        kwargs["sep"] = delimiter
        kwargs["skipinitialspace"] = True
    if names is not None:
        kwargs["header"] = None
        kwargs["names"] = list(names)
    try:
        with warnings.catch_warnings():
            # Mixed types are diagnosed cell by cell later, with line numbers.
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            frame = _read_csv(file, header, kwargs)
    except pd.errors.EmptyDataError:
        raise RecordingFormatError(file.path, "no header line and no samples") from None
    except pd.errors.ParserError as exc:
        raise _parser_error(file, header, str(exc)) from None
    except (ValueError, OverflowError, csv.Error, UnicodeError) as exc:
        raise RecordingFormatError(
            file.path, f"malformed table ({_first_line(str(exc))})", line=header.header_index + 1
        ) from None
    if names is not None and frame.shape[1] != len(names):
        raise RecordingFormatError(file.path, "malformed table", line=header.header_index + 1)
    frame.columns = [str(c).strip() for c in frame.columns]
    if names is None:
        _check_header_names(file, header, list(frame.columns))
    return frame


def _read_csv(file: TextFile, header: HeaderInfo, kwargs: dict[str, object]) -> pd.DataFrame:
    """``pandas.read_csv`` of the table, with pandas' default missing values.

    Matching every field against pandas' list of missing-value strings
    ("NA", "null", "nan", ...) costs a tenth of the parse.  Sensor columns
    hold numbers or empty cells, so the table is first read with only the
    empty cell as missing; a column left as text that holds one of the
    other strings (where they would have made a difference) is the sign to
    read it again with the defaults.  The frame is the default one either way.
    """
    if _DEFAULT_NA_STRINGS is None:  # pandas moved its list: no shortcut
        return pd.read_csv(file.stream_from(header.offset), engine="c", comment=None, encoding="utf-8", **kwargs)
    na_kwargs = {"keep_default_na": False, "na_values": [""]}
    frame = _read_in_pieces(file, header, {**kwargs, **na_kwargs}, read_threads())
    if frame is not None:  # all numeric: the default missing values make no difference
        return frame
    frame = pd.read_csv(
        file.stream_from(header.offset), engine="c", comment=None, encoding="utf-8", **na_kwargs, **kwargs
    )
    # Rows longer than the header make pandas take the first fields as the
    # index: those are not checked here, so read again.
    again = not isinstance(frame.index, pd.RangeIndex)
    for position, dtype in enumerate(frame.dtypes):  # per column, not per sample
        if again:
            break
        again = dtype.kind not in "biufc" and bool(frame.iloc[:, position].isin(_DEFAULT_NA_STRINGS).any())
    if again:
        return pd.read_csv(file.stream_from(header.offset), engine="c", comment=None, encoding="utf-8", **kwargs)
    return frame


def read_threads() -> int:
    """How many threads parse one large table: ``ECCENTRIC_SENSE_READ_THREADS`` if set, else the CPUs this process may use."""
    setting = os.environ.get(READ_THREADS_ENV, "").strip()
    if setting.isdigit() and int(setting) >= 1:
        return int(setting)
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _read_in_pieces(
    file: TextFile,
    header: HeaderInfo,
    kwargs: dict[str, object],
    threads: int,
    *,
    min_piece_bytes: int | None = None,
) -> pd.DataFrame | None:
    """The table parsed in pieces on ``threads`` threads, or ``None`` when that is not safe or not worth it.

    pandas' C parser lets go of the interpreter while it splits and converts
    the fields, so the pieces of a large table are parsed at the same time
    (an hour of 200 Hz data: 0.45 s -> 0.30 s on two cores).  The pieces are
    cut just after line breaks; each is parsed exactly as the whole table
    would be, field by field, so the joined frame is the same.  ``None``,
    and the caller parses the whole table in one go (and reports any error
    with its line number), when the table is small, could have a quoted
    field running over a line break, fails to parse, or has a column that
    is not numbers of one type in every piece.  ``min_piece_bytes``
    (default ``_PIECE_MIN_BYTES``) is the smallest piece worth a thread.
    """
    stream = file.stream_from(header.offset)
    data = file.data
    start = stream.tell()
    threads = min(threads, (len(data) - start) // (min_piece_bytes or _PIECE_MIN_BYTES))
    if threads < 2 or data.find(b'"', start) >= 0:
        return None
    kwargs = dict(kwargs)
    if kwargs.get("names") is None:
        # The header line is parsed on its own (pandas' names for it,
        # repeats renamed as in the whole table); every piece is then rows only.
        header_end = data.find(b"\n", start) + 1
        if header_end <= 0:
            return None
        try:
            names = list(pd.read_csv(io.BytesIO(data[start:header_end]), engine="c", **kwargs).columns)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error, UnicodeError):
            return None
        kwargs.update(header=None, names=names)
        start = header_end
    # A column of text (the clock-time column of MetaBase and WitMotion
    # exports) would make the pieces useless and the table parsed twice:
    # the first rows tell, before the pieces are parsed.
    view = memoryview(data)  # pieces of the bytes without copies
    probe_end = data.find(b"\n", start + _PROBE_BYTES) + 1
    try:
        probe = pd.read_csv(io.BytesIO(view[start : probe_end or len(data)]), engine="c", **kwargs)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OverflowError, csv.Error, UnicodeError):
        return None
    if any(dtype.kind not in "iuf" for dtype in probe.dtypes):
        return None
    cuts = [start]
    for k in range(1, threads):  # pieces, not samples
        cut = data.find(b"\n", start + k * (len(data) - start) // threads) + 1
        if cuts[-1] < cut < len(data):  # a long line can swallow a piece: one fewer
            cuts.append(cut)
    cuts.append(len(data))
    threads = len(cuts) - 1
    if threads < 2:
        return None

    def parse(piece: int) -> pd.DataFrame:
        rows = io.BytesIO(view[cuts[piece] : cuts[piece + 1]])
        return pd.read_csv(rows, engine="c", comment=None, encoding="utf-8", **kwargs)

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            frames = list(pool.map(parse, range(threads)))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OverflowError, csv.Error, UnicodeError):
        return None
    # A piece of blank lines only has no rows (and text columns): it adds nothing.
    frames = [frame for frame in frames if len(frame)] or frames[:1]
    dtypes = list(frames[0].dtypes)
    for frame in frames:  # pieces
        if not isinstance(frame.index, pd.RangeIndex) or list(frame.dtypes) != dtypes:
            return None
    if any(dtype.kind not in "iuf" for dtype in dtypes):
        return None
    return pd.concat(frames, ignore_index=True)


def _check_header_names(file: TextFile, header: HeaderInfo, columns: list[str]) -> None:
    seen: set[str] = set()
    for name in columns:
        # pandas renames a repeated name "a" to "a.1"; report the original.
        base = re.sub(r"\.\d+$", "", name)
        if name != base and base in seen:
            raise RecordingFormatError(
                file.path,
                f"the header names column {base!r} twice; every column needs a distinct name",
                line=header.header_index + 1,
                column=base,
            )
        seen.add(name)


def _first_line(message: str) -> str:
    return message.strip().split("\n")[0].rstrip(".")


def _parser_error(file: TextFile, header: HeaderInfo, message: str) -> RecordingFormatError:
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if match:
        expected, rel_line, saw = (int(g) for g in match.groups())
        # pandas counts lines from the start of what it was given, 1-based.
        line = header.header_index + rel_line
        return RecordingFormatError(
            file.path,
            f"this row has {saw} fields but the header has {expected}; "
            "every row needs one value per column (a missing comma, or an extra one?)",
            line=line,
        )
    return RecordingFormatError(file.path, f"malformed CSV ({_first_line(message)})", line=header.header_index + 1)


def _describe_cell(cell: object) -> str:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)) or str(cell).strip() == "":
        return "an empty cell"
    text = str(cell)
    if len(text) > 40:
        text = text[:37] + "..."
    return repr(text)


def check_numeric(frame: pd.DataFrame, names: Sequence[str], where: RowLocator) -> dict[str, np.ndarray]:
    """Convert the named columns to float arrays; report the first cell that is not a finite number."""
    values: dict[str, np.ndarray] = {}
    width = frame.shape[1]
    for name in names:
        column = frame[name]
        if column.dtype.kind in "fiu":
            array = column.to_numpy(dtype=float)
        else:
            array = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(array)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            line = where.line(row)
            cell = column.iloc[row]
            shown = _describe_cell(cell)
            if shown == "an empty cell":
                # pandas reads "NA", "null", "nan" and the like as missing:
                # name what the file really holds.
                position = frame.columns.get_loc(name)  # an int: column names are checked to be distinct
                raw = where.field_text(line, position) if isinstance(position, int) else None
                if raw:
                    shown = _describe_cell(raw)
            fields = where.field_count(line)
            if shown == "an empty cell" and fields is not None and fields < width:
                problem = (
                    f"this row has {fields} fields but the header has {width}; "
                    "every row needs one value per column"
                )
            elif str(cell).strip().lower().lstrip("+-") in {"inf", "infinity"}:
                problem = f"{shown} is not a finite number"
            else:
                problem = f"{shown} is not a number"
            raise RecordingFormatError(where.path, problem, line=line, column=name)
        values[name] = array
    return values


def clean_time_axis(
    time_s: np.ndarray, used: np.ndarray | Sequence[np.ndarray], where: RowLocator, *, time_column: str
) -> tuple[np.ndarray, dict[str, str]]:
    """Validate the time axis; return the mask of rows to keep and metadata notes.

    - time running backwards is an error naming the line (re-ordering would
      silently invent motion);
    - rows that repeat the previous row exactly (loggers do this on
      retransmission) are dropped;
    - a row with the same time as the previous one but different values is
      kept, and counted in the metadata: host clocks stamp the packets of one
      BLE connection event alike, and dropping all but the first threw away
      half or two thirds of a 100 Hz stream (the pipeline spreads them out).
    Gaps and jitter are kept as they are: the pipeline regularises time.
    ``used`` holds the sample values, shape ``(n, k)``, or a sequence of
    such arrays (e.g. accelerometer and gyroscope, not stacked into a copy).
    """
    notes: dict[str, str] = {}
    keep = np.ones(time_s.size, dtype=bool)
    if time_s.size < 2:
        return keep, notes
    step = np.diff(time_s)
    backwards = np.flatnonzero(step < 0)
    if backwards.size:
        row = int(backwards[0]) + 1
        raise RecordingFormatError(
            where.path,
            f"time goes backwards ({time_s[row - 1]:.6g} s on line {where.line(row - 1)}, "
            f"then {time_s[row]:.6g} s); times must increase (two recordings pasted together?)",
            line=where.line(row),
            column=time_column,
        )
    same_time = step == 0
    if same_time.any():
        identical = repeated_rows(time_s, *([used] if isinstance(used, np.ndarray) else used))
        keep = ~identical
        n_identical = int(identical.sum())
        n_conflicting = int(same_time.sum()) - n_identical
        if n_identical:
            notes["reader_dropped_duplicate_rows"] = str(n_identical)
        if n_conflicting:
            notes["reader_same_time_rows"] = str(n_conflicting)
    return keep, notes
