"""Run-length helpers for boolean masks (vectorised)."""

from __future__ import annotations

import numpy as np

__all__ = [
    "mask_to_runs", "runs_to_mask", "remove_short_runs", "running_sum", "moving_average", "split_runs", "split_spans", "block_spans",
    "interior_runs", "run_members", "nearest_members", "running_sum_within",
]


def mask_to_runs(mask: np.ndarray) -> np.ndarray:
    """Start/end indices ``[start, end)`` of every run of ``True``, shape ``(k, 2)``."""
    mask = np.asarray(mask, dtype=bool)
    if mask.size == 0:
        return np.empty((0, 2), dtype=np.intp)
    padded = np.zeros(mask.size + 2, dtype=bool)
    padded[1:-1] = mask
    # Edges are where a sample differs from the one before (comparing the
    # booleans directly: no int8 copy and diff, about three times faster).
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return edges.reshape(-1, 2)


def interior_runs(mask: np.ndarray, max_length: float, min_length: int = 1) -> np.ndarray:
    """Runs of ``True`` with ``False`` on both sides, ``min_length`` to ``max_length`` samples long.

    With ``mask = ~quiet`` these are the bursts of motion between two quiet
    stretches, whose poses and speeds on either side are known.
    """
    mask = np.asarray(mask, dtype=bool)
    runs = mask_to_runs(mask)
    length = runs[:, 1] - runs[:, 0]
    return runs[(runs[:, 0] > 0) & (runs[:, 1] < mask.size) & (length <= max_length) & (length >= min_length)]


