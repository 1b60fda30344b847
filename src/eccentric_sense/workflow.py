"""High-level workflows shared by the command line, reports and notebooks.

``analyze_file`` = read (any supported layout) -> analyse -> score.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Sequence

from .analysis import AnalysisSettings, analyze
from .io import read_any
from .scoring import Catalog, ScoredAnalysis, analysis_settings, load_catalog, score

__all__ = ["analyze_file", "analyze_recording", "NEGATIVE_FIRST_PROTOCOLS"]

#: Protocols whose sets always start at the top: every rep is a descent then a return.
NEGATIVE_FIRST_PROTOCOLS = frozenset({"negative_only", "pullup_negative"})


def analyze_recording(
    recording: Any,
    *,
    exercise: str | None = None,
    protocol: str = "tempo",
    rule_overrides: Sequence[str] = (),
    rules_file: str | os.PathLike[str] | None = None,
    settings: AnalysisSettings | None = None,
    catalog: Catalog | None = None,
) -> ScoredAnalysis:
    """Analyse a :class:`~eccentric_sense.Recording` and score it for ``protocol``.

    The catalog (with the user's overrides) is loaded first so that its
    uncontrolled-descent numbers reach the analysis, which flags that rule.
    """
    if catalog is None:
        catalog = load_catalog(rules_file, overrides=list(rule_overrides) or None)
    base = settings or AnalysisSettings()
    if protocol in NEGATIVE_FIRST_PROTOCOLS and base.first_phase is None:
        base = dataclasses.replace(base, first_phase="eccentric")
    result = analyze(recording, exercise=exercise, settings=analysis_settings(catalog, base=base))
    return score(result, protocol=protocol, catalog=catalog, exercise=exercise)


def analyze_file(
    path: str | os.PathLike[str],
    *,
    exercise: str | None = None,
    protocol: str = "tempo",
    format_name: str | None = None,
    columns: Sequence[str] | None = None,
    acc_unit: str | None = None,
    gyr_unit: str | None = None,
    rule_overrides: Sequence[str] = (),
    rules_file: str | os.PathLike[str] | None = None,
) -> ScoredAnalysis:
    """Read a recording (any supported layout), analyse it and score it.

    Returns
    -------
    ScoredAnalysis
        ``.reps``/``.sets`` are the scored tables, ``.advice`` the findings,
        ``.to_dict()`` the JSON document.
    """
    # Options first: a typo in a rule override should not wait for a long file to load.
    catalog = load_catalog(rules_file, overrides=list(rule_overrides) or None)
    recording = read_any(Path(path), format=format_name, columns=columns, acc_unit=acc_unit, gyr_unit=gyr_unit)
    return analyze_recording(recording, exercise=exercise, protocol=protocol, catalog=catalog)
