"""Device emulators: play a recording as an es1 or WitMotion device.

The *device models* here are transport-free: they take command bytes from
the host (:meth:`receive`) and return the bytes or messages that are due at
a given host time (:meth:`poll`).  :func:`run_serial_emulator` puts a model
behind a pseudo-terminal, so the real host code opens a real serial port;
:mod:`eccentric_sense.devices.fake_ble` puts one behind a bleak backend.

Like real devices, the models wait for the host: an es1 model answers
GET_INFO / SET_CONFIG / PING and streams only after START; a WitMotion model
streams once it received its first configuration command.  Samples are
quantised exactly as the device would (int16 counts) and carry the device
time of the recording (es1).
"""

from __future__ import annotations

import errno
import os
import select
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, TextIO

import numpy as np

from ..recording import Recording
from . import polar
from .codecs import es1, witmotion, witmotion_ble, witmotion_serial

__all__ = [
    "Es1Device",
    "WitmotionSerialDevice",
    "WitmotionBleDevice",
    "PolarH10Device",
    "FaultInjector",
    "run_serial_emulator",
    "parse_witmotion_commands",
]

#: The emulated es1 clock starts this close to the u32 wrap, so every
#: emulated session exercises the host's unwrapping (after about 1 s).
ES1_CLOCK_START_US = 2**32 - 1_000_000


@dataclass
class _Stream:
    """Where a model is in its recording."""

    started: bool = False
    origin_host: float = 0.0  # host time at which sample 0 was measured
    position: int = 0  # next sample to send


class _RecordingDevice:
    """Shared pacing: sample ``i`` is measured at ``origin + (t[i] - t[0]) / speed``."""

    def __init__(self, recording: Recording, *, speed: float) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self.recording = recording
        self.speed = float(speed)
        self.time_s = recording.time_s - recording.time_s[0]
        self.acc_g = recording.acc_g
        self.gyr_dps = recording.gyr_dps
        self.rate_hz = recording.sample_rate_hz
        self.stream = _Stream()
        self.streaming = False
        self.samples_sent = 0

    @property
    def exhausted(self) -> bool:
        """Every sample of the recording has been sent (or passed while not streaming)."""
        return self.stream.started and self.stream.position >= self.time_s.size

    def _begin(self, now: float) -> None:
        """(Re)start streaming; after a pause resume at the sample being measured *now*."""
        if not self.stream.started:
            self.stream = _Stream(started=True, origin_host=now, position=0)
        else:
            elapsed = (now - self.stream.origin_host) * self.speed
            self.stream.position = max(self.stream.position, int(np.searchsorted(self.time_s, elapsed)))
        self.streaming = True

    def _due(self, now: float) -> int:
        """Index one past the last sample measured by host time ``now``."""
        elapsed = (now - self.stream.origin_host) * self.speed
        return int(np.searchsorted(self.time_s, elapsed, side="right"))

    def next_due(self) -> float | None:
        """Host time at which the next sample is measured (``None`` when idle/done)."""
        if not self.streaming or self.exhausted:
            return None
        return self.stream.origin_host + self.time_s[self.stream.position] / self.speed

    def host_time_of(self, index: int) -> float:
        return self.stream.origin_host + self.time_s[index] / self.speed


