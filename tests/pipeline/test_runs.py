"""Run-length helpers against hand-worked masks."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eccentric_sense.pipeline._runs import (
    block_spans,
    interior_runs,
    mask_to_runs,
    moving_average,
    nearest_members,
    remove_short_runs,
    run_members,
    runs_to_mask,
    split_runs,
)


def test_mask_to_runs_finds_every_run_half_open():
    mask = np.array([1, 1, 0, 0, 1, 0, 1, 1, 1], dtype=bool)
    assert mask_to_runs(mask).tolist() == [[0, 2], [4, 5], [6, 9]]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=60))
def test_runs_round_trip(values):
    mask = np.array(values, dtype=bool)
    assert np.array_equal(runs_to_mask(mask_to_runs(mask), mask.size), mask)


def test_remove_short_runs_keeps_long_ones_only():
    mask = np.array([1, 0, 1, 1, 1, 0, 1, 1], dtype=bool)
    kept = remove_short_runs(mask, 3)
    assert kept.tolist() == [False, False, True, True, True, False, False, False]
    # The same for runs of False.
    filled = remove_short_runs(np.array([1, 0, 1, 1, 0, 0, 0, 1], dtype=bool), 2, value=False)
    assert filled.tolist() == [True, True, True, True, False, False, False, True]


def test_split_runs_cuts_pieces_and_drops_ragged_tails():
    mask = np.zeros(20, dtype=bool)
    mask[2:13] = True  # 11 samples -> 4 + 4 + 3
    assert split_runs(mask, 4, 1).tolist() == [[2, 6], [6, 10], [10, 13]]
    assert split_runs(mask, 4, 4).tolist() == [[2, 6], [6, 10]]


def test_moving_average_of_a_line_is_the_line_inside():
    x = np.arange(50, dtype=float)
    smooth = moving_average(x, 5)
    assert np.allclose(smooth[2:-2], x[2:-2])
    # Windows shrink at the edges instead of padding with zeros.
    assert smooth[0] == np.mean(x[:3])


def test_block_spans_skip_gaps_and_keep_order():
    block = np.array([-1, 0, 0, 0, -1, -1, 1, 1, 2])
    assert block_spans(block).tolist() == [[1, 4], [6, 8], [8, 9]]


def test_interior_runs_need_false_on_both_sides_and_a_length_in_range():
    mask = np.array([1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 1], dtype=bool)
    # [0, 1) and [12, 13) touch the ends; [7, 11) is longer than 3.
    assert interior_runs(mask, 3).tolist() == [[2, 4], [5, 6]]
    assert interior_runs(mask, 3, min_length=2).tolist() == [[2, 4]]


@given(st.lists(st.booleans(), max_size=60))
def test_run_members_lists_every_sample_of_every_run_once(values):
    mask = np.array(values, dtype=bool)
    runs = mask_to_runs(mask)
    index, run, first = run_members(runs)
    assert index.tolist() == np.flatnonzero(mask).tolist()
    assert np.all((runs[run, 0] <= index) & (index < runs[run, 1]))
    assert index[first].tolist() == runs[:, 0].tolist()


@given(st.lists(st.booleans(), max_size=60))
def test_nearest_members_are_the_closest_true_samples_either_side(values):
    mask = np.array(values, dtype=bool)
    before, after = nearest_members(mask)
    members = np.flatnonzero(mask)
    for i in range(mask.size):  # the plain definition, sample by sample
        earlier, later = members[members <= i], members[members >= i]
        assert before[i] == (earlier[-1] if earlier.size else -1)
        assert after[i] == (later[0] if later.size else mask.size)


def test_runs_to_labels_paints_each_runs_label_and_ignores_empty_runs():
    from eccentric_sense.pipeline._runs import runs_to_labels

    labels = runs_to_labels(np.array([[1, 3], [4, 4], [5, 8]]), np.array([7, 9, 2]), 9)
    assert labels.tolist() == [0, 7, 7, 0, 0, 2, 2, 2, 0]
    assert (labels > 0).tolist() == runs_to_mask(np.array([[1, 3], [5, 8]]), 9).tolist()