def nearest_members(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every sample, the index of the last ``True`` at or before it and of the first at or after it.

    ``-1`` where there is none before, ``mask.size`` where there is none after.
    """
    mask = np.asarray(mask, dtype=bool)
    index = np.arange(mask.size)
    before = np.maximum.accumulate(np.where(mask, index, -1))
    after = np.minimum.accumulate(np.where(mask, index, mask.size)[::-1])[::-1]
    return before, after


def run_members(runs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every sample of the (sorted, disjoint) ``runs`` in one flat array.

    Returns
    -------
    index : sample index of each member
    run : the run each member belongs to
    first : position in the flat array where each run begins
    """
    runs = np.asarray(runs, dtype=np.intp).reshape(-1, 2)
    lengths = runs[:, 1] - runs[:, 0]
    first = np.cumsum(lengths) - lengths
    run = np.repeat(np.arange(runs.shape[0]), lengths)
    index = runs[run, 0] + np.arange(lengths.sum()) - first[run]
    return index, run, first


def running_sum_within(values: np.ndarray, run: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Running sum of ``values`` (one per member, as :func:`run_members` lists them) restarted at each run."""
    total = np.cumsum(values)
    return total - np.concatenate([[0.0], total])[first][run]


def runs_to_mask(runs: np.ndarray, size: int) -> np.ndarray:
    """Inverse of :func:`mask_to_runs`."""
    marks = np.zeros(size + 1, dtype=np.int32)
    runs = np.asarray(runs, dtype=np.intp).reshape(-1, 2)
    np.add.at(marks, runs[:, 0], 1)
    np.add.at(marks, runs[:, 1], -1)
    return np.cumsum(marks[:-1], dtype=np.int32) > 0  # int32 (not the default int64) halves the memory traffic


def runs_to_labels(runs: np.ndarray, labels: np.ndarray, size: int) -> np.ndarray:
    """``labels[k]`` on the samples of run ``k`` (``[start, end)``, runs apart), 0 elsewhere.

    :func:`runs_to_mask` with a label per run (the same running sum of
    marks at the runs' ends).
    """
    marks = np.zeros(size + 1, dtype=np.int64)
    runs = np.asarray(runs, dtype=np.intp).reshape(-1, 2)
    labels = np.asarray(labels, dtype=np.int64)
    np.add.at(marks, runs[:, 0], labels)
    np.add.at(marks, runs[:, 1], -labels)
    return np.cumsum(marks[:-1])


def remove_short_runs(mask: np.ndarray, min_length: int, value: bool = True) -> np.ndarray:
    """Set runs of ``value`` shorter than ``min_length`` samples to ``not value``."""
    mask = np.asarray(mask, dtype=bool)
    target = mask if value else ~mask
    runs = mask_to_runs(target)
    keep = runs[(runs[:, 1] - runs[:, 0]) >= min_length]
    kept = runs_to_mask(keep, mask.size)
    return kept if value else ~kept


def running_sum(x: np.ndarray) -> np.ndarray:
    """Sums of the first ``k`` samples for ``k = 0 .. n`` (``cumsum`` along axis 0 with a leading zero).

    The sum of ``x[a:b]`` is then ``out[b] - out[a]``.  Written in place
    after the zero instead of concatenating one (a copy of the whole array).
    """
    x = np.asarray(x)
    out = np.zeros((x.shape[0] + 1,) + x.shape[1:], dtype=np.cumsum(x[:0], axis=0).dtype)
    np.cumsum(x, axis=0, out=out[1:])
    return out


def moving_average(x: np.ndarray, width: int, axis: int = 0) -> np.ndarray:
    """Centred moving average with edge-shrinking windows (same length as ``x``)."""
    x = np.asarray(x, dtype=float)
    width = max(int(width), 1)
    if width == 1:
        return x.copy()
    x = np.moveaxis(x, axis, 0)
    n = x.shape[0]
    csum = running_sum(x)
    half = width // 2
    # Sample i averages [i - half, i - half + width), cut at the ends.  Where
    # the window is whole, that is one subtraction of shifted slices; only
    # the shrinking windows at the ends need index arrays.
    out = np.empty_like(x)
    whole = max(n - width + 1, 0)
    out[half : half + whole] = (csum[width : width + whole] - csum[:whole]) / width
    edge = np.concatenate([np.arange(min(half, n)), np.arange(half + whole, n)])
    lo = np.clip(edge - half, 0, n)
    hi = np.clip(edge - half + width, 0, n)
    counts = (hi - lo).reshape((-1,) + (1,) * (x.ndim - 1))
    out[edge] = (csum[hi] - csum[lo]) / counts
    return np.moveaxis(out, 0, axis)


def split_runs(mask: np.ndarray, piece: int, min_piece: int = 1) -> np.ndarray:
    """Cut every ``True`` run into consecutive pieces of at most ``piece`` samples.

    Ragged tails shorter than ``min_piece`` are dropped.  Returns ``(k, 2)``
    ``[start, end)`` indices.
    """
    return split_spans(mask_to_runs(mask), piece, min_piece)


def split_spans(runs: np.ndarray, piece: int, min_piece: int = 1) -> np.ndarray:
    """:func:`split_runs` for runs already given as ``(k, 2)`` ``[start, end)`` indices.

    The runs must be sorted, disjoint and non-empty (as :func:`mask_to_runs`
    gives them); no full-length mask is built.
    """
    runs = np.asarray(runs, dtype=np.intp).reshape(-1, 2)
    if runs.shape[0] == 0:
        return np.empty((0, 2), dtype=np.intp)
    piece = max(int(piece), 1)
    counts = np.ceil((runs[:, 1] - runs[:, 0]) / piece).astype(np.intp)
    run_of_piece = np.repeat(np.arange(len(runs)), counts)
    first_piece = np.concatenate([[0], np.cumsum(counts)[:-1]])
    offset = np.arange(counts.sum()) - np.repeat(first_piece, counts)
    begin = runs[run_of_piece, 0] + offset * piece
    end = np.minimum(begin + piece, runs[run_of_piece, 1])
    keep = (end - begin) >= min_piece
    return np.column_stack([begin[keep], end[keep]]).astype(np.intp)


def block_spans(block: np.ndarray) -> np.ndarray:
    """``[start, end)`` of every stretch of equal, non-negative block labels, shape ``(k, 2)``.

    Gap-free blocks are contiguous, so this replaces ``np.unique`` plus a
    full-length comparison per block.
    """
    block = np.asarray(block)
    if block.size == 0:
        return np.empty((0, 2), dtype=np.intp)
    change = np.flatnonzero(block[1:] != block[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [block.size]])
    keep = block[starts] >= 0
    return np.column_stack([starts[keep], ends[keep]]).astype(np.intp)
