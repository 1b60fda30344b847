"""End to end over real pseudo-terminals: ``eccentric-sense emulate`` -> ``eccentric-sense record``.

Both sides are the real command line in subprocesses; the port is a real
pty opened by pyserial, so the whole POSIX serial path runs.
"""

from __future__ import annotations

import os
import re
import signal
import time
import tty
from pathlib import Path

import numpy as np
import pytest

from eccentric_sense.io.canonical import read_recording

from device_test_support import (
    ACC_LSB_G,
    GYR_LSB_DPS,
    Emulator,
    assert_quantised_equal,
    make_recording,
    match_by_acc,
    match_by_time,
    record_cli,
    sidecar,
    stale_gyro,
    start_record,
)


def _sent(emulator_stderr: str) -> tuple[int, int, int]:
    """(samples, garbage bytes, corrupted messages) from the emulator's summary line."""
    match = re.search(r"sent (\d+) samples(?:, (\d+) garbage bytes, (\d+) corrupted messages)?", emulator_stderr)
    assert match, emulator_stderr
    return int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)


def test_es1_capture_equals_source_at_speed_8_despite_damage(tmp_path: Path) -> None:
    source = make_recording(tmp_path / "source.csv", rate_hz=200, duration_s=30, seed=1)
    out = tmp_path / "capture.csv"
    with Emulator(tmp_path / "source.csv", "es1", "--speed", "8", "--inject-garbage", "0.00002",
                  "--corrupt", "0.004", "--split-writes", "--seed", "6") as emulator:
        result = record_cli(f"serial:{emulator.port}", "--protocol", "es1", "--out", str(out),
                            "--reconnect-timeout", "0.5")
        sent, garbage, corrupted = _sent(emulator.finish())
    assert result.returncode == 0, result.stderr
    assert sent == source.n_samples
    assert garbage + corrupted >= 3  # the damage really happened (several frames)
    captured = read_recording(out)
    retention = captured.n_samples / sent
    assert retention >= 0.995, retention
    # Device time survives unchanged (and through the emulated clock's u32 wrap).
    index = match_by_time(source, captured)
    assert np.all(np.diff(index) > 0)
    assert_quantised_equal(source, captured, index)
    # Every missing sample is accounted for by the sequence numbers.
    info = sidecar(out)
    assert info["complete"] is True
    assert info["missing_samples_by_device_time"] == (index[-1] + 1 - index[0]) - captured.n_samples
    assert info["stats"]["lost_samples"] <= sent - captured.n_samples
    assert info["stats"]["samples"] == captured.n_samples


def test_witmotion_capture_equals_source_at_speed_8_despite_damage(tmp_path: Path) -> None:
    source = make_recording(tmp_path / "source.csv", rate_hz=100, duration_s=30, seed=2)
    out = tmp_path / "capture.csv"
    with Emulator(tmp_path / "source.csv", "witmotion", "--speed", "8", "--inject-garbage", "0.0002",
                  "--corrupt", "0.002", "--split-writes", "--seed", "3") as emulator:
        result = record_cli(f"serial:{emulator.port}", "--protocol", "witmotion", "--rate", "100",
                            "--out", str(out), "--reconnect-timeout", "0.5")
        sent, garbage, corrupted = _sent(emulator.finish())
    assert result.returncode == 0, result.stderr
    assert garbage + corrupted > 0
    captured = read_recording(out)
    assert captured.n_samples / sent >= 0.99, captured.n_samples / sent
    index = match_by_acc(source, captured)
    assert np.all(np.diff(index) > 0)  # in order, nothing duplicated
    stale = stale_gyro(source, captured, index)
    assert stale.sum() <= garbage + corrupted  # only where a gyro packet was damaged
    assert_quantised_equal(source, captured, index, gyro_exempt=stale)
    assert np.all(np.diff(captured.time_s) > 0)
    info = sidecar(out)
    assert info["stats"]["checksum_errors"] > 0
    assert info["metadata"]["time_base"] == "host"


def test_one_percent_garbage_in_a_1khz_es1_stream(tmp_path: Path) -> None:
    """1% random bytes anywhere: no crash, decoding resynchronises, every loss is counted."""
    source = make_recording(tmp_path / "source.csv", rate_hz=1000, duration_s=6, seed=4)
    out = tmp_path / "capture.csv"
    with Emulator(tmp_path / "source.csv", "es1", "--speed", "2", "--inject-garbage", "0.01",
                  "--seed", "11") as emulator:
        result = record_cli(f"serial:{emulator.port}", "--protocol", "es1", "--out", str(out),
                            "--reconnect-timeout", "0.5")
        sent, garbage, _ = _sent(emulator.finish())
    assert result.returncode == 0, result.stderr
    assert garbage > 0.005 * 12 * sent  # about 1% of the bytes
    captured = read_recording(out)
    index = match_by_time(source, captured)
    assert_quantised_equal(source, captured, index)
    info = sidecar(out)
    # Resynchronised: samples keep arriving from the start to the end of the stream.
    assert index[0] < 100 and index[-1] >= sent - 100
    # Every sample missing between the first and the last one received is
    # counted from device time; losses before the first or after the last
    # received message leave no trace anyone could count.
    missing = (index[-1] + 1 - index[0]) - captured.n_samples
    assert info["missing_samples_by_device_time"] == missing
    # The decoder's sequence-based count sees a subset (not a loss that ends
    # on a STATUS message), never more.
    assert 0 < info["stats"]["lost_samples"] <= missing
    assert info["stats"]["checksum_errors"] > 0


