"""Lengths and medians of many small vectors (vectorised, faster than NumPy's generic axis reductions)."""

from __future__ import annotations

import numpy as np

__all__ = ["column_medians", "component_norms", "row_norms"]


def component_norms(v: np.ndarray) -> np.ndarray:
    """Euclidean length of component-first vectors: ``(k, ...)`` -> ``(...)``.

    The squares are added component by component, in order: the same
    operations as ``np.linalg.norm(..., axis)`` over a small axis, so the
    result is bit for bit the same, but without a squared copy of the whole
    array and a reduction over an axis of three or four elements (about
    three times faster on an hour of samples).
    """
    total = v[0] * v[0]
    for component in v[1:]:  # 2 or 3 more components, not samples
        total += component * component
    return np.sqrt(total)


def row_norms(v: np.ndarray) -> np.ndarray:
    """Euclidean length of every row of ``v`` ``(m, k)``: ``np.linalg.norm(v, axis=1)``."""
    return component_norms(np.asarray(v).T)


def column_medians(v: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """``np.median(v[rows], axis=0)`` of an ``(m, k)`` array, one column at a time.

    Same values (a median is an element, or the mean of two, whatever the
    layout); selecting each column and partitioning it as one contiguous
    array is about a third faster than NumPy's median along axis 0.
    """
    columns = np.asarray(v).T
    return np.array([np.median(column if rows is None else column[rows]) for column in columns])  # k columns
