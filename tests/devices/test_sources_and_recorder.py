"""Replay source, time axis, recorder, URIs and the scan command."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eccentric_sense.devices.emulator import parse_witmotion_commands
from eccentric_sense.devices.errors import DeviceError, DeviceNotFoundError, DevicePermissionError
from eccentric_sense.devices.recorder import EndReason, Recorder, record
from eccentric_sense.devices.source import open_source
from eccentric_sense.devices.timeline import Timeline
from eccentric_sense.devices.types import SampleBatch
from eccentric_sense.io.canonical import read_recording

from device_test_support import CLI, make_recording, record_cli, sidecar


def _batch(device_time_s, host_time_s: float) -> SampleBatch:
    device_time_s = np.asarray(device_time_s, dtype=float)
    return SampleBatch(device_time_s=device_time_s, acc_g=np.zeros((device_time_s.size, 3)), host_time_s=host_time_s)


def test_replay_through_the_cli_reproduces_the_file_exactly(tmp_path: Path) -> None:
    source = make_recording(tmp_path / "source.csv", rate_hz=200, duration_s=5, seed=3)
    out = tmp_path / "copy.csv"
    result = record_cli(f"replay:{tmp_path / 'source.csv'}", "--speed", "0", "--out", str(out), "--exercise", "bench")
    assert result.returncode == 0, result.stderr
    copy = read_recording(out)
    np.testing.assert_array_equal(copy.time_s, source.time_s)
    np.testing.assert_allclose(copy.acc_g, source.acc_g, atol=5e-8)
    np.testing.assert_allclose(copy.gyr_dps, source.gyr_dps, atol=5e-6)
    assert copy.metadata["exercise"] == "bench" and copy.metadata["sample_rate_hz"] == "200"
    info = sidecar(out)
    assert info["complete"] is True and info["ended_by"] == EndReason.END_OF_STREAM
    assert info["samples"] == source.n_samples


SAMPLES = Path(__file__).resolve().parents[2] / "sample_recordings"


def test_live_view_reports_each_rep_as_it_ends(tmp_path: Path) -> None:
    """Live feedback re-analyses the data so far once per second of recording.

    It runs on incomplete data, so a rep's boundaries can still move after
    it is reported; typically the descent times agree with the analysis of
    the finished file.  The analysis is paced by recording time, so a replay
    as fast as possible gives the same feedback as one in real time.
    """
    from eccentric_sense.analysis import analyze

    out = tmp_path / "live.csv"
    result = record_cli(f"replay:{SAMPLES / 'deadlift_5reps_200hz.csv'}", "--speed", "0", "--out", str(out),
                        analysis=True)
    assert result.returncode == 0, result.stderr
    lines = re.findall(r"^rep (\d+): descent ([0-9.]+) s, flags: (.+)$", result.stdout, re.M)
    assert [int(number) for number, _, _ in lines] == list(range(1, len(lines) + 1))  # each rep once
    live = np.array([float(descent) for _, descent, _ in lines])
    offline = analyze(read_recording(out)).reps["ecc_duration_s"].to_numpy()
    assert abs(live.size - offline.size) <= 1
    deviation = np.min(np.abs(live[:, None] - offline[None, :]), axis=1)
    assert np.median(deviation) <= 0.15, (live, offline)


def test_duration_stops_the_recording_at_that_time(tmp_path: Path) -> None:
    make_recording(tmp_path / "source.csv", rate_hz=100, duration_s=5)
    out = tmp_path / "cut.csv"

    async def run() -> str:
        source = open_source(f"replay:{tmp_path / 'source.csv'}", speed=0)
        await source.open()
        recorder = Recorder(out, gyroscope=source.has_gyroscope, nominal_rate_hz=source.sample_rate_hz)
        reason = await record(source, recorder, duration_s=2.0)
        recorder.close(source.stats, ended_by=reason)
        return reason

    assert asyncio.run(run()) == EndReason.DURATION
    cut = read_recording(out)
    assert cut.n_samples == 200 and cut.time_s[-1] == pytest.approx(1.99)


def test_timeline_uses_device_time_from_zero_and_survives_a_clock_restart() -> None:
    timeline = Timeline(100.0)
    first = timeline.times(_batch([5000.00, 5000.01], host_time_s=10.0))
    np.testing.assert_allclose(first, [0.0, 0.01])
    # A device gap shows as a time jump.
    np.testing.assert_allclose(timeline.times(_batch([5001.00], host_time_s=11.0)), [1.0])
    # The device rebooted (its clock restarted): continue on the host clock, never backwards.
    after = timeline.times(_batch([0.02, 0.03], host_time_s=13.0))
    assert after[0] > 1.0 and np.all(np.diff(after) > 0)
    assert after[-1] == pytest.approx(3.0)
    assert timeline.reanchors == 1 and timeline.missing_samples == 98  # 0.02 .. 0.99 s


def test_timeline_spaces_host_timed_samples_and_shows_a_stall() -> None:
    timeline = Timeline(50.0)
    nan3 = [np.nan] * 3
    np.testing.assert_allclose(timeline.times(_batch(nan3, host_time_s=100.0)), [0.0, 0.02, 0.04])
    # Delivered late together: still one period apart.
    np.testing.assert_allclose(timeline.times(_batch(nan3, host_time_s=100.1)), [0.06, 0.08, 0.10])
    # A stall of a second: re-anchored on the host clock.
    stalled = timeline.times(_batch(nan3, host_time_s=101.2))
    np.testing.assert_allclose(stalled, [1.16, 1.18, 1.20])
    # After a disconnection the host-measured gap is inserted even when running ahead.
    timeline.note_gap()
    np.testing.assert_allclose(timeline.times(_batch([np.nan], host_time_s=101.7)), [1.70])


def test_recorder_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "exists.csv"
    out.write_text("keep me")
    with pytest.raises(Exception, match="already exists"):
        Recorder(out)
    assert out.read_text() == "keep me"


@pytest.mark.parametrize(
    ("uri", "options", "message"),
    [
        ("usb:/dev/ttyUSB0", {}, "cannot understand the device 'usb:/dev/ttyUSB0'; use serial:PORT"),
        ("serial:/dev/ttyUSB0", {}, "serial:/dev/ttyUSB0: say which protocol the device speaks (one of es1, witmotion, polar)"),
        ("ble:Bar", {"protocol": "movesense"}, "unknown protocol 'movesense'; known: es1, witmotion, polar"),
        ("serial:/dev/ttyUSB0", {"protocol": "polar"}, "serial:/dev/ttyUSB0: protocol 'polar' is not available over serial"),
    ],
)
def test_bad_uris_get_one_line_errors(uri: str, options: dict, message: str) -> None:
    with pytest.raises(DeviceError) as error:
        open_source(uri, **options)
    assert str(error.value).startswith(message)


def test_replay_of_a_missing_file(tmp_path: Path) -> None:
    async def run() -> None:
        async with open_source(f"replay:{tmp_path / 'nope.csv'}"):
            pass

    with pytest.raises(DeviceNotFoundError, match="no such recording file"):
        asyncio.run(run())


@pytest.mark.parametrize(
    "command", [["scan", "--timeout", "1"], ["record", "ble:ES-BAR", "--protocol", "es1", "--no-analysis"]]
)
def test_bluetooth_without_an_adapter_is_one_clear_line(command: list[str], tmp_path: Path) -> None:
    """This machine (and CI) has no Bluetooth adapter and no BlueZ."""
    if command[0] == "record":
        command = [*command, "--out", str(tmp_path / "x.csv")]
    result = subprocess.run([*CLI, *command], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("eccentric-sense: error: no Bluetooth adapter is available (")
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "x.csv").exists()


_COMMAND = st.tuples(st.integers(0, 255), st.integers(0, 0xFFFF)).map(
    lambda rv: (rv[0], rv[1], bytes([0xFF, 0xAA, rv[0], rv[1] & 0xFF, rv[1] >> 8]))
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_COMMAND, max_size=8), st.data())
def test_emulated_witmotion_reads_commands_split_anywhere(commands, data) -> None:
    stream = b"".join(c[2] for c in commands)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
    buffer = bytearray()
    parsed = []
    for start, stop in zip([0, *cuts], [*cuts, len(stream)]):
        buffer += stream[start:stop]
        parsed += parse_witmotion_commands(buffer)
    assert parsed == [(register, value) for register, value, _ in commands]


def test_samples_missing_a_value_are_dropped_and_counted_not_filled(tmp_path: Path) -> None:
    out = tmp_path / "holes.csv"
    recorder = Recorder(out, gyroscope=True, nominal_rate_hz=100.0)
    gyr = np.ones((4, 3))
    gyr[1] = np.nan  # e.g. a WitMotion gyro packet lost before any was seen
    recorder.write(SampleBatch(device_time_s=np.arange(4) * 0.01, acc_g=np.ones((4, 3)), gyr_dps=gyr,
                               host_time_s=1.0))
    recorder.write(SampleBatch(device_time_s=np.array([0.04]), acc_g=np.ones((1, 3)), gyr_dps=None, host_time_s=1.1))
    recorder.close()
    written = read_recording(out)  # still a valid file: no empty cells
    np.testing.assert_allclose(written.time_s, [0.0, 0.02, 0.03])
    info = sidecar(out)
    assert info["incomplete_samples_dropped"] == 2 and info["samples"] == 3


def test_live_view_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal the counters are a rich live table (run under a real pseudo-terminal)."""
    import os
    import select

    make_recording(tmp_path / "source.csv", rate_hz=100, duration_s=3)
    out = tmp_path / "tty.csv"
    master, slave = os.openpty()
    process = subprocess.Popen(
        [*CLI, "record", f"replay:{tmp_path / 'source.csv'}", "--speed", "0", "--out", str(out), "--no-analysis"],
        stdin=slave, stdout=slave, stderr=slave,
    )
    os.close(slave)
    screen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 30)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not chunk:
            break
        screen += chunk
    os.close(master)
    assert process.wait(timeout=30) == 0
    text = screen.decode("utf-8", errors="replace")
    assert "lost / checksum errors" in text and "300 samples" in text
    assert "done (end of stream): 300 samples" in text
    assert read_recording(out).n_samples == 300


