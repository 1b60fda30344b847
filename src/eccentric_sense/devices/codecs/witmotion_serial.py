"""WitMotion standard serial protocol (WT901, HWT901B, WT901C, BWT901CL over SPP).

Every packet is 11 bytes: ``0x55``, a type byte, four int16 little-endian
values, and a checksum byte equal to the low byte of the sum of bytes 0..9.
Type 0x51 carries acceleration (``count * 16 / 32768`` g), 0x52 angular rate
(``count * 2000 / 32768`` deg/s), 0x53 Euler angles (``count * 180 / 32768``
deg); 0x5F is a register-read reply.  Other types are counted and skipped.

The device sends one packet per type per output period, in type order
(0x50, 0x51, 0x52, 0x53, ...).  :class:`WitmotionSerialDecoder` makes one
sample per acceleration packet and pairs it with the gyroscope packet of the
same period: the accel sample is completed by the packet that follows it (if
that is a gyro packet it is used, otherwise the latest gyro seen is used, or
NaN if none has been seen).  WitMotion packets carry no device clock usable
for sampling, so ``device_time_s`` is NaN and the adapter stamps host time.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..types import DecoderStats, SampleBatch
from ._outbox import MessageOutbox
from ._counts import to_int16_counts
from .witmotion import ACC_SCALE_G, ANGLE_SCALE_DEG, GYR_SCALE_DPS, TEMPERATURE_SCALE_C

__all__ = [
    "PACKET_LENGTH",
    "HEADER",
    "PacketType",
    "RegisterValues",
    "checksum",
    "encode_packet",
    "encode_accel_packet",
    "encode_gyro_packet",
    "encode_angle_packet",
    "encode_register_values",
    "WitmotionSerialDecoder",
]

PACKET_LENGTH = 11
HEADER = 0x55
_VALUES = struct.Struct("<4h")
_FIRST_TYPE, _LAST_TYPE = 0x50, 0x5F


class PacketType(enum.IntEnum):
    TIME = 0x50
    ACCEL = 0x51
    GYRO = 0x52
    ANGLE = 0x53
    MAG = 0x54
    QUATERNION = 0x59
    REGISTER = 0x5F


@dataclass(frozen=True)
class RegisterValues:
    """A 0x5F register-read reply: four consecutive registers, u16 each."""

    values: tuple[int, int, int, int]


def checksum(first_ten: bytes) -> int:
    """Low byte of the sum of the first ten packet bytes."""
    return sum(first_ten[:10]) & 0xFF


def encode_packet(packet_type: int, values) -> bytes:
    """An 11-byte packet from four int16 (or u16) values."""
    raw = np.asarray(values).astype(np.int64).reshape(4) & 0xFFFF
    body = bytes([HEADER, packet_type]) + raw.astype("<u2").tobytes()
    return body + bytes([checksum(body)])


def encode_accel_packet(acc_g, temperature_c: float = 25.0) -> bytes:
    counts = to_int16_counts(acc_g, ACC_SCALE_G).reshape(3)
    return encode_packet(PacketType.ACCEL, [*counts, int(to_int16_counts(temperature_c, TEMPERATURE_SCALE_C))])


def encode_gyro_packet(gyr_dps, temperature_c: float = 25.0) -> bytes:
    counts = to_int16_counts(gyr_dps, GYR_SCALE_DPS).reshape(3)
    return encode_packet(PacketType.GYRO, [*counts, int(to_int16_counts(temperature_c, TEMPERATURE_SCALE_C))])


def encode_angle_packet(angle_deg, version: int = 0) -> bytes:
    counts = to_int16_counts(angle_deg, ANGLE_SCALE_DEG).reshape(3)
    return encode_packet(PacketType.ANGLE, [*counts, version])


def encode_register_values(values) -> bytes:
    """A 0x5F register-read reply carrying four u16 values."""
    return encode_packet(PacketType.REGISTER, values)


class WitmotionSerialDecoder:
    """Bytes from a WitMotion serial port in (any split), sample batches out.

    Resynchronisation: bytes are dropped one at a time until a ``0x55``
    followed by a type in 0x50..0x5F with a correct checksum; a candidate
    with a known type but a wrong checksum counts as a checksum error.

    Parameters
    ----------
    on_message
        Receives each :class:`RegisterValues` reply (inside :meth:`feed`);
        without it they queue for :meth:`pop_messages` (bounded by ``max_pending``).

    Attributes
    ----------
    stats
        ``extra`` counts packets per type name (``"accel"``, ``"gyro"``,
        ``"angle"``, ``"other"``).
    latest_angle_deg
        Roll, pitch, yaw of the last 0x53 packet (NaN before the first).
    """

    def __init__(self, on_message: Callable[[object], None] | None = None, *, max_pending: int = 64) -> None:
        self.stats = DecoderStats()
        self.latest_angle_deg = np.full(3, np.nan)
        self._outbox: MessageOutbox = MessageOutbox(on_message, max_pending)
        self._buffer = bytearray()
        self._gyr: tuple[float, float, float] = (np.nan, np.nan, np.nan)  # latest gyro, counts
        self._held_acc: tuple[int, int, int] | None = None  # accel counts waiting for their gyro

    def pop_messages(self) -> list[object]:
        return self._outbox.pop_all()

    def feed(self, data: bytes) -> list[SampleBatch]:
        """Consume bytes; return ``[]`` or one batch with every sample completed by them."""
        data = bytes(data)
        self.stats.bytes_in += len(data)
        buf = self._buffer
        buf += data
        rows: list[tuple] = []  # (ax, ay, az, gx, gy, gz) counts, one per completed sample
        i = 0
        while True:
            start = buf.find(HEADER, i)
            if start < 0:
                self.stats.bytes_skipped += len(buf) - i
                i = len(buf)
                break
            self.stats.bytes_skipped += start - i
            i = start
            if len(buf) - i < PACKET_LENGTH:
                break
            packet_type = buf[i + 1]
            if not _FIRST_TYPE <= packet_type <= _LAST_TYPE:
                self.stats.bytes_skipped += 1
                i += 1
                continue
            if checksum(buf[i : i + 10]) != buf[i + 10]:
                self.stats.checksum_errors += 1
                self.stats.bytes_skipped += 1
                i += 1
                continue
            values = _VALUES.unpack_from(buf, i + 2)
            i += PACKET_LENGTH
            self.stats.messages_ok += 1
            self._handle(packet_type, values, rows)
        del buf[:i]
        if not rows:
            return []
        counts = np.array(rows, dtype=float)
        acc = counts[:, 0:3] * ACC_SCALE_G
        gyr = counts[:, 3:6] * GYR_SCALE_DPS
        self.stats.samples_out += acc.shape[0]
        return [
            SampleBatch(
                device_time_s=np.full(acc.shape[0], np.nan),
                acc_g=acc,
                gyr_dps=None if np.isnan(gyr).all() else gyr,
            )
        ]

    def _count(self, key: str) -> None:
        self.stats.extra[key] = self.stats.extra.get(key, 0) + 1

    def _handle(self, packet_type: int, values: tuple[int, int, int, int], rows: list[tuple]) -> None:
        if packet_type == PacketType.GYRO:
            self._count("gyro")
            self._gyr = values[:3]
        elif packet_type != PacketType.ACCEL:
            self.stats.other_messages += 1
        # Whatever follows a held accel packet closes its output period.
        if self._held_acc is not None:
            rows.append(self._held_acc + self._gyr)
            self._held_acc = None
        if packet_type == PacketType.ACCEL:
            self._count("accel")
            self._held_acc = values[:3]
        elif packet_type == PacketType.ANGLE:
            self._count("angle")
            self.latest_angle_deg = np.array(values[:3], dtype=float) * ANGLE_SCALE_DEG
        elif packet_type == PacketType.REGISTER:
            self._count("register")
            reply = RegisterValues(tuple(v & 0xFFFF for v in values))
            self._outbox.deliver(reply)
        elif packet_type != PacketType.GYRO:
            self._count("other")
