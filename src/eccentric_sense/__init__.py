"""eccentric-sense: measure and coach the lowering phase of lifts.

The public API::

    import eccentric_sense as es
    recording = es.read_recording("set.csv")
    result = es.analyze(recording, exercise="bench")
    result.reps          # pandas rep table
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import (  # noqa: E402
    AnalysisError,
    ConfigError,
    DeviceError,
    EccentricSenseError,
    RecordingFormatError,
    TrainingLogError,
)
from .recording import Recording  # noqa: E402
from .io import read_recording, write_recording  # noqa: E402

__all__ = [
    "__version__",
    "Recording",
    "read_recording",
    "write_recording",
    "EccentricSenseError",
    "RecordingFormatError",
    "AnalysisError",
    "ConfigError",
    "DeviceError",
    "TrainingLogError",
]
