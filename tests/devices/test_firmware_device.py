"""The reference firmware's protocol logic (es_device.c), compiled for the host and decoded by our codec.

``firmware_protocol/tools/device_sim.c`` wraps the firmware's own es_device.c
and es_proto.c with a fake IMU and clock; these tests script it (commands
from the Python encoder) and decode everything it sends with
:class:`Es1MessageDecoder`, i.e. the same bytes a host would get over BLE.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from eccentric_sense.devices.codecs import es1
from eccentric_sense.devices.codecs.es1 import Ack, DeviceInfo, Es1MessageDecoder, Opcode, Status, StatusReport

ROOT = Path(__file__).resolve().parents[2] / "firmware_protocol"
LIB = ROOT / "firmware" / "lib"
SOURCES = [LIB / "es_proto" / "es_proto.c", LIB / "es_device" / "es_device.c", ROOT / "tools" / "device_sim.c"]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gcc = shutil.which("gcc")
    assert gcc is not None, "gcc is required to test the firmware (it is installed on CI)"
    exe = tmp_path_factory.mktemp("es_device") / "device_sim"
    cmd = [
        gcc, "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-pedantic",
        f"-I{LIB / 'es_proto'}", f"-I{LIB / 'es_device'}", *map(str, SOURCES), "-o", str(exe),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return exe


class Session:
    """Collect a script for the simulator; run it; decode what the device sent."""

    def __init__(self, sim: Path) -> None:
        self.sim = sim
        self.lines: list[str] = []
        self.req_id = 0
        self.host_seq = 0

    def command(self, opcode: int, params: bytes = b"") -> int:
        self.req_id += 1
        message = es1.encode_command(opcode, params, req_id=self.req_id, seq=self.host_seq)
        self.host_seq += 1
        self.lines.append(f"rx {message.hex()}")
        return self.req_id

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    def run(self) -> tuple[list[bytes], Es1MessageDecoder, list, list]:
        result = subprocess.run(
            [str(self.sim)], input="\n".join(self.lines) + "\n", capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        sent = [bytes.fromhex(line) for line in result.stdout.split()]
        events: list = []  # batches and other messages, in the order the device sent them
        decoder = Es1MessageDecoder(on_message=events.append)
        for message in sent:
            events += decoder.feed(message)
        batches = [e for e in events if not isinstance(e, es1.Message)]
        return sent, decoder, events, batches


def acks(events) -> list[Ack]:
    return [e for e in events if isinstance(e, Ack)]


def test_get_info_sends_device_info_then_ack(sim: Path) -> None:
    s = Session(sim)
    s("mtu 247")
    req = s.command(Opcode.GET_INFO)
    _, decoder, events, _ = s.run()
    assert isinstance(events[0], DeviceInfo) and isinstance(events[1], Ack)
    assert (events[1].req_id, events[1].opcode, events[1].status) == (req, Opcode.GET_INFO, Status.OK)
    info = events[0]
    assert info.max_batch == 19 and info.protocol_major == 1 and info.device_id == 0x5EED
    assert info.config.odr_hz == 100 and decoder.acc_scale_g == 16 / 32768


def test_nothing_streams_before_start_and_after_stop(sim: Path) -> None:
    s = Session(sim)
    s("mtu 247")
    s("samples 50 500000")
    s.command(Opcode.PING, b"hi")
    _, _, events, batches = s.run()
    assert batches == [] and [a.data for a in acks(events)] == [b"hi"]


def test_stream_batches_by_mtu_and_sample_values(sim: Path) -> None:
    s = Session(sim)
    s("mtu 247")
    s("clock 1000000")
    s.command(Opcode.SET_CONFIG, es1.pack_set_config(200, 8, 1000))
    s.command(Opcode.START)
    t = 2_000_000
    for _ in range(10):  # 10 FIFO reads of 10 samples at exactly 200 Hz
        t += 50_000
        s(f"samples 10 {t}")
    s.command(Opcode.STOP)
    s("samples 10 3000000")  # after STOP: ignored
    sent, decoder, events, batches = s.run()
    config_ack, start_ack, stop_ack = acks(events)
    assert config_ack.config == es1.DeviceConfig(200, 8, 1000, 5000, 8 / 32768, 1000 / 32768)
    assert start_ack.seq == 0 and start_ack.ok
    assert [len(b) for b in batches] == [19, 19, 19, 19, 19, 5]  # the rest is flushed by STOP
    assert all(len(m) <= 244 for m in sent)
    acc = np.vstack([b.acc_g for b in batches]) * 32768 / 8
    gyr = np.vstack([b.gyr_dps for b in batches]) * 32768 / 1000
    k = np.arange(100)
    np.testing.assert_allclose(acc, np.c_[k, -k, np.full(100, 2048)])
    np.testing.assert_allclose(gyr, np.c_[3 * k, -3 * k, np.full(100, 100)])
    times = np.concatenate([b.device_time_s for b in batches])
    # Last sample of the first read is at 2.05 s, 5 ms apart.
    np.testing.assert_allclose(times, 2.05 - 0.045 + 0.005 * k, atol=2e-6)
    assert decoder.stats.lost_samples == 0 and decoder.stats.checksum_errors == 0
    # The STOP ACK comes after the last batch, then STATUS idle.
    position = {id(e): i for i, e in enumerate(events)}
    assert position[id(stop_ack)] > position[id(batches[-1])]
    assert isinstance(events[-1], StatusReport) and events[-1].state == 0


def test_period_follows_a_slow_imu_clock(sim: Path) -> None:
    s = Session(sim)
    s("serial")
    s.command(Opcode.SET_CONFIG, es1.pack_set_config(1000, 0, 0))  # nominal 1000 us
    s.command(Opcode.START)
    t = 0
    for _ in range(200):
        t += 10 * 1030  # the IMU really samples every 1030 us (3 % slow)
        s(f"samples 10 {t}")
    s.command(Opcode.STOP)
    _, decoder, _, batches = s.run()
    # Serial messages hold up to 84 six-axis samples; STOP flushes the remainder.
    assert [len(b) for b in batches] == [84] * 23 + [2000 - 23 * 84]
    assert decoder.stats.lost_samples == 0
    last = batches[-1].device_time_s
    assert last[-1] == pytest.approx(200 * 10 * 1030e-6, abs=1e-6)  # anchored to the IMU's own times
    np.testing.assert_allclose(np.diff(last), 1030e-6, atol=1e-6)  # period_us follows the real rate
    for before, after in zip(batches[-10:-1], batches[-9:]):
        gap = after.device_time_s[0] - before.device_time_s[-1]
        assert gap == pytest.approx(1030e-6, abs=5e-6)


def test_set_config_refused_while_streaming_and_time_sync(sim: Path) -> None:
    s = Session(sim)
    s("mtu 247")
    s.command(Opcode.START)
    s.command(Opcode.SET_CONFIG, es1.pack_set_config(1000, 4, 250))
    s("clock 4294967396")  # 2**32 + 100
    s.command(Opcode.TIME_SYNC, es1.pack_time_sync(0xC0FFEE))
    s.command(0x7E)
    s.command(Opcode.SET_CONFIG, b"\x01")
    _, _, events, _ = s.run()
    start, refused, sync, unknown, short = acks(events)
    assert refused.status == Status.INVALID_STATE and refused.config is None
    assert sync.time_sync == es1.TimeSyncReply(0xC0FFEE, 2**32 + 100, 2**32 + 100)
    assert sync.device_time_us == 100  # the header carries the low 32 bits
    assert unknown.status == Status.UNKNOWN_OPCODE and unknown.opcode == 0x7E
    assert short.status == Status.BAD_PARAMETER


def test_six_axis_does_not_fit_the_default_mtu(sim: Path) -> None:
    s = Session(sim)
    s("mtu 23")
    s.command(Opcode.START)  # accel + gyro: a 20-byte notification holds no 6-axis sample
    s.command(Opcode.START, es1.pack_start(es1.FMT_ACCEL))
    s("samples 3 30000")
    _, _, events, batches = s.run()
    refused, accepted = acks(events)
    assert refused.status == Status.NOT_SUPPORTED and accepted.ok
    assert [len(b) for b in batches] == [1, 1, 1] and all(b.gyr_dps is None for b in batches)


def test_corrupted_command_gets_no_answer(sim: Path) -> None:
    s = Session(sim)
    good = es1.encode_command(Opcode.PING, b"x", req_id=5, seq=0)
    bad = bytearray(good)
    bad[-1] ^= 0xFF
    s(f"rx {bytes(bad).hex()}")
    s(f"rx {good.hex()}")
    sent, _, events, _ = s.run()
    assert len(sent) == 1 and acks(events)[0].req_id == 5


def test_status_every_second_with_device_losses(sim: Path) -> None:
    s = Session(sim)
    s("mtu 247")
    s("clock 0")
    s.command(Opcode.START)
    s("clock 500000")
    s("poll")
    s("loss 7")
    s("clock 1000000")
    s("poll")
    s("disconnect")
    s("samples 5 1100000")
    _, _, events, batches = s.run()
    statuses = [e for e in events if isinstance(e, StatusReport)]
    assert [(st.state, st.dropped_samples, st.flags) for st in statuses] == [(1, 0, 0), (1, 7, es1.STATUS_FLAG_FIFO_OVERFLOW)]
    assert batches == []
