"""Reading and writing recordings.

- :func:`read_recording` / :func:`write_recording` / :class:`RecordingWriter`:
  the canonical CSV.
- :func:`read_any`: any supported layout, recognised from the file or named
  with ``format=`` (see :data:`PRESETS` and :func:`describe_formats`).
- :class:`ColumnMapping` + :func:`read_with_mapping`: any other CSV layout.
"""

from .auto import describe_formats, read_any
from .canonical import RecordingWriter, parse_canonical_frame, read_recording, write_recording
from .mapping import ColumnMapping, read_with_mapping
from .presets import PRESETS, Preset

__all__ = [
    "read_recording",
    "write_recording",
    "RecordingWriter",
    "parse_canonical_frame",
    "read_any",
    "describe_formats",
    "ColumnMapping",
    "read_with_mapping",
    "PRESETS",
    "Preset",
]
