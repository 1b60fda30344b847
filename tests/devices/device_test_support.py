"""Shared helpers of the device tests: synthetic recordings, CLI subprocesses, comparisons."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

from eccentric_sense.io.canonical import read_recording, write_recording
from eccentric_sense.recording import Recording

#: Run the real command line in a subprocess.
CLI = [sys.executable, "-c", "import sys; from eccentric_sense.cli import main; sys.exit(main())"]

#: int16 quantisation steps of the emulated devices (+-16 g, +-2000 deg/s).
ACC_LSB_G = 16.0 / 32768.0
GYR_LSB_DPS = 2000.0 / 32768.0


def make_recording(path: Path, *, rate_hz: float, duration_s: float, seed: int = 0, gyroscope: bool = True) -> Recording:
    """A uniform recording: slow bar-like motion plus sensor noise (distinct values everywhere)."""
    n = int(round(rate_hz * duration_s))
    t = np.arange(n) / rate_hz
    rng = np.random.default_rng(seed)
    acc_g = np.column_stack(
        [0.05 * np.sin(0.7 * t), 0.03 * np.cos(1.3 * t), 1.0 + 0.4 * np.sin(2 * np.pi * 0.25 * t)]
    ) + rng.normal(0.0, 0.02, (n, 3))
    gyr_dps = rng.normal(0.0, 5.0, (n, 3)) if gyroscope else None
    recording = Recording(
        time_s=t,
        acc_mps2=acc_g * 9.80665,
        gyr_rads=None if gyr_dps is None else np.deg2rad(gyr_dps),
        metadata={"sample_rate_hz": f"{rate_hz:g}", "device": "synthetic"},
    )
    write_recording(recording, path)
    return read_recording(path)  # exactly what the emulator will read


def counts(values: np.ndarray, lsb: float) -> np.ndarray:
    """Physical values to the int16 counts a device would send."""
    return np.clip(np.rint(values / lsb), -32768, 32767).astype(np.int64)


class Emulator:
    """``eccentric-sense emulate serial`` in a subprocess; ``.port`` is its pseudo-terminal."""

    def __init__(self, recording: Path, protocol: str, *extra: str) -> None:
        self.process = subprocess.Popen(
            [*CLI, "emulate", "serial", str(recording), "--protocol", protocol, *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        self.port = self.process.stdout.readline().strip()
        assert self.port.startswith("/dev/"), f"emulator printed {self.port!r}; stderr: {self.stderr_now()}"

    def stderr_now(self) -> str:
        if self.process.poll() is None:
            return ""
        assert self.process.stderr is not None
        return self.process.stderr.read()

    def finish(self, timeout: float = 30.0) -> str:
        """Wait for the emulator to exit; return its stderr."""
        _, err = self.process.communicate(timeout=timeout)
        return err

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.communicate()

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _record_args(args: tuple[str, ...], analysis: bool) -> list[str]:
    # Transport tests skip the live rep feedback: importing the analysis costs
    # seconds of start-up on a loaded machine and is tested on its own.
    return [*CLI, "record", *args, "--plain", *([] if analysis else ["--no-analysis"])]


def record_cli(*args: str, analysis: bool = False, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run ``eccentric-sense record ... --plain`` to completion."""
    return subprocess.run(_record_args(args, analysis), capture_output=True, text=True, timeout=timeout)


def start_record(*args: str, analysis: bool = False) -> subprocess.Popen[str]:
    """Start ``eccentric-sense record ... --plain`` without waiting."""
    return subprocess.Popen(
        _record_args(args, analysis), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def sidecar(path: Path) -> dict:
    return json.loads(Path(str(path) + ".json").read_text())


def match_by_time(source: Recording, captured: Recording, *, tolerance_s: float = 1e-6) -> np.ndarray:
    """Index into ``source`` of every captured sample, matched on time (device-timed captures)."""
    index = np.searchsorted(source.time_s, captured.time_s - tolerance_s)
    index = np.clip(index, 0, source.time_s.size - 1)
    assert np.all(np.abs(source.time_s[index] - captured.time_s) <= tolerance_s), "captured times not in the source"
    return index


def assert_quantised_equal(
    source: Recording, captured: Recording, index: np.ndarray, *, gyro_exempt: np.ndarray | None = None
) -> None:
    """Captured values equal the source's within half a count (the device's quantisation).

    ``gyro_exempt`` marks samples whose gyroscope is not checked (see :func:`stale_gyro`).
    """
    acc_error = np.abs(captured.acc_g - source.acc_g[index])
    assert acc_error.max() <= 0.5 * ACC_LSB_G + 1e-6
    if source.gyr_dps is not None:
        gyr_error = np.abs(captured.gyr_dps - source.gyr_dps[index]).max(axis=1)
        if gyro_exempt is not None:
            gyr_error = gyr_error[~gyro_exempt]
        assert gyr_error.max() <= 0.5 * GYR_LSB_DPS + 1e-5


def match_by_acc(source: Recording, captured: Recording) -> np.ndarray:
    """Index into ``source`` of every captured sample, matched on its quantised acceleration.

    For host-timed devices (WitMotion) time cannot identify a sample; the
    noisy synthetic values do (all distinct after quantisation).
    """
    source_keys = {tuple(row): i for i, row in enumerate(counts(source.acc_g, ACC_LSB_G))}
    assert len(source_keys) == source.n_samples, "synthetic source values are not distinct"
    index = np.asarray([source_keys.get(tuple(row), -1) for row in counts(captured.acc_g, ACC_LSB_G)])
    assert np.all(index >= 0), f"{int(np.sum(index < 0))} captured samples are not in the source"
    return index


def stale_gyro(source: Recording, captured: Recording, index: np.ndarray) -> np.ndarray:
    """Samples carrying the *previous* sample's gyroscope.

    The WitMotion serial decoder pairs each 0x51 accel packet with the 0x52
    gyro packet that follows it; when that one is lost (bad checksum) it
    documents that it reuses the latest gyro seen.  Those samples are the
    only ones allowed a gyroscope mismatch.
    """
    previous = counts(source.gyr_dps[np.maximum(index - 1, 0)], GYR_LSB_DPS)
    own = counts(source.gyr_dps[index], GYR_LSB_DPS)
    got = counts(captured.gyr_dps, GYR_LSB_DPS)
    return np.all(got == previous, axis=1) & ~np.all(got == own, axis=1)
