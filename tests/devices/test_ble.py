"""BLE through the real ``bleak.BleakScanner`` / ``bleak.BleakClient`` with an emulated radio.

The emulated devices (:mod:`eccentric_sense.devices.fake_ble`) plug in through
bleak's public ``backend=`` parameter, so bleak's own client code (UUID
resolution, notification wrapping, disconnect callback) runs unchanged.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from eccentric_sense.devices.ble_source import scan_devices
from eccentric_sense.devices.emulator import Es1Device, WitmotionBleDevice
from eccentric_sense.devices.errors import DeviceNotFoundError
from eccentric_sense.devices.fake_ble import FakeBleWorld, FakePeripheral
from eccentric_sense.devices.recorder import EndReason, Recorder, record
from eccentric_sense.devices.source import open_source
from eccentric_sense.io.canonical import read_recording

from device_test_support import (
    assert_quantised_equal,
    make_recording,
    match_by_acc,
    match_by_time,
    sidecar,
)


async def _record_ble(world: FakeBleWorld, target: str, protocol: str, out: Path, **options):
    scanner, client = world.backends()
    source = open_source(
        f"ble:{target}", protocol=protocol, scanner_backend=scanner, client_backend=client,
        scan_timeout_s=2.0, reconnect_timeout_s=1.5, **options,
    )
    await source.open()
    recorder = Recorder(out, metadata={"device": "emulated"}, gyroscope=source.has_gyroscope,
                        nominal_rate_hz=source.sample_rate_hz)
    reason = await record(source, recorder)
    recorder.close(source.stats, ended_by=reason)
    return reason, source.stats


def test_es1_over_ble_survives_a_disconnect_in_the_middle_of_a_set(tmp_path: Path) -> None:
    source = make_recording(tmp_path / "source.csv", rate_hz=100, duration_s=12, seed=8)
    device = Es1Device(source, speed=4, serial=False, max_batch=19)
    peripheral = FakePeripheral("ES-BAR-1", "C0:FF:EE:00:00:01", device, drop_after_samples=500, down_for_s=0.4)
    out = tmp_path / "capture.csv"
    reason, stats = asyncio.run(_record_ble(FakeBleWorld([peripheral]), "ES-BAR-1", "es1", out))

    assert reason == EndReason.DEVICE_GONE  # the emulated sensor switched off at the end
    assert peripheral.connections == 2 and stats.reconnects == 1
    captured = read_recording(out)
    index = match_by_time(source, captured)  # device time: every sample at its own time
    assert_quantised_equal(source, captured, index)
    # The gap is in the data (a jump in time), not papered over.
    jumps = np.flatnonzero(np.diff(index) > 1)
    assert jumps.size == 1
    before, after = index[jumps[0]], index[jumps[0] + 1]
    assert before + 1 >= 500 and after - before > 10
    # ... and recorded in the sidecar, after exactly the samples received before the drop.
    gap = sidecar(out)["gaps"][0]
    assert gap["reason"] == "disconnected" and gap["duration_s"] > 0
    assert gap["time_before_s"] == pytest.approx(captured.time_s[jumps[0]])
    # Recording continued after the reconnect up to the end of the set.
    assert index[-1] == source.n_samples - 1
    assert captured.n_samples == stats.samples == device.samples_sent


def test_witmotion_ble_fragmented_notifications_and_a_drop(tmp_path: Path) -> None:
    source = make_recording(tmp_path / "source.csv", rate_hz=50, duration_s=16, seed=9)
    device = WitmotionBleDevice(source, speed=4)
    peripheral = FakePeripheral("WT901BLE67", "C0:FF:EE:00:00:02", device, drop_after_samples=300,
                                down_for_s=0.3, fragment=True, seed=4)
    out = tmp_path / "capture.csv"
    reason, stats = asyncio.run(_record_ble(FakeBleWorld([peripheral]), "C0:FF:EE:00:00:02", "witmotion", out,
                                            sample_rate_hz=50))

    assert reason == EndReason.DEVICE_GONE
    assert stats.reconnects == 1
    # The device was configured through the 9a34fb write characteristic: unlock, then rate 50 Hz.
    assert device.commands_seen[:2] == [(0x69, 0xB588), (0x03, 0x08)]
    captured = read_recording(out)
    index = match_by_acc(source, captured)
    assert np.all(np.diff(index) > 0)
    assert_quantised_equal(source, captured, index)
    assert captured.n_samples == device.samples_sent  # fragmentation lost nothing
    # Host-timed: the disconnection shows as one time jump at least as long as
    # the device was away; elsewhere samples are one nominal period apart.
    info = sidecar(out)
    assert info["gaps"][0]["duration_s"] > peripheral.down_for_s
    step = np.diff(captured.time_s)
    assert np.sum(step > 1.5 / 50) == 1
    assert step.max() >= peripheral.down_for_s
    assert info["metadata"]["device"] == "emulated"


def test_ble_device_not_found_names_what_was_looked_for(tmp_path: Path) -> None:
    world = FakeBleWorld([])
    scanner, client = world.backends()

    async def run() -> None:
        source = open_source("ble:NoSuchBar", protocol="es1", scanner_backend=scanner, client_backend=client,
                             scan_timeout_s=0.3)
        await source.open()

    with pytest.raises(DeviceNotFoundError) as error:
        asyncio.run(run())
    assert str(error.value).startswith("ble:NoSuchBar: no device named 'NoSuchBar' found within 0.3 s")


def test_scan_lists_readable_sensors_strongest_first(tmp_path: Path) -> None:
    source = make_recording(tmp_path / "source.csv", rate_hz=50, duration_s=1)
    world = FakeBleWorld([
        FakePeripheral("WT901BLE67", "C0:FF:EE:00:00:02", WitmotionBleDevice(source), rssi=-70),
        FakePeripheral("ES-BAR-1", "C0:FF:EE:00:00:01", Es1Device(source, serial=False), rssi=-40),
    ])
    scanner, _ = world.backends()
    found = asyncio.run(scan_devices(0.2, scanner_backend=scanner))
    assert [(d.name, d.address, d.rssi, d.protocol) for d in found] == [
        ("ES-BAR-1", "C0:FF:EE:00:00:01", -40, "es1"),
        ("WT901BLE67", "C0:FF:EE:00:00:02", -70, "witmotion"),
    ]


def test_accelerometer_only_es1_device_gives_a_recording_without_gyroscope(tmp_path: Path) -> None:
    source = make_recording(tmp_path / "source.csv", rate_hz=100, duration_s=3, gyroscope=False)
    device = Es1Device(source, speed=8, serial=False)
    peripheral = FakePeripheral("ES-ACC", "C0:FF:EE:00:00:03", device)
    out = tmp_path / "capture.csv"
    asyncio.run(_record_ble(FakeBleWorld([peripheral]), "ES-ACC", "es1", out))
    captured = read_recording(out)
    assert captured.gyr_rads is None and captured.n_samples == source.n_samples
    assert_quantised_equal(source, captured, match_by_time(source, captured))


def test_polar_h10_accelerometer_over_ble(tmp_path: Path) -> None:
    from eccentric_sense.devices.emulator import PolarH10Device

    source = make_recording(tmp_path / "source.csv", rate_hz=200, duration_s=4, gyroscope=False, seed=10)
    device = PolarH10Device(source, speed=4)
    peripheral = FakePeripheral("Polar H10 A1B2C3D4", "C0:FF:EE:00:00:04", device)
    out = tmp_path / "capture.csv"
    asyncio.run(_record_ble(FakeBleWorld([peripheral]), "Polar H10 A1B2C3D4", "polar", out))
    # The PMD request: START ACC with rate 200 Hz, resolution 16 bit, range 8 g.
    assert device.commands_seen[0] == bytes.fromhex("02020001c80001011000020108 00".replace(" ", ""))
    captured = read_recording(out)
    assert captured.gyr_rads is None and captured.n_samples == source.n_samples
    # Device time (ns stamps of each frame's last sample) gives every sample its own time.
    index = match_by_time(source, captured)
    np.testing.assert_array_equal(index, np.arange(source.n_samples))
    np.testing.assert_allclose(captured.acc_g, source.acc_g, rtol=0, atol=0.5e-3 + 1e-6)  # 1 mG counts
