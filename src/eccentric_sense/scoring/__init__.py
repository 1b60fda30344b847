"""Scoring and coaching: the criteria catalog applied to reps, sets and loads.

>>> from eccentric_sense.scoring import score, load_catalog      # doctest: +SKIP
>>> scored = score(result, protocol="negative_only")           # doctest: +SKIP
>>> scored.reps[["rep", "control_score", "flags"]]             # doctest: +SKIP
>>> for item in scored.advice: print(item)                     # doctest: +SKIP
"""

from __future__ import annotations

from .catalog import (
    PROTOCOLS,
    Catalog,
    Param,
    Protocol,
    Rule,
    catalog_from_mapping,
    default_catalog,
    load_catalog,
    parse_rule_overrides,
)
from .load import LoadPlan, plan
from .score import Advice, ScoredAnalysis, exercise_advice, score

__all__ = [
    "PROTOCOLS",
    "Catalog",
    "Param",
    "Protocol",
    "Rule",
    "Advice",
    "ScoredAnalysis",
    "LoadPlan",
    "catalog_from_mapping",
    "default_catalog",
    "load_catalog",
    "parse_rule_overrides",
    "score",
    "exercise_advice",
    "plan",
    "analysis_settings",
]


def analysis_settings(catalog: Catalog | None = None, base=None):
    """``AnalysisSettings`` whose uncontrolled-descent numbers come from the catalog.

    The analysis flags ``uncontrolled_descent`` itself; pass these settings to
    :func:`eccentric_sense.analysis.analyze` so a ``--rule`` override of the
    threshold reaches it too.
    """
    import dataclasses

    from ..analysis import AnalysisSettings

    catalog = catalog or load_catalog()
    base = base or AnalysisSettings()
    return dataclasses.replace(
        base,
        drop_acc_g=catalog.value("uncontrolled_descent", "acc_g"),
        drop_min_duration_s=catalog.value("uncontrolled_descent", "min_duration_s"),
    )
