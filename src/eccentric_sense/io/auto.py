"""One entry point for every recording layout: :func:`read_any`."""

from __future__ import annotations

import os
from typing import Sequence

from ..errors import ConfigError, RecordingFormatError
from ..recording import Recording
from ._text import load_text
from .mapping import ACC_UNIT_FACTORS, GYR_UNIT_FACTORS, ColumnMapping, read_mapped_file
from .presets import PRESETS, ReadOptions, detect_preset, sniff

__all__ = ["read_any", "describe_formats"]

def read_any(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    mapping: ColumnMapping | None = None,
    columns: Sequence[str] | str | None = None,
    acc_unit: str | None = None,
    gyr_unit: str | None = None,
) -> Recording:
    """Read a recording in any supported layout.

    Parameters
    ----------
    path
        The file.  For a MetaBase export pass the ``..._Accelerometer_...``
        file; its ``..._Gyroscope_...`` partner beside it is merged in.
    format
        Force a preset (one of :data:`PRESETS`: ``canonical``, ``metabase``,
        ``arduino``, ``witmotion``, ``headerless``).  ``None`` recognises the
        layout from the file's first lines.
    mapping
        An explicit :class:`ColumnMapping`; overrides ``format``.
    columns
        Column names for a file without a header line (``headerless``),
        canonical style, e.g. ``"time_s,acc_x_g,acc_y_g,acc_z_g"``.
    acc_unit, gyr_unit
        Override the units a preset assumes (``g``/``mps2``/``mg`` and
        ``dps``/``rads``), e.g. for an Arduino logger writing m/s^2.

    Raises
    ------
    ConfigError
        Unknown format name, invalid mapping or options.
    RecordingFormatError
        The file cannot be read; the message names the file, line, column and
        the problem, and suggests a fix where one is known.
    """
    if format is not None and format not in PRESETS:
        raise ConfigError(f"unknown format {format!r}; valid formats: {', '.join(PRESETS)}")
    if acc_unit is not None and acc_unit not in ACC_UNIT_FACTORS:
        raise ConfigError(f"unknown accelerometer unit {acc_unit!r}; valid: {', '.join(ACC_UNIT_FACTORS)}")
    if gyr_unit is not None and gyr_unit not in GYR_UNIT_FACTORS:
        raise ConfigError(f"unknown gyroscope unit {gyr_unit!r}; valid: {', '.join(GYR_UNIT_FACTORS)}")
    if isinstance(columns, str):
        columns = [c for c in columns.split(",")]
    if columns is not None:
        columns = tuple(c.strip() for c in columns)
        if not all(columns):
            raise ConfigError("--columns has an empty name (two commas in a row?)")
    file = load_text(path)
    if mapping is not None:
        return read_mapped_file(file, mapping)
    options = ReadOptions(columns=columns, acc_unit=acc_unit, gyr_unit=gyr_unit)
    if format is not None:
        return PRESETS[format].read(file, options)
    if columns:
        return PRESETS["headerless"].read(file, options)
    preset = detect_preset(file)
    if preset is None:
        s = sniff(file)
        if not s.lines:
            if not file.head(64 * 1024).strip():  # what sniff read: nothing at all
                raise RecordingFormatError(file.path, "the file is empty; it needs a header line and samples")
            raise RecordingFormatError(file.path, "the file has only comment or metadata lines, no header and no samples")
        shown = s.header.strip()
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise RecordingFormatError(
            file.path,
            f"unrecognised layout (header {shown!r}); name it with --format "
            f"({', '.join(PRESETS)}) or describe it with a ColumnMapping; see 'eccentric-sense analyze --help'",
            line=s.index[0] + 1,
        )
    return preset.read(file, options)


def describe_formats() -> str:
    """A short text for ``--help``: every format name, what it is and the header it expects."""
    lines = ["Recording formats (--format NAME; recognised from the header when omitted):"]
    for preset in PRESETS.values():
        lines.append(f"  {preset.name:<11} {preset.summary}")
        lines.append(f"  {'':<11} e.g. {preset.example}")
    return "\n".join(lines)
