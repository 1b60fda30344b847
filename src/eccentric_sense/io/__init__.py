"""Reading and writing recordings.

- :func:`read_recording` / :func:`write_recording` / :class:`RecordingWriter`:
  the canonical CSV.
- :func:`read_any`: any supported layout, recognised from the file or named
  with ``format=`` (see :data:`PRESETS` and :func:`describe_formats`).
- :class:`ColumnMapping` + :func:`read_with_mapping`: any other CSV layout.
- :func:`read_threads` / :data:`READ_THREADS_ENV`: how many threads parse a
  large table (``docs/recording-format.md``, "Speed").
"""

from .auto import describe_formats, read_any
from .canonical import RecordingWriter, parse_canonical_frame, read_recording, write_recording
from .mapping import ColumnMapping, read_with_mapping
from ._text import READ_THREADS_ENV, read_threads
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
    "READ_THREADS_ENV",
    "read_threads",
]