def _wait_for_line(process, pattern: str, timeout_s: float) -> re.Match[str]:
    """Read the recorder's progress lines until one matches (its stdout is line-buffered)."""
    deadline = time.monotonic() + timeout_s
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        match = re.search(pattern, line)
        if match:
            return match
    raise AssertionError(f"no line matching {pattern!r}; stderr: {process.stderr.read() if process.poll() is not None else ''}")


def test_ctrl_c_after_8_s_of_a_real_time_capture_at_100_hz(tmp_path: Path) -> None:
    source = make_recording(tmp_path / "source.csv", rate_hz=100, duration_s=20, seed=5)
    out = tmp_path / "capture.csv"
    with Emulator(tmp_path / "source.csv", "es1", "--speed", "1") as emulator:
        recorder = start_record(f"serial:{emulator.port}", "--protocol", "es1", "--out", str(out), analysis=True)
        _wait_for_line(recorder, r"samples on disk", 30)  # streaming has begun
        time.sleep(8.0)
        recorder.send_signal(signal.SIGINT)
        stdout, stderr = recorder.communicate(timeout=15)
    assert recorder.returncode == 130, stderr
    assert "stopped by the user" in stdout
    captured = read_recording(out)  # a valid canonical CSV
    info = sidecar(out)
    assert info["complete"] is True and info["ended_by"] == "stopped by the user"
    # Every sample received is in the file, and the file is exactly the start of the source.
    assert captured.n_samples == info["stats"]["samples"]
    assert 0 < captured.n_samples < source.n_samples
    np.testing.assert_array_equal(match_by_time(source, captured), np.arange(captured.n_samples))
    assert_quantised_equal(source, captured, np.arange(captured.n_samples))


def test_sigkill_leaves_every_flushed_sample(tmp_path: Path) -> None:
    """A killed recorder leaves a valid file with at least every sample it reported as on disk.

    The recorder flushes (write + fsync) after every group of batches and only
    then prints "N samples on disk"; so the N of the last line read before
    the kill is a lower bound of what the file holds, whatever the timing.
    Samples after it may or may not have been flushed before the kill: the
    file must then hold exactly the first M >= N samples of the source (no
    torn rows, no holes), because rows are written whole per batch.
    """
    source = make_recording(tmp_path / "source.csv", rate_hz=100, duration_s=20, seed=6)
    out = tmp_path / "capture.csv"
    with Emulator(tmp_path / "source.csv", "es1", "--speed", "2") as emulator:
        recorder = start_record(f"serial:{emulator.port}", "--protocol", "es1", "--out", str(out))
        flushed = 0
        while flushed < 300:
            flushed = int(_wait_for_line(recorder, r"(\d+) samples on disk", 20).group(1))
        recorder.send_signal(signal.SIGKILL)
        recorder.communicate(timeout=10)
    assert recorder.returncode == -signal.SIGKILL
    captured = read_recording(out)
    assert captured.n_samples >= flushed
    np.testing.assert_array_equal(match_by_time(source, captured), np.arange(captured.n_samples))
    assert_quantised_equal(source, captured, np.arange(captured.n_samples))
    assert sidecar(out)["complete"] is False  # the sidecar tells the recording was cut short


def test_emulated_es1_device_streams_only_after_start(tmp_path: Path) -> None:
    import serial

    from eccentric_sense.devices.codecs import es1

    make_recording(tmp_path / "source.csv", rate_hz=100, duration_s=5)
    with Emulator(tmp_path / "source.csv", "es1", "--speed", "4") as emulator:
        port = serial.Serial(emulator.port, timeout=0.3)
        decoder = es1.Es1SerialDecoder()
        assert decoder.feed(port.read(4096)) == [] and decoder.stats.bytes_in == 0  # silent until asked
        port.write(es1.frame_serial(es1.encode_command(es1.Opcode.GET_INFO, req_id=5)))
        port.write(es1.frame_serial(es1.encode_command(es1.Opcode.PING, b"hi", req_id=6)))
        time.sleep(0.3)
        batches = decoder.feed(port.read(4096))
        replies = decoder.pop_messages()
        assert batches == []
        assert [type(m).__name__ for m in replies] == ["DeviceInfo", "Ack", "Ack"]
        assert replies[2].data == b"hi" and replies[2].req_id == 6
        port.write(es1.frame_serial(es1.encode_command(es1.Opcode.START, es1.pack_start(), req_id=7)))
        time.sleep(0.5)
        batches = decoder.feed(port.read(65536))
        assert sum(len(b) for b in batches) > 0
        port.close()