class Es1Device(_RecordingDevice):
    """An es1 device playing ``recording``.

    Parameters
    ----------
    recording
        What the "sensor" measures.
    speed
        Playback speed (device time still follows the recording).
    max_batch
        Samples per IMU_BATCH (the firmware would size it from the MTU).
    serial
        ``True``: :meth:`receive` takes a COBS byte stream and :meth:`poll`
        returns serial frames; ``False``: one message per call (BLE).
    clock_start_us
        Device clock when the recording starts.
    """

    def __init__(
        self,
        recording: Recording,
        *,
        speed: float = 1.0,
        max_batch: int = 10,
        serial: bool = True,
        clock_start_us: int = ES1_CLOCK_START_US,
        device_id: int = 0xE5E5_0000_0000_0001,
        status_interval_s: float = 1.0,
    ) -> None:
        super().__init__(recording, speed=speed)
        self.serial = serial
        self.max_batch = max(1, min(int(max_batch), 255))
        self.period_us = int(round(1e6 / self.rate_hz))
        self.t_us = clock_start_us + np.rint(self.time_s * 1e6).astype(np.int64)
        self.clock_start_us = clock_start_us
        self.acc_counts = es1.counts_from_physical(self.acc_g, es1.DEFAULT_ACC_SCALE_G)
        self.gyr_counts = None if self.gyr_dps is None else es1.counts_from_physical(self.gyr_dps, es1.DEFAULT_GYR_SCALE_DPS)
        # A new batch starts wherever the recording is not uniform (a gap, jitter).
        irregular = np.flatnonzero(np.abs(np.diff(self.t_us) - self.period_us) > 1) + 1
        self._break_before = np.zeros(self.t_us.size + 1, dtype=bool)
        self._break_before[irregular] = True
        self.device_id = device_id
        self.status_interval_us = int(status_interval_s * 1e6)
        self._seq = 0
        self._out: list[bytes] = []
        self._next_status_us: int | None = None
        decoder_cls = es1.Es1SerialDecoder if serial else es1.Es1MessageDecoder
        self._commands = decoder_cls(on_message=self._on_message)
        self.config = es1.DeviceConfig(
            odr_hz=int(round(self.rate_hz)), acc_range_g=16, gyro_range_dps=2000, period_us=self.period_us,
            acc_scale_g=es1.DEFAULT_ACC_SCALE_G, gyr_scale_dps=es1.DEFAULT_GYR_SCALE_DPS,
        )
        self.commands_seen: list[str] = []
        self._now = 0.0

    # ---------------------------------------------------------------- host -> device
    def receive(self, data: bytes, now: float) -> None:
        """Bytes from the host (a COBS stream, or one whole message when ``serial=False``)."""
        self._now = now
        self._commands.feed(data)

    def _device_time_us(self, now: float) -> int:
        origin = self.stream.origin_host if self.stream.started else now
        return self.clock_start_us + int(round((now - origin) * self.speed * 1e6))

    def _send(self, message: bytes) -> None:
        self._out.append(es1.frame_serial(message) if self.serial else message)

    def _next_seq(self) -> int:
        seq = self._seq
        self._seq = (self._seq + 1) & 0xFFFF
        return seq

    def _on_message(self, message: es1.Message) -> None:
        if not isinstance(message, es1.Command):
            return
        now = self._now
        opcode = message.opcode
        try:
            name = es1.Opcode(opcode).name
        except ValueError:
            name = f"0x{opcode:02X}"
        self.commands_seen.append(name)
        status, data = es1.Status.OK, b""
        if opcode == es1.Opcode.GET_INFO:
            info = es1.DeviceInfo(
                seq=self._next_seq(), device_time_us=self._device_time_us(now), firmware_version=(1, 0, 0),
                imu_model=es1.ImuModel.EMULATOR, config=self.config, max_batch=self.max_batch,
                supported_formats=es1.FMT_ACCEL | (0 if self.gyr_counts is None else es1.FMT_GYRO),
                device_id=self.device_id,
            )
            self._send(es1.encode_device_info(info))
        elif opcode == es1.Opcode.SET_CONFIG:
            # An emulator can only play the recording's own rate: it applies
            # that, as a device rounds a requested rate to one it supports.
            data = es1.pack_device_config(self.config)
        elif opcode == es1.Opcode.START:
            if self.streaming:
                status = es1.Status.INVALID_STATE
            else:
                self._seq = 0  # the device restarts its counter at START
                self._begin(now)
                self._next_status_us = None
        elif opcode == es1.Opcode.STOP:
            self.streaming = False
        elif opcode == es1.Opcode.TIME_SYNC:
            t = self._device_time_us(now)
            token = int.from_bytes(message.params[:4].ljust(4, b"\0"), "little")
            data = es1.pack_time_sync_reply(es1.TimeSyncReply(token, t, t))
        elif opcode == es1.Opcode.PING:
            data = message.params[: es1.MAX_PING_DATA]
        else:
            status = es1.Status.UNKNOWN_OPCODE
        self._send(
            es1.encode_ack(message.req_id, opcode, status, data, seq=self._next_seq(),
                           device_time_us=self._device_time_us(now))
        )

    # ---------------------------------------------------------------- device -> host
    def poll(self, now: float) -> list[tuple[bytes, bool]]:
        """Responses, and the batches (and STATUS) whose samples were measured by ``now``.

        Each item is ``(bytes, is_stream_data)``; responses to commands have
        ``is_stream_data=False``.
        """
        out: list[tuple[bytes, bool]] = [(m, False) for m in self._out]
        self._out = []
        if not self.streaming:
            return out
        due = self._due(now)
        while self.stream.position < min(due, self.time_s.size):
            start = self.stream.position
            stop = min(start + self.max_batch, due, self.time_s.size)
            breaks = np.flatnonzero(self._break_before[start + 1 : stop])
            if breaks.size:
                stop = start + 1 + int(breaks[0])
            if stop - start < self.max_batch and stop == due and due < self.time_s.size:
                break  # wait until the batch is full (or the recording ends)
            t0 = int(self.t_us[start])
            self._maybe_status(t0, out)
            message = es1.encode_imu_batch(
                self.acc_counts[start:stop],
                None if self.gyr_counts is None else self.gyr_counts[start:stop],
                seq=self._next_seq(), device_time_us=t0, period_us=self.period_us,
            )
            out.append((es1.frame_serial(message) if self.serial else message, True))
            self.samples_sent += stop - start
            self.stream.position = stop
        return out

    def _maybe_status(self, t_us: int, out: list[tuple[bytes, bool]]) -> None:
        if self._next_status_us is None:
            self._next_status_us = t_us + self.status_interval_us
            return
        if t_us >= self._next_status_us:
            self._next_status_us = t_us + self.status_interval_us
            message = es1.encode_status(es1.StreamState.STREAMING, seq=self._next_seq(), device_time_us=t_us)
            out.append((es1.frame_serial(message) if self.serial else message, True))