@pytest.mark.parametrize(
    ("errno_code", "text", "kind", "message"),
    [
        (2, "could not open port /dev/ttyUSB9: [Errno 2] No such file or directory", DeviceNotFoundError,
         "serial:/dev/ttyUSB9: no such serial port"),
        (13, "could not open port /dev/ttyUSB9: [Errno 13] Permission denied", DevicePermissionError,
         "serial:/dev/ttyUSB9: permission denied; on Linux add yourself to the 'dialout' group"),
        (16, "could not open port /dev/ttyUSB9: [Errno 16] Device or resource busy", DeviceError,
         "serial:/dev/ttyUSB9: the port is busy (another program has it open)"),
        (None, "could not open port 'COM9': FileNotFoundError(2, 'The system cannot find the file specified.')",
         DeviceNotFoundError, "serial:/dev/ttyUSB9: no such serial port"),
        (None, "could not open port 'COM9': PermissionError(13, 'Access is denied.')", DevicePermissionError,
         "serial:/dev/ttyUSB9: permission denied"),
    ],
)
def test_serial_open_failures_are_named(errno_code, text, kind, message) -> None:
    """pyserial's open errors (POSIX errno, or Windows text) become specific one-line errors."""
    import serial

    from eccentric_sense.devices.serial_source import _port_error

    error = _port_error("serial:/dev/ttyUSB9", serial.SerialException(errno_code, text))
    assert type(error) is kind
    assert str(error).startswith(message) and "\n" not in str(error)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=80))
