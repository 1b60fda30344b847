"""Property tests: whatever bytes a file holds, read_any raises only our two error types."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from eccentric_sense.errors import ConfigError, RecordingFormatError
from eccentric_sense.io import read_any
from eccentric_sense.recording import Recording

from helpers_io import (
    METABASE_ACC_HEADER,
    METABASE_GYR_HEADER,
    arduino_text,
    canonical_text,
    metabase_rows,
    witmotion_new_text,
    witmotion_old_text,
)

_SEEDS = {
    "canonical.csv": canonical_text(6).encode(),
    "log.csv": arduino_text(5).encode(),
    "wit.txt": witmotion_new_text(4).encode(),
    "wit_old.txt": witmotion_old_text(4).encode(),
    "wit_gbk.txt": witmotion_new_text(3).encode("gbk"),
    "headerless.csv": b"0,0,0,1\n0.01,0,0,1\n0.02,0,0,1\n",
    "wit_comma.txt": b"ChipTime\tax(g)\tay(g)\taz(g)\twx(deg/s)\twy(deg/s)\twz(deg/s)\tAngleX(deg)\n"
    b"2021-06-01 12:00:00.000\t0,0\t0,1\t0,98\t1,5\t0\t0\t3,2\n"
    b"2021-06-01 12:00:00.005\t0,0\t0,1\t0,98\t1,5\t0\t0\t3,2\n",
}
_T = 1547219408270 + 80 * np.arange(4)
_V = np.tile([0.0, 0.1, 1.0], (4, 1))
_MB_ACC = (METABASE_ACC_HEADER + "\n" + metabase_rows(_T, _V)).encode()
_MB_GYR = (METABASE_GYR_HEADER + "\n" + metabase_rows(_T - 10, _V)).encode()

# Characters that matter to CSV parsing, so mutations hit interesting places.
_SPECIAL = st.sampled_from(
    [b",", b"\t", b"\n", b"\r", b"\r\n", b"#", b'"', b"-", b".", b"e", b"nan", b"inf", b" ", b"\xef\xbb\xbf", b"\xa1\xe3", b"\x00", b"1e999", b":"]
)


def _read(name: str, data: bytes, *, partner: bytes | None = None, **kwargs) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(data)
        if partner is not None:
            (Path(directory) / name.replace("Accelerometer", "Gyroscope")).write_bytes(partner)
        try:
            recording = read_any(path, **kwargs)
        except (RecordingFormatError, ConfigError) as error:
            message = str(error)
            assert message and "\n" not in message
            return
    assert isinstance(recording, Recording)
    # Time never runs backwards.  Rows may share a stamp (a host stamps the
    # packets of one BLE connection event alike; the reader keeps them, see
    # docs/recording-format.md), but never repeat one another: a
    # retransmitted row is dropped.
    step = np.diff(recording.time_s)
    assert np.all(step >= 0)
    same = np.flatnonzero(step == 0)
    values = recording.acc_mps2 if recording.gyr_rads is None else np.hstack([recording.acc_mps2, recording.gyr_rads])
    assert not np.any(np.all(values[same + 1] == values[same], axis=1))
    assert np.all(np.isfinite(recording.acc_mps2))


@st.composite
def mutated(draw, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.one_of(_SPECIAL, st.binary(min_size=1, max_size=4)))
        elif kind == "delete" and data:
            data[at : at + draw(st.integers(1, 8))] = b""
        elif kind == "truncate":
            data = data[:at]
    return bytes(data)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300), name=st.sampled_from(["r.csv", "r.txt", "x_Accelerometer_1.csv"]))
def test_random_bytes(data: bytes, name: str) -> None:
    _read(name, data)


@settings(max_examples=250, deadline=None)
@given(st.data())
def test_mutated_valid_files(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(_SEEDS)))
    blob = data.draw(mutated(_SEEDS[name]))
    fmt = data.draw(st.sampled_from([None, None, "canonical", "arduino", "witmotion", "metabase", "headerless"]))
    columns = "time_s,acc_x_g,acc_y_g,acc_z_g" if fmt == "headerless" or name == "headerless.csv" else None
    _read(name, blob, format=fmt, columns=columns)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_mutated_metabase_pairs(data: st.DataObject) -> None:
    acc = data.draw(st.one_of(st.just(_MB_ACC), mutated(_MB_ACC)))
    gyr = data.draw(mutated(_MB_GYR))
    _read("s_MetaWear_Accelerometer_12.5Hz.csv", acc, partner=gyr)