def parse_witmotion_commands(buffer: bytearray) -> list[tuple[int, int]]:
    """Take complete ``FF AA reg lo hi`` commands off ``buffer``; return (register, value) pairs."""
    commands = []
    while True:
        start = buffer.find(b"\xff\xaa")
        if start < 0:
            del buffer[: max(0, len(buffer) - 1)]
            return commands
        if len(buffer) - start < 5:
            del buffer[:start]
            return commands
        register, low, high = buffer[start + 2], buffer[start + 3], buffer[start + 4]
        commands.append((register, low | (high << 8)))
        del buffer[: start + 5]


class _WitmotionDevice(_RecordingDevice):
    """WitMotion command handling: streams after the first command; honours RSW."""

    def __init__(self, recording: Recording, *, speed: float = 1.0, warn: Callable[[str], None] | None = None) -> None:
        super().__init__(recording, speed=speed)
        self.content = witmotion.ContentBit.ACC | witmotion.ContentBit.GYRO | witmotion.ContentBit.ANGLE
        self._commands = bytearray()
        self._warn = warn or (lambda text: None)
        self.commands_seen: list[tuple[int, int]] = []
        self.gyr_or_zero = np.zeros_like(self.acc_g) if self.gyr_dps is None else self.gyr_dps

    def receive(self, data: bytes, now: float) -> None:
        self._commands += data
        for register, value in parse_witmotion_commands(self._commands):
            self.commands_seen.append((register, value))
            if register == witmotion.Register.RSW:
                self.content = witmotion.ContentBit(value)
            elif register == witmotion.Register.RRATE:
                wanted = {code: rate for rate, code in witmotion.RATE_CODES.items()}.get(value)
                if wanted is not None and abs(wanted - self.rate_hz) > 1e-6 * self.rate_hz:
                    self._warn(
                        f"host asked for {wanted:g} Hz but the recording is {self.rate_hz:g} Hz; "
                        "streaming at the recording's rate"
                    )
            if not self.streaming:
                self._begin(now)

    def _take_due(self, now: float) -> range:
        if not self.streaming:
            return range(0)
        stop = min(self._due(now), self.time_s.size)
        out = range(self.stream.position, stop)
        self.stream.position = max(self.stream.position, stop)
        self.samples_sent += len(out)
        return out


