"""Physical units to raw int16 counts, shared by the encoders."""

from __future__ import annotations

import numpy as np

__all__ = ["to_int16_counts"]


def to_int16_counts(values: np.ndarray, scale: float) -> np.ndarray:
    """``values / scale`` rounded half to even and saturated to int16 (NaN -> 0)."""
    counts = np.nan_to_num(np.rint(np.asarray(values, dtype=float) / scale), nan=0.0)
    return np.clip(counts, -32768, 32767).astype(np.int16)
