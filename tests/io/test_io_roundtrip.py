"""write_recording -> read_recording gives the same recording within the format's precision."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eccentric_sense.constants import STANDARD_GRAVITY
from eccentric_sense.errors import RecordingFormatError
from eccentric_sense.io import RecordingWriter, read_any, read_recording, write_recording
from eccentric_sense.recording import Recording

# Precision of the written text: time 1e-6 s, acceleration 1e-7 g, rates 1e-5 deg/s.
TIME_TOL = 0.5e-6
ACC_TOL_MPS2 = 0.5e-7 * STANDARD_GRAVITY * 1.0001
GYR_TOL_RADS = np.deg2rad(0.5e-5) * 1.0001


def assert_same(a: Recording, b: Recording) -> None:
    np.testing.assert_allclose(b.time_s, a.time_s, rtol=0, atol=TIME_TOL)
    np.testing.assert_allclose(b.acc_mps2, a.acc_mps2, rtol=0, atol=ACC_TOL_MPS2)
    if a.gyr_rads is None:
        assert b.gyr_rads is None
    else:
        np.testing.assert_allclose(b.gyr_rads, a.gyr_rads, rtol=0, atol=GYR_TOL_RADS)
    assert dict(b.metadata) == dict(a.metadata)
    assert set(b.extra) == set(a.extra)
    for name, values in a.extra.items():
        np.testing.assert_allclose(b.extra[name], values, rtol=1e-9)


def make_recording(n: int, *, gyro: bool = True, seed: int = 0) -> Recording:
    rng = np.random.default_rng(seed)
    time_s = np.cumsum(rng.uniform(0.004, 0.006, n))
    acc = rng.normal(0.0, 3.0, (n, 3)) + [0, 0, STANDARD_GRAVITY]
    gyr = rng.normal(0.0, 2.0, (n, 3)) if gyro else None
    return Recording(
        time_s=time_s,
        acc_mps2=acc,
        gyr_rads=gyr,
        metadata={"sample_rate_hz": "200", "exercise": "bench", "device": "esp32-icm42688", "athlete": "A. B."},
        extra={"seq": np.arange(n, dtype=float), "mag_x": rng.normal(size=n)},
    )


def test_round_trip_with_gyro_metadata_and_extra_columns(tmp_path: Path) -> None:
    rec = make_recording(500)
    path = write_recording(rec, tmp_path / "r.csv")
    assert_same(rec, read_recording(path))
    assert_same(rec, read_any(path))


def test_round_trip_accelerometer_only(tmp_path: Path) -> None:
    rec = make_recording(50, gyro=False)
    assert_same(rec, read_recording(write_recording(rec, tmp_path / "r.csv")))


def test_incremental_writer_round_trip(tmp_path: Path) -> None:
    rec = make_recording(300, seed=3)
    with RecordingWriter(tmp_path / "w.csv", metadata=rec.metadata, extra_columns=["seq", "mag_x"]) as writer:
        for start in range(0, 300, 64):
            part = slice(start, start + 64)
            writer.write(rec.time_s[part], rec.acc_g[part], rec.gyr_dps[part], {k: v[part] for k, v in rec.extra.items()})
    assert_same(rec, read_recording(tmp_path / "w.csv"))


def test_write_never_overwrites(tmp_path: Path) -> None:
    path = write_recording(make_recording(5), tmp_path / "r.csv")
    before = path.read_bytes()
    with pytest.raises(RecordingFormatError, match="already exists"):
        write_recording(make_recording(5, seed=1), path)
    assert path.read_bytes() == before


finite = st.floats(min_value=-150.0, max_value=150.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(st.floats(min_value=1e-4, max_value=2.0), min_size=1, max_size=30),
    acc=st.lists(st.tuples(finite, finite, finite), min_size=30, max_size=30),
    gyro=st.booleans(),
)
def test_round_trip_property(tmp_path: Path, steps: list[float], acc: list[tuple[float, float, float]], gyro: bool) -> None:
    n = len(steps)
    time_s = np.round(np.cumsum(steps), 6)  # the format keeps microseconds
    values = np.asarray(acc[:n], dtype=float)
    rec = Recording(time_s, values, values[:, ::-1] / 10 if gyro else None, metadata={"exercise": "squat"})
    path = tmp_path / f"p{abs(hash((tuple(steps), gyro)))}.csv"
    write_recording(rec, path, overwrite=True)
    assert_same(rec, read_recording(path))
