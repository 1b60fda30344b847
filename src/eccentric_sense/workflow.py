"""High-level workflows shared by the command line, reports and notebooks.

``analyze_file`` = read (any supported layout) -> analyse -> score.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from .analysis import AnalysisSettings, analyze
from .io import read_any

__all__ = ["analyze_file", "NEGATIVE_FIRST_PROTOCOLS"]

#: Protocols whose sets always start at the top: every rep is a descent then a return.
NEGATIVE_FIRST_PROTOCOLS = frozenset({"negative_only", "pullup_negative"})


def analyze_file(
    path: str | os.PathLike[str],
    *,
    exercise: str | None = None,
    protocol: str = "tempo",
    format_name: str | None = None,
    rule_overrides: Sequence[str] = (),
    rules_file: str | os.PathLike[str] | None = None,
) -> Any:
    """Read a recording, analyse it and score it against the protocol's rules.

    Returns the scored analysis (see :mod:`eccentric_sense.scoring`).
    """
    recording = read_any(Path(path), format=format_name)
    settings = AnalysisSettings(first_phase="eccentric" if protocol in NEGATIVE_FIRST_PROTOCOLS else None)
    result = analyze(recording, exercise=exercise, settings=settings)
    return result
