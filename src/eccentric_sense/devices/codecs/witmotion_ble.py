"""WitMotion BLE 5.0 devices (WT901BLECL, BWT901BLE5.0, WT9011DCL-BT50, ...).

Notifications on :data:`NOTIFY_CHAR_UUID` carry 20-byte packets without a
checksum:

* ``55 61`` + nine int16 LE: ax ay az (``*16/32768`` g), wx wy wz
  (``*2000/32768`` deg/s), roll pitch yaw (``*180/32768`` deg);
* ``55 71 regL regH`` + eight u16 LE register values (reply to
  :func:`~.witmotion.read_register_command` written to :data:`WRITE_CHAR_UUID`).

A packet may be split across notifications and one notification may hold
several packets, so :class:`WitmotionBleDecoder` reassembles a stream.  The
UUIDs use the base ``...-0000-1000-8000-00805f9a34fb`` (``9a``, not the
Bluetooth SIG ``9b``): always pass these full strings, never the short
``"ffe4"``, which bleak expands with the SIG base.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..types import DecoderStats, SampleBatch
from ._outbox import MessageOutbox
from ._counts import to_int16_counts
from .witmotion import ACC_SCALE_G, ANGLE_SCALE_DEG, GYR_SCALE_DPS

__all__ = [
    "SERVICE_UUID",
    "NOTIFY_CHAR_UUID",
    "WRITE_CHAR_UUID",
    "PACKET_LENGTH",
    "DATA_FLAG",
    "REGISTER_FLAG",
    "RegisterReply",
    "encode_data_packet",
    "encode_register_reply",
    "WitmotionBleDecoder",
]

SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_CHAR_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_CHAR_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"

PACKET_LENGTH = 20
HEADER = 0x55
DATA_FLAG = 0x61
REGISTER_FLAG = 0x71
_FLAGS = (DATA_FLAG, REGISTER_FLAG)
_REGISTER = struct.Struct("<H8H")


@dataclass(frozen=True)
class RegisterReply:
    """``55 71``: the first register read and eight consecutive u16 values."""

    register: int
    values: tuple[int, ...]


def encode_data_packet(acc_g, gyr_dps, angle_deg=(0.0, 0.0, 0.0)) -> bytes:
    """A 20-byte ``55 61`` packet from physical values."""
    counts = np.concatenate(
        [
            to_int16_counts(acc_g, ACC_SCALE_G).reshape(3),
            to_int16_counts(gyr_dps, GYR_SCALE_DPS).reshape(3),
            to_int16_counts(angle_deg, ANGLE_SCALE_DEG).reshape(3),
        ]
    )
    return bytes([HEADER, DATA_FLAG]) + counts.astype("<i2").tobytes()


def encode_register_reply(register: int, values) -> bytes:
    """A 20-byte ``55 71`` register-read reply (eight u16 values)."""
    vals = [int(v) & 0xFFFF for v in values]
    if len(vals) != 8:
        raise ValueError("a WitMotion BLE register reply carries exactly 8 values")
    return bytes([HEADER, REGISTER_FLAG]) + _REGISTER.pack(register & 0xFFFF, *vals)


class WitmotionBleDecoder:
    """Notification bytes in (any split), sample batches out.

    Resynchronisation drops bytes until ``55 61`` or ``55 71``.  The packets
    have no checksum, so ``stats.checksum_errors`` stays 0 and corrupted
    packets cannot be detected.

    Parameters
    ----------
    on_message
        Receives each :class:`RegisterReply` (inside :meth:`feed`); without
        it they queue for :meth:`pop_messages` (bounded by ``max_pending``).

    Attributes
    ----------
    latest_angle_deg
        Roll, pitch, yaw of the last data packet (NaN before the first).
    """

    def __init__(self, on_message: Callable[[object], None] | None = None, *, max_pending: int = 64) -> None:
        self.stats = DecoderStats()
        self.latest_angle_deg = np.full(3, np.nan)
        self._outbox: MessageOutbox = MessageOutbox(on_message, max_pending)
        self._buffer = bytearray()

    def pop_messages(self) -> list[object]:
        return self._outbox.pop_all()

    def feed(self, data: bytes) -> list[SampleBatch]:
        """Consume notification bytes; return ``[]`` or one batch of every complete data packet."""
        data = bytes(data)
        self.stats.bytes_in += len(data)
        buf = self._buffer
        buf += data
        packets: list[bytes] = []
        i = 0
        n = len(buf)
        while i < n:
            start = buf.find(HEADER, i)
            if start < 0:
                self.stats.bytes_skipped += n - i
                i = n
                break
            self.stats.bytes_skipped += start - i
            i = start
            if n - i < 2:
                break  # a lone 0x55 at the end may start a packet
            if buf[i + 1] not in _FLAGS:
                self.stats.bytes_skipped += 1
                i += 1
                continue
            if n - i < PACKET_LENGTH:
                break
            packet = bytes(buf[i : i + PACKET_LENGTH])
            i += PACKET_LENGTH
            self.stats.messages_ok += 1
            if packet[1] == DATA_FLAG:
                packets.append(packet)
            else:
                self._register_reply(packet)
        del buf[:i]
        if not packets:
            return []
        counts = np.frombuffer(b"".join(p[2:] for p in packets), dtype="<i2").reshape(-1, 9).astype(float)
        self.latest_angle_deg = counts[-1, 6:9] * ANGLE_SCALE_DEG
        self.stats.samples_out += counts.shape[0]
        return [
            SampleBatch(
                device_time_s=np.full(counts.shape[0], np.nan),
                acc_g=counts[:, 0:3] * ACC_SCALE_G,
                gyr_dps=counts[:, 3:6] * GYR_SCALE_DPS,
            )
        ]

    def _register_reply(self, packet: bytes) -> None:
        self.stats.other_messages += 1
        register, *values = _REGISTER.unpack_from(packet, 2)
        reply = RegisterReply(register, tuple(values))
        self._outbox.deliver(reply)
