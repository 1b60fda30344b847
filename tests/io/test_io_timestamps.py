"""parse_timestamps: the timestamp layouts loggers write, checked against datetime arithmetic."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from eccentric_sense.io.mapping import parse_timestamps


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _witmotion(t: datetime) -> str:
    # unpadded fields and the milliseconds after a colon, unpadded too
    return f"{t.year}-{t.month}-{t.day} {t.hour}:{t.minute}:{t.second}:{t.microsecond // 1000}"


def _metabase(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H.%M.%S.") + f"{t.microsecond // 1000:03d}"


def _space(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"


def _time_of_day(t: datetime) -> str:
    return t.strftime("%H:%M:%S.") + f"{t.microsecond // 1000:03d}"


LAYOUTS = {"iso": _iso, "witmotion": _witmotion, "metabase": _metabase, "space": _space, "time_of_day": _time_of_day}


@settings(max_examples=120, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(1999, 1, 1), max_value=datetime(2060, 1, 1)),
    steps_ms=st.lists(st.integers(min_value=1, max_value=4 * 3600 * 1000), min_size=1, max_size=20),
    layout=st.sampled_from(sorted(LAYOUTS)),
)
def test_elapsed_seconds_match_datetime_arithmetic(start: datetime, steps_ms: list[int], layout: str) -> None:
    start = start.replace(microsecond=(start.microsecond // 1000) * 1000)
    times = [start]
    for step in steps_ms:
        times.append(times[-1] + timedelta(milliseconds=step))
    texts = pd.Series([LAYOUTS[layout](t) for t in times], dtype=object)
    seconds, bad_row, first = parse_timestamps(texts)
    assert bad_row is None
    assert first == texts.iloc[0]
    expected = np.array([(t - start).total_seconds() for t in times])
    np.testing.assert_allclose(seconds, expected, rtol=0, atol=1e-6)


def test_zone_offsets_are_honoured() -> None:
    seconds, bad, _ = parse_timestamps(pd.Series(["2024-05-01T17:03:12.250+02:00", "2024-05-01T15:03:12.300Z"]))
    assert bad is None
    np.testing.assert_allclose(seconds, [0, 0.05], atol=1e-9)


def test_rows_in_another_layout_are_reported() -> None:
    for rows, expected in (
        (["2024-02-28 10:00:00", "10:00:01"], 1),
        (["2024-02-28 10:00:00", "2024-02-30 10:00:01"], 1),  # 30 February
        (["2024-02-28 10:00:00", "2024-02-28 24:00:01"], 1),
        (["2024-02-28 10:00:00", None], 1),
        (["soon", "2024-02-28 10:00:00"], 0),
    ):
        assert parse_timestamps(pd.Series(rows, dtype=object))[1] == expected


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=30), st.none(), st.from_regex(r"\d{1,4}[-:. T]\d{1,2}[-:. T]\d{1,3}.{0,6}")), min_size=1, max_size=8))
def test_never_raises(rows: list[str | None]) -> None:
    seconds, bad_row, _ = parse_timestamps(pd.Series(rows, dtype=object))
    assert (bad_row is None and seconds.shape == (len(rows),) and np.all(np.isfinite(seconds))) or (
        bad_row is not None and 0 <= bad_row < len(rows)
    )