class WitmotionSerialDevice(_WitmotionDevice):
    """A WitMotion serial IMU (11-byte packets: 0x51 accel, 0x52 gyro, 0x53 angle per sample)."""

    def poll(self, now: float) -> list[tuple[bytes, bool]]:
        out = []
        for i in self._take_due(now):
            packets = []
            if self.content & witmotion.ContentBit.ACC:
                packets.append(witmotion_serial.encode_accel_packet(self.acc_g[i]))
            if self.content & witmotion.ContentBit.GYRO:
                packets.append(witmotion_serial.encode_gyro_packet(self.gyr_or_zero[i]))
            if self.content & witmotion.ContentBit.ANGLE:
                packets.append(witmotion_serial.encode_angle_packet(np.zeros(3)))
            out.append((b"".join(packets), True))
        return out


class WitmotionBleDevice(_WitmotionDevice):
    """A WitMotion BLE 5.0 IMU (one 20-byte ``55 61`` packet per sample)."""

    def poll(self, now: float) -> list[tuple[bytes, bool]]:
        return [
            (witmotion_ble.encode_data_packet(self.acc_g[i], self.gyr_or_zero[i]), True) for i in self._take_due(now)
        ]


class PolarH10Device(_RecordingDevice):
    """A Polar H10 streaming PMD accelerometer frames (acceleration only, mG, 200 Hz typical).

    Control-point requests go to :meth:`receive`; :meth:`poll` returns
    ``(bytes, is_stream_data)`` where responses (``is_stream_data=False``)
    belong on the control point and frames on the data characteristic.
    """

    #: Device clock at the first sample: ns since 2000-01-01, as Polar stamps are.
    CLOCK_START_NS = 847_000_000_000_000_000

    def __init__(self, recording: Recording, *, speed: float = 1.0, frame_samples: int = 12) -> None:
        super().__init__(recording, speed=speed)
        self.frame_samples = max(1, int(frame_samples))
        self.t_ns = self.CLOCK_START_NS + np.rint(self.time_s * 1e9).astype(np.int64)
        self._responses: list[bytes] = []
        self.commands_seen: list[bytes] = []

    def receive(self, data: bytes, now: float) -> None:
        self.commands_seen.append(bytes(data))
        op, measurement = (data[0], data[1]) if len(data) >= 2 else (0, 0)
        error = 0
        if op == 0x02 and measurement == polar.MEASUREMENT_ACC:
            self._begin(now)
        elif op == 0x03:
            self.streaming = False
        else:
            error = 0x01  # INVALID OP CODE
        self._responses.append(bytes([0xF0, op, measurement, error, 0x00]))

    def poll(self, now: float) -> list[tuple[bytes, bool]]:
        out = [(r, False) for r in self._responses]
        self._responses = []
        if not self.streaming:
            return out
        due = min(self._due(now), self.time_s.size)
        while due - self.stream.position >= self.frame_samples or (due == self.time_s.size and due > self.stream.position):
            start = self.stream.position
            stop = min(start + self.frame_samples, due)
            out.append((polar.encode_acc_frame(self.acc_g[start:stop], int(self.t_ns[stop - 1])), True))
            self.samples_sent += stop - start
            self.stream.position = stop
        return out


# ----------------------------------------------------------------------------- faults