def test_polar_decoder_never_raises(data: bytes) -> None:
    from eccentric_sense.devices.polar import PolarAccDecoder

    decoder = PolarAccDecoder(200)
    batches = decoder.feed(data)
    assert decoder.stats.bytes_in == len(data)
    assert sum(len(b) for b in batches) == decoder.stats.samples_out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(*[st.integers(-32768, 32767)] * 3), min_size=1, max_size=40),
    st.integers(0, 2**62),
    st.integers(1, 10**12),
)
def test_polar_frames_round_trip(counts, first_ns, later_ns) -> None:
    from eccentric_sense.devices.polar import PolarAccDecoder, encode_acc_frame

    acc_g = np.asarray(counts, dtype=float) * 1e-3
    decoder = PolarAccDecoder(200)
    (first,) = decoder.feed(encode_acc_frame(acc_g, first_ns))
    (second,) = decoder.feed(encode_acc_frame(acc_g, first_ns + later_ns))
    np.testing.assert_allclose(first.acc_g, acc_g, rtol=0, atol=1e-12)
    # Times count from the first frame's stamp (the last sample of a frame carries it).
    assert first.device_time_s[-1] == 0.0
    assert second.device_time_s[-1] == pytest.approx(later_ns * 1e-9, rel=1e-12, abs=1e-9)
    np.testing.assert_allclose(np.diff(second.device_time_s), 0.005, rtol=0, atol=1e-9)
