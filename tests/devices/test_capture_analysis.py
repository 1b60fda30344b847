"""A lift captured through the serial path analyses like the original recording.

Issue acceptance: a recording streamed by ``eccentric-sense emulate serial ...
--speed 8`` and captured by ``eccentric-sense record serial:PATH`` gives the
same reps as analysing the source.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from eccentric_sense import columns as C
from eccentric_sense.io.canonical import read_recording
from eccentric_sense.workflow import analyze_recording

from device_test_support import Emulator, record_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("protocol", ["es1", "witmotion"])
def test_captured_lift_gives_the_same_reps_as_the_source(tmp_path: Path, protocol: str) -> None:
    source_path = ROOT / "sample_recordings" / "deadlift_5reps_200hz.csv"
    out = tmp_path / "capture.csv"
    extra = ["--rate", "200"] if protocol == "witmotion" else []
    with Emulator(source_path, protocol, "--speed", "8") as emulator:
        result = record_cli(f"serial:{emulator.port}", "--protocol", protocol, "--out", str(out),
                            "--reconnect-timeout", "0.5", *extra)
        emulator.finish()
    assert result.returncode == 0, result.stderr
    source = read_recording(source_path)
    captured = read_recording(out)
    assert captured.n_samples >= 0.99 * source.n_samples

    reps_source = analyze_recording(source, exercise="deadlift").reps
    reps_capture = analyze_recording(captured, exercise="deadlift").reps
    assert len(reps_source) == len(reps_capture) == 5
    # The capture starts on its own clock (host time for WitMotion), so compare
    # durations and sizes, which do not depend on where time zero is.
    for column, tolerance in [
        (C.ECC_DURATION_S, 0.05),
        (C.CON_DURATION_S, 0.05),
        (C.ROM, 0.02),
        (C.CON_PEAK_VELOCITY, 0.05),
    ]:
        difference = np.abs(reps_source[column].to_numpy() - reps_capture[column].to_numpy())
        assert np.nanmax(difference) <= tolerance, (column, difference)