@dataclass
class FaultInjector:
    """Damage a byte stream the way a noisy line or a buggy device would.

    Parameters
    ----------
    garbage_fraction
        Random bytes inserted at random positions, as a fraction of the bytes sent.
    corrupt_fraction
        Fraction of messages with one byte changed (a bad checksum).
    seed
        Random seed (reproducible damage).
    """

    garbage_fraction: float = 0.0
    corrupt_fraction: float = 0.0
    seed: int | None = None
    garbage_bytes: int = 0
    corrupted_messages: int = 0
    _rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)

    def apply(self, message: bytes) -> bytes:
        data = np.frombuffer(message, dtype=np.uint8).copy()
        if self.corrupt_fraction and data.size and self._rng.random() < self.corrupt_fraction:
            where = int(self._rng.integers(data.size))
            data[where] ^= np.uint8(self._rng.integers(1, 256))
            self.corrupted_messages += 1
        if self.garbage_fraction:
            count = int(self._rng.binomial(data.size, self.garbage_fraction))
            if count:
                positions = np.sort(self._rng.integers(0, data.size + 1, size=count))
                data = np.insert(data, positions, self._rng.integers(0, 256, size=count, dtype=np.uint8))
                self.garbage_bytes += count
        return data.tobytes()


# ----------------------------------------------------------------------------- serial


def _pending_input(fd: int) -> int:
    """Bytes waiting in a tty's input queue (not yet read by the host)."""
    import fcntl
    import termios

    buf = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
    return int.from_bytes(buf, sys.byteorder)


def run_serial_emulator(
    device: Es1Device | _WitmotionDevice,
    *,
    announce: Callable[[str], None],
    faults: FaultInjector | None = None,
    split_writes: bool = False,
    log: TextIO | None = None,
    drain_timeout_s: float = 30.0,
    max_unread_bytes: int = 1 << 20,
) -> int:
    """Serve ``device`` on a new pseudo-terminal until the recording has been sent and read.

    ``announce`` receives the device path (``/dev/pts/N``) once the terminal
    is ready: a host may open it from then on and will miss nothing,
    because the device waits for the host's first command.  Returns the
    number of samples sent.  POSIX only (pseudo-terminals).
    """
    import tty  # POSIX only: imported here so the device models work everywhere

    master, slave = os.openpty()
    tty.setraw(slave)
    # The emulator keeps its own handle on the slave side: the terminal
    # survives the host closing and reopening the port, and its input queue
    # tells when the host has read everything.
    os.set_blocking(master, False)
    path = os.ttyname(slave)
    rng = np.random.default_rng(faults.seed if faults else None)
    pending = bytearray()
    announce(path)
    try:
        while True:
            now = time.monotonic()
            for chunk, is_data in device.poll(now):
                # Damage only the stream, so that the handshake itself stays testable.
                pending += faults.apply(chunk) if faults and is_data else chunk
            if device.exhausted and not pending:
                break
            due = device.next_due()
            timeout = 0.1 if due is None else max(0.0, min(0.1, due - time.monotonic()))
            readable, writable, _ = select.select([master], [master] if pending else [], [], timeout)
            if readable:
                try:
                    data = os.read(master, 4096)
                except OSError as exc:
                    if exc.errno != errno.EIO:  # EIO: no host has the port open right now
                        raise
                    data = b""
                if data:
                    device.receive(data, time.monotonic())
            if writable and pending:
                size = len(pending)
                if split_writes and size > 1:
                    size = int(rng.integers(1, size + 1))  # the host will see frames split anywhere
                try:
                    written = os.write(master, bytes(pending[:size]))
                except BlockingIOError:
                    written = 0
                del pending[:written]
            if len(pending) > max_unread_bytes:
                # Nobody is reading: a real UART drops what it cannot send.
                del pending[:]
        deadline = time.monotonic() + drain_timeout_s
        while _pending_input(slave) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)
    finally:
        os.close(master)
        os.close(slave)
    if log is not None:
        extra = f", {faults.garbage_bytes} garbage bytes, {faults.corrupted_messages} corrupted messages" if faults else ""
        print(f"emulator: sent {device.samples_sent} samples{extra}", file=log, flush=True)
    return device.samples_sent
