"""Polar PMD (Polar Measurement Data) accelerometer stream, as used by the Polar H10.

Facts from Polar's public SDK documentation and the third-party ``bleakheart``
implementation (see ``docs/devices.md``):

* service ``FB005C80-...``; control point ``FB005C81-...`` (write, notify);
  data ``FB005C82-...`` (notify);
* START request ``02 <type> [setting_id 01 value_u16]...``: type 2 = ACC,
  settings 0 = sample rate, 1 = resolution, 2 = range; STOP ``03 <type>``;
* the control point answers ``F0 <op> <type> <error> ...`` (error 0 = success);
* a data notification is ``<type> <u64 LE timestamp, ns, of the LAST sample>
  <frame type> <samples>``; ACC frame type ``0x01`` holds int16 x, y, z in mG.

Only uncompressed ACC frames (type ``0x01``) are decoded; delta-compressed
frames (bit 7 of the frame type) are counted and skipped.  This module has
not been checked against a real H10 in this project.
"""

from __future__ import annotations

import struct

import numpy as np

from .types import DecoderStats, SampleBatch

__all__ = [
    "PMD_SERVICE_UUID",
    "PMD_CONTROL_UUID",
    "PMD_DATA_UUID",
    "MEASUREMENT_ACC",
    "ACC_RATES_HZ",
    "start_acc_command",
    "stop_acc_command",
    "parse_control_response",
    "encode_acc_frame",
    "PolarAccDecoder",
]

PMD_SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

MEASUREMENT_ACC = 0x02
_OP_START, _OP_STOP = 0x02, 0x03
_SETTING_RATE, _SETTING_RESOLUTION, _SETTING_RANGE = 0x00, 0x01, 0x02
_RESPONSE = 0xF0
_FRAME_ACC_INT16 = 0x01
_HEADER = struct.Struct("<BQB")  # measurement type, timestamp ns, frame type
#: H10 accelerometer rates (Hz) and ranges (g).
ACC_RATES_HZ = (25, 50, 100, 200)
ACC_RANGES_G = (2, 4, 8)
_MG = 1e-3  # g per count


def start_acc_command(rate_hz: int = 200, range_g: int = 8) -> bytes:
    """START ACC with 16-bit resolution."""
    if rate_hz not in ACC_RATES_HZ or range_g not in ACC_RANGES_G:
        raise ValueError(f"Polar ACC supports {ACC_RATES_HZ} Hz and {ACC_RANGES_G} g")
    return bytes([_OP_START, MEASUREMENT_ACC]) + b"".join(
        struct.pack("<BBH", setting, 1, value)
        for setting, value in ((_SETTING_RATE, rate_hz), (_SETTING_RESOLUTION, 16), (_SETTING_RANGE, range_g))
    )


def stop_acc_command() -> bytes:
    return bytes([_OP_STOP, MEASUREMENT_ACC])


def parse_control_response(data: bytes) -> tuple[int, int, int] | None:
    """``(op, measurement type, error code)`` of a control-point response, or ``None``."""
    if len(data) < 4 or data[0] != _RESPONSE:
        return None
    return data[1], data[2], data[3]


def encode_acc_frame(acc_g: np.ndarray, last_sample_ns: int) -> bytes:
    """A type-0x01 ACC notification (for emulators): int16 mG, timestamp of the last sample."""
    counts = np.clip(np.rint(np.asarray(acc_g, dtype=float) / _MG), -32768, 32767).astype("<i2")
    return _HEADER.pack(MEASUREMENT_ACC, int(last_sample_ns), _FRAME_ACC_INT16) + counts.tobytes()


class PolarAccDecoder:
    """PMD data notifications in, accelerometer batches out (device time from the frame stamps).

    ``device_time_s`` is seconds since the first frame's stamp (see :attr:`epoch_ns`).

    Never raises.  ``stats.extra`` counts ``compressed_frames`` and
    ``other_frames`` (skipped).
    """

    def __init__(self, rate_hz: float) -> None:
        self.stats = DecoderStats()
        self.period_ns = 1e9 / rate_hz
        #: Device clock (ns) that ``device_time_s`` counts from: the first frame's
        #: stamp.  Polar stamps count ns since 2000, too many for float seconds
        #: to keep microseconds; differences are exact.
        self.epoch_ns: int | None = None

    def feed(self, data: bytes) -> list[SampleBatch]:
        data = bytes(data)
        self.stats.bytes_in += len(data)
        if len(data) < _HEADER.size:
            self.stats.bytes_skipped += len(data)
            self._count("short_frames")
            return []
        measurement, stamp_ns, frame_type = _HEADER.unpack_from(data)
        payload = data[_HEADER.size :]
        if measurement != MEASUREMENT_ACC or frame_type != _FRAME_ACC_INT16 or len(payload) % 6:
            self.stats.bytes_skipped += len(data)
            self._count("compressed_frames" if frame_type & 0x80 else "other_frames")
            return []
        counts = np.frombuffer(payload, dtype="<i2").reshape(-1, 3)
        n = counts.shape[0]
        self.stats.messages_ok += 1
        self.stats.samples_out += n
        if self.epoch_ns is None:
            self.epoch_ns = int(stamp_ns)
        # The stamp is the last sample's: earlier ones are one period apart before it.
        last_s = (int(stamp_ns) - self.epoch_ns) * 1e-9
        time_s = last_s - self.period_ns * 1e-9 * np.arange(n - 1, -1, -1)
        return [SampleBatch(device_time_s=time_s, acc_g=counts.astype(float) * _MG)]

    def _count(self, key: str) -> None:
        self.stats.extra[key] = self.stats.extra.get(key, 0) + 1