def test_record_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "exists.csv"
    out.write_text("precious")
    result = record_cli("serial:/dev/null", "--protocol", "es1", "--out", str(out))
    assert result.returncode == 2
    assert "already exists" in result.stderr and result.stderr.count("\n") == 1
    assert out.read_text() == "precious"


def test_record_missing_port_is_a_one_line_error(tmp_path: Path) -> None:
    result = record_cli("serial:/dev/no-such-sensor", "--protocol", "es1", "--out", str(tmp_path / "x.csv"))
    assert result.returncode == 2
    assert result.stderr == (
        "eccentric-sense: error: serial:/dev/no-such-sensor: no such serial port (is the sensor plugged in? "
        "list ports with: python -m serial.tools.list_ports)\n"
    )
    assert not (tmp_path / "x.csv").exists()


def test_silent_device_does_not_answer_get_info(tmp_path: Path) -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    try:
        result = record_cli(f"serial:{os.ttyname(slave)}", "--protocol", "es1", "--out", str(tmp_path / "x.csv"))
    finally:
        os.close(master)
        os.close(slave)
    assert result.returncode == 2
    assert "the device does not answer GET_INFO (3 tries, 0.5 s each)" in result.stderr
    assert result.stderr.count("\n") == 1


def test_serial_port_that_vanishes_and_comes_back_is_reopened(tmp_path: Path) -> None:
    """Unplug and replug, emulated by re-pointing a symlink to a second emulator's pty.

    The second device also restarts its clock (as after a reboot): the time
    axis must still only move forward, and both parts must be complete.
    """
    first = make_recording(tmp_path / "first.csv", rate_hz=100, duration_s=3, seed=12)
    second = make_recording(tmp_path / "second.csv", rate_hz=100, duration_s=3, seed=13)
    link = tmp_path / "ttySENSOR"
    out = tmp_path / "capture.csv"
    with Emulator(tmp_path / "first.csv", "es1", "--speed", "2") as emulator_1:
        link.symlink_to(emulator_1.port)
        recorder = start_record(f"serial:{link}", "--protocol", "es1", "--out", str(out), "--reconnect-timeout", "60")
        emulator_1.finish()  # all sent and read; the port disappears
    with Emulator(tmp_path / "second.csv", "es1", "--speed", "2") as emulator_2:
        replacement = tmp_path / "ttySENSOR.new"
        replacement.symlink_to(emulator_2.port)
        os.replace(replacement, link)
        emulator_2.finish()
    recorder.send_signal(signal.SIGINT)
    stdout, stderr = recorder.communicate(timeout=20)
    assert recorder.returncode == 130, stderr
    captured = read_recording(out)
    assert captured.n_samples == first.n_samples + second.n_samples
    n = first.n_samples
    for part, rows in ((first, slice(0, n)), (second, slice(n, None))):
        np.testing.assert_allclose(captured.acc_g[rows], part.acc_g, rtol=0, atol=0.5 * ACC_LSB_G + 1e-6)
        np.testing.assert_allclose(captured.gyr_dps[rows], part.gyr_dps, rtol=0, atol=0.5 * GYR_LSB_DPS + 1e-5)
    info = sidecar(out)
    assert info["stats"]["reconnects"] == 1
    gap = info["gaps"][0]
    assert gap["reason"].startswith("port error") and gap["duration_s"] > 0
    assert gap["time_before_s"] == pytest.approx(captured.time_s[n - 1])
    # The rebooted device's clock restarted: the axis continued on the host clock.
    assert np.all(np.diff(captured.time_s) > 0)
    assert info["timeline_reanchors"] == 1


def test_silent_witmotion_port_is_a_one_line_error(tmp_path: Path) -> None:
    master, slave = os.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    try:
        result = record_cli(f"serial:{path}", "--protocol", "witmotion", "--out", str(tmp_path / "x.csv"))
        sent = os.read(master, 4096)
    finally:
        os.close(master)
        os.close(slave)
    assert result.returncode == 2
    assert result.stderr == (
        f"eccentric-sense: error: serial:{path}: no data at all within 5 s; is it a WitMotion sensor, switched on, "
        "and is 115200 baud right (--baud; WitMotion ships with 9600 or 115200)?\n"
    )
    # Before giving up the host configured the device: unlock, acc+gyro content, 200 Hz, and no save.
    assert sent == bytes.fromhex("ffaa6988b5" "ffaa020600" "ffaa030b00")
    assert not (tmp_path / "x.csv").exists()
