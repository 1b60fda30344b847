"""Codec for ``es1``, the eccentric-sense sensor protocol (``firmware_protocol/PROTOCOL.md``).

One message format serves BLE (one message per notification) and serial/USB
(each message COBS-encoded between ``0x00`` delimiters)::

    off size field
    0   1    version        protocol major version, 1
    1   1    type           MessageType
    2   2    seq            per-direction message counter, wraps at 2**16
    4   4    t_us           device time in microseconds, wraps at 2**32
    8   n    payload        type-specific, append-only between minor versions
    8+n 2    crc16          CRC-16/CCITT-FALSE over bytes 0 .. 8+n-1

All integers are little-endian.  This module holds the encoder (used by
emulators, tests and ``firmware_protocol/tools/make_vectors.py``) and the two
host decoders:

* :class:`Es1MessageDecoder` -- one BLE notification per :meth:`feed` call;
* :class:`Es1SerialDecoder` -- an arbitrary split COBS byte stream.

Both return :class:`~eccentric_sense.devices.types.SampleBatch` es from
``feed`` (one per IMU_BATCH message), never raise on any input, and keep
:class:`~eccentric_sense.devices.types.DecoderStats`.  Every other valid
message (:class:`Ack`, :class:`DeviceInfo`, :class:`Status`,
:class:`Command`) is passed to ``on_message`` if a callback was given, and is
otherwise queued for :meth:`Es1MessageDecoder.pop_messages`.  The decoders
apply scale factors from DEVICE_INFO and from SET_CONFIG acknowledgements by
themselves, unwrap the 32-bit device clock, and turn sequence gaps into
``SampleBatch.lost_samples``.
"""

from __future__ import annotations

import binascii
import enum
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..types import DecoderStats, SampleBatch
from ._outbox import MessageOutbox
from ._counts import to_int16_counts
from ._cobs import CobsError, cobs_decode, cobs_encode, cobs_max_encoded_length

__all__ = [
    "PROTOCOL_VERSION",
    "PROTOCOL_MINOR",
    "SERVICE_UUID",
    "DATA_CHAR_UUID",
    "CONTROL_CHAR_UUID",
    "HEADER_LENGTH",
    "CRC_LENGTH",
    "MIN_MESSAGE_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "MAX_FRAME_LENGTH",
    "DEFAULT_ACC_SCALE_G",
    "DEFAULT_GYR_SCALE_DPS",
    "FMT_ACCEL",
    "FMT_GYRO",
    "FMT_MAG",
    "FMT_WIDTH_MASK",
    "STATUS_FLAG_FIFO_OVERFLOW",
    "STATUS_FLAG_TX_OVERFLOW",
    "STATUS_FLAG_LOW_BATTERY",
    "BATTERY_UNKNOWN",
    "TEMPERATURE_UNKNOWN",
    "MAX_PING_DATA",
    "MessageType",
    "Opcode",
    "Status",
    "StreamState",
    "ImuModel",
    "Es1FormatError",
    "Message",
    "ImuBatch",
    "StatusReport",
    "Command",
    "Ack",
    "DeviceConfig",
    "DeviceInfo",
    "TimeSyncReply",
    "crc16",
    "cobs_encode",
    "cobs_decode",
    "CobsError",
    "frame_serial",
    "encode_message",
    "encode",
    "encode_imu_batch",
    "encode_status",
    "encode_command",
    "encode_ack",
    "encode_device_info",
    "pack_set_config",
    "pack_start",
    "pack_time_sync",
    "pack_device_config",
    "pack_time_sync_reply",
    "counts_from_physical",
    "max_samples_per_message",
    "parse_message",
    "TimeUnwrapper",
    "Es1MessageDecoder",
    "Es1SerialDecoder",
]

# --------------------------------------------------------------------------- constants

PROTOCOL_VERSION = 1
"""Major version, byte 0 of every message.  Decoders drop other majors."""
PROTOCOL_MINOR = 0
"""Minor version, reported in DEVICE_INFO only (payloads are append-only)."""

# Frozen once (uuid4) for this project; see PROTOCOL.md section "BLE".
SERVICE_UUID = "e7169495-5462-42f9-b227-61e4fbf68717"
DATA_CHAR_UUID = "e7169496-5462-42f9-b227-61e4fbf68717"
CONTROL_CHAR_UUID = "e7169497-5462-42f9-b227-61e4fbf68717"

_HEADER = struct.Struct("<BBHI")
HEADER_LENGTH = _HEADER.size  # 8
CRC_LENGTH = 2
MIN_MESSAGE_LENGTH = HEADER_LENGTH + CRC_LENGTH  # 10
MAX_MESSAGE_LENGTH = 1024
MAX_FRAME_LENGTH = cobs_max_encoded_length(MAX_MESSAGE_LENGTH)  # without the 0x00

DEFAULT_ACC_SCALE_G = 16.0 / 32768.0
"""g per count until DEVICE_INFO or a SET_CONFIG ACK says otherwise (+-16 g, int16)."""
DEFAULT_GYR_SCALE_DPS = 2000.0 / 32768.0
"""deg/s per count until DEVICE_INFO or a SET_CONFIG ACK says otherwise (+-2000 dps)."""

FMT_ACCEL = 0x01
FMT_GYRO = 0x02
FMT_MAG = 0x04  # reserved in v1: no decoder support yet
FMT_WIDTH_MASK = 0x30  # 0 = int16; other widths reserved

STATUS_FLAG_FIFO_OVERFLOW = 0x01
STATUS_FLAG_TX_OVERFLOW = 0x02
STATUS_FLAG_LOW_BATTERY = 0x04
BATTERY_UNKNOWN = 0xFF
TEMPERATURE_UNKNOWN = 0x7FFF  # centi-degrees C
MAX_PING_DATA = 32

_U16 = 0xFFFF
_U32 = 0xFFFFFFFF
_MAX_SEQ_GAP = 0x8000  # larger forward jumps are duplicates/restarts, not losses


class MessageType(enum.IntEnum):
    """Byte 1 of every message."""

    IMU_BATCH = 0x01
    STATUS = 0x02
    COMMAND = 0x10
    ACK = 0x11
    DEVICE_INFO = 0x12


class Opcode(enum.IntEnum):
    """Command opcodes (COMMAND payload byte 1)."""

    GET_INFO = 0x01
    SET_CONFIG = 0x02
    START = 0x03
    STOP = 0x04
    TIME_SYNC = 0x05
    PING = 0x06


class Status(enum.IntEnum):
    """ACK status codes."""

    OK = 0x00
    UNKNOWN_OPCODE = 0x01
    BAD_PARAMETER = 0x02
    INVALID_STATE = 0x03
    NOT_SUPPORTED = 0x04
    BUSY = 0x05
    INTERNAL_ERROR = 0x06


class StreamState(enum.IntEnum):
    IDLE = 0
    STREAMING = 1


class ImuModel(enum.IntEnum):
    UNKNOWN = 0x00
    ICM42688P = 0x01
    BMI270 = 0x02
    MPU6050 = 0x03
    LSM6DS3 = 0x04
    EMULATOR = 0xFE


class Es1FormatError(ValueError):
    """Raised by :func:`parse_message` (never by the decoders).

    ``reason`` is a short key also used in ``DecoderStats.extra``:
    ``"short"``, ``"long"``, ``"crc"``, ``"version"``, ``"unknown_type"``,
    ``"bad_payload"``, ``"unsupported_format"``.
    """

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(f"es1 message rejected ({reason}): {detail}")


# --------------------------------------------------------------------------- messages


@dataclass(frozen=True, kw_only=True)
class Message:
    """Header fields common to every message."""

    seq: int = 0
    device_time_us: int = 0  # as sent: u32, wraps


@dataclass(frozen=True, kw_only=True, eq=False)
class ImuBatch(Message):
    """IMU_BATCH: ``n`` samples of raw int16 counts.

    ``device_time_us`` is the time of the first sample; sample ``i`` is at
    ``device_time_us + i * period_us``.
    """

    fmt: int
    period_us: int
    acc_counts: np.ndarray  # (n, 3) int16
    gyr_counts: np.ndarray | None = None  # (n, 3) int16 when fmt has FMT_GYRO

    def __len__(self) -> int:
        return int(self.acc_counts.shape[0])


@dataclass(frozen=True, kw_only=True)
class StatusReport(Message):
    """STATUS: sent by the device on state changes and about once a second while streaming."""

    state: int
    flags: int = 0
    battery_percent: int = BATTERY_UNKNOWN
    dropped_samples: int = 0  # samples the device itself dropped since START
    temperature_centi_c: int = TEMPERATURE_UNKNOWN


@dataclass(frozen=True, kw_only=True)
class Command(Message):
    """COMMAND (host -> device): ``req_id`` correlates the ACK."""

    req_id: int
    opcode: int
    params: bytes = b""


@dataclass(frozen=True)
class DeviceConfig:
    """The configuration a device applied (in DEVICE_INFO and the SET_CONFIG ACK)."""

    odr_hz: int
    acc_range_g: int
    gyro_range_dps: int
    period_us: int
    acc_scale_g: float  # g per count
    gyr_scale_dps: float  # deg/s per count


@dataclass(frozen=True)
class TimeSyncReply:
    """Data of the ACK to TIME_SYNC: device clock (u64 us) at receive and at send."""

    host_token: int
    t_rx_us: int
    t_tx_us: int


@dataclass(frozen=True, kw_only=True)
class Ack(Message):
    """ACK (device -> host): exactly one per received COMMAND.

    ``data`` is the raw opcode-specific data.  Parsed forms: ``config`` for an
    OK SET_CONFIG, ``time_sync`` for an OK TIME_SYNC.  PING echoes its
    parameters in ``data``.  GET_INFO's ACK is preceded by a DEVICE_INFO
    message.
    """

    req_id: int
    opcode: int
    status: int
    data: bytes = b""
    config: DeviceConfig | None = None
    time_sync: TimeSyncReply | None = None

    @property
    def ok(self) -> bool:
        return self.status == Status.OK


@dataclass(frozen=True, kw_only=True)
class DeviceInfo(Message):
    """DEVICE_INFO: identity, current configuration and scale factors."""

    protocol_major: int = PROTOCOL_VERSION
    protocol_minor: int = PROTOCOL_MINOR
    firmware_version: tuple[int, int, int] = (0, 0, 0)
    imu_model: int = ImuModel.UNKNOWN
    config: DeviceConfig = field(
        default_factory=lambda: DeviceConfig(100, 16, 2000, 10_000, DEFAULT_ACC_SCALE_G, DEFAULT_GYR_SCALE_DPS)
    )
    max_batch: int = 1
    supported_formats: int = FMT_ACCEL | FMT_GYRO
    device_id: int = 0


# --------------------------------------------------------------------------- layouts

_CONFIG = struct.Struct("<HBHIff")  # 17 bytes
_INFO_HEAD = struct.Struct("<BBBBBB")  # proto maj/min, fw maj/min/patch, imu model
_INFO_TAIL = struct.Struct("<BBQ")  # max_batch, supported_formats, device_id
DEVICE_INFO_LENGTH = _INFO_HEAD.size + _CONFIG.size + _INFO_TAIL.size  # 33
_BATCH_HEAD = struct.Struct("<BBH")  # n, fmt, period_us
_STATUS = struct.Struct("<BBBIh")  # 9 bytes
_CMD_HEAD = struct.Struct("<BB")  # req_id, opcode
_ACK_HEAD = struct.Struct("<BBB")  # req_id, opcode, status
_SET_CONFIG = struct.Struct("<HBH")  # odr_hz, acc_range_g, gyro_range_dps (0 = keep)
_TIME_SYNC = struct.Struct("<I")
_TIME_SYNC_REPLY = struct.Struct("<IQQ")


# --------------------------------------------------------------------------- encoder


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xorout)."""
    return binascii.crc_hqx(data, 0xFFFF)


def frame_serial(message: bytes) -> bytes:
    """Serial frame of one encoded message: ``b"\\x00" + COBS(message) + b"\\x00"``.

    The leading delimiter is what lets a receiver recover the frame after line
    noise: garbage since the previous delimiter ends at it instead of being
    glued to the frame.  Back-to-back frames thus carry ``00 00`` between
    them, which receivers read as an empty frame and ignore.
    """
    return b"\x00" + cobs_encode(message) + b"\x00"


def encode_message(
    msg_type: int, payload: bytes, *, seq: int, device_time_us: int, version: int = PROTOCOL_VERSION
) -> bytes:
    """Header + payload + CRC.  ``seq`` and ``device_time_us`` are taken modulo 2**16 / 2**32."""
    body = _HEADER.pack(version & 0xFF, msg_type & 0xFF, seq & _U16, device_time_us & _U32) + bytes(payload)
    if len(body) + CRC_LENGTH > MAX_MESSAGE_LENGTH:
        raise ValueError(f"es1 message of {len(body) + CRC_LENGTH} bytes exceeds {MAX_MESSAGE_LENGTH}")
    return body + crc16(body).to_bytes(2, "little")


def max_samples_per_message(max_message_bytes: int, *, gyro: bool = True) -> int:
    """How many samples fit in one message of at most ``max_message_bytes``.

    For BLE pass ``ATT_MTU - 3`` (e.g. 244 -> 19 six-axis samples).
    """
    per_sample = 12 if gyro else 6
    room = min(max_message_bytes, MAX_MESSAGE_LENGTH) - MIN_MESSAGE_LENGTH - _BATCH_HEAD.size
    return max(0, min(255, room // per_sample))


def encode_imu_batch(
    acc_counts: np.ndarray,
    gyr_counts: np.ndarray | None = None,
    *,
    seq: int,
    device_time_us: int,
    period_us: int,
) -> bytes:
    """IMU_BATCH from int16 counts, ``acc_counts`` (n, 3) and optional ``gyr_counts`` (n, 3)."""
    acc = np.asarray(acc_counts).reshape(-1, 3).astype("<i2")
    fmt = FMT_ACCEL
    samples = acc
    if gyr_counts is not None:
        gyr = np.asarray(gyr_counts).reshape(-1, 3).astype("<i2")
        if gyr.shape != acc.shape:
            raise ValueError("acc_counts and gyr_counts must have the same shape")
        fmt |= FMT_GYRO
        samples = np.concatenate([acc, gyr], axis=1)
    n = acc.shape[0]
    if n > 255:
        raise ValueError("an IMU_BATCH holds at most 255 samples")
    payload = _BATCH_HEAD.pack(n, fmt, period_us & _U16) + np.ascontiguousarray(samples).tobytes()
    return encode_message(MessageType.IMU_BATCH, payload, seq=seq, device_time_us=device_time_us)


def encode_status(
    state: int,
    *,
    seq: int,
    device_time_us: int,
    flags: int = 0,
    battery_percent: int = BATTERY_UNKNOWN,
    dropped_samples: int = 0,
    temperature_centi_c: int = TEMPERATURE_UNKNOWN,
) -> bytes:
    """STATUS message."""
    payload = _STATUS.pack(state, flags, battery_percent, dropped_samples & _U32, temperature_centi_c)
    return encode_message(MessageType.STATUS, payload, seq=seq, device_time_us=device_time_us)


def encode_command(
    opcode: int, params: bytes = b"", *, req_id: int, seq: int = 0, device_time_us: int = 0
) -> bytes:
    """COMMAND message (host -> device).  Build ``params`` with the ``pack_*`` helpers."""
    payload = _CMD_HEAD.pack(req_id & 0xFF, opcode & 0xFF) + bytes(params)
    return encode_message(MessageType.COMMAND, payload, seq=seq, device_time_us=device_time_us)


def encode_ack(
    req_id: int, opcode: int, status: int, data: bytes = b"", *, seq: int, device_time_us: int
) -> bytes:
    """ACK message (device -> host)."""
    payload = _ACK_HEAD.pack(req_id & 0xFF, opcode & 0xFF, status & 0xFF) + bytes(data)
    return encode_message(MessageType.ACK, payload, seq=seq, device_time_us=device_time_us)


def encode_device_info(info: DeviceInfo) -> bytes:
    """DEVICE_INFO message from a :class:`DeviceInfo` (its ``seq``/``device_time_us`` go in the header)."""
    major, minor, patch = info.firmware_version
    payload = (
        _INFO_HEAD.pack(info.protocol_major, info.protocol_minor, major, minor, patch, info.imu_model)
        + pack_device_config(info.config)
        + _INFO_TAIL.pack(info.max_batch, info.supported_formats, info.device_id)
    )
    return encode_message(MessageType.DEVICE_INFO, payload, seq=info.seq, device_time_us=info.device_time_us)


def encode(message: Message) -> bytes:
    """Encode any parsed message object back to bytes (inverse of :func:`parse_message`)."""
    if isinstance(message, ImuBatch):
        return encode_imu_batch(
            message.acc_counts,
            message.gyr_counts,
            seq=message.seq,
            device_time_us=message.device_time_us,
            period_us=message.period_us,
        )
    if isinstance(message, StatusReport):
        return encode_status(
            message.state,
            seq=message.seq,
            device_time_us=message.device_time_us,
            flags=message.flags,
            battery_percent=message.battery_percent,
            dropped_samples=message.dropped_samples,
            temperature_centi_c=message.temperature_centi_c,
        )
    if isinstance(message, Command):
        return encode_command(
            message.opcode, message.params, req_id=message.req_id, seq=message.seq,
            device_time_us=message.device_time_us,
        )
    if isinstance(message, Ack):
        return encode_ack(
            message.req_id, message.opcode, message.status, message.data, seq=message.seq,
            device_time_us=message.device_time_us,
        )
    if isinstance(message, DeviceInfo):
        return encode_device_info(message)
    raise TypeError(f"cannot encode {type(message).__name__}")


def pack_set_config(odr_hz: int = 0, acc_range_g: int = 0, gyro_range_dps: int = 0) -> bytes:
    """SET_CONFIG parameters; 0 keeps the current value."""
    return _SET_CONFIG.pack(odr_hz, acc_range_g, gyro_range_dps)


def pack_start(stream_format: int = FMT_ACCEL | FMT_GYRO) -> bytes:
    """START parameters: the ``FMT_*`` bits wanted in IMU_BATCH."""
    return bytes([stream_format & 0xFF])


def pack_time_sync(host_token: int) -> bytes:
    """TIME_SYNC parameters: a host token (u32) echoed in the reply."""
    return _TIME_SYNC.pack(host_token & _U32)


def pack_device_config(config: DeviceConfig) -> bytes:
    """17-byte applied-configuration block (SET_CONFIG ACK data; inside DEVICE_INFO)."""
    return _CONFIG.pack(
        config.odr_hz, config.acc_range_g, config.gyro_range_dps, config.period_us & _U32,
        config.acc_scale_g, config.gyr_scale_dps,
    )


def pack_time_sync_reply(reply: TimeSyncReply) -> bytes:
    """TIME_SYNC ACK data: host token u32, t_rx_us u64, t_tx_us u64."""
    return _TIME_SYNC_REPLY.pack(reply.host_token & _U32, reply.t_rx_us, reply.t_tx_us)


counts_from_physical = to_int16_counts
"""Physical values (g or deg/s) to int16 counts for a scale; for emulators."""


# --------------------------------------------------------------------------- parser


def _parse_config(buf: bytes) -> DeviceConfig:
    odr, acc_range, gyro_range, period, acc_scale, gyr_scale = _CONFIG.unpack_from(buf)
    return DeviceConfig(odr, acc_range, gyro_range, period, acc_scale, gyr_scale)


def parse_message(data: bytes) -> Message:
    """Check and parse one complete message (header + payload + CRC).

    Payloads longer than this version knows are accepted and the extra bytes
    ignored (append-only rule).

    Raises
    ------
    Es1FormatError
        With ``reason`` naming the check that failed.
    """
    data = bytes(data)
    if len(data) < MIN_MESSAGE_LENGTH:
        raise Es1FormatError("short", f"{len(data)} bytes, need at least {MIN_MESSAGE_LENGTH}")
    if len(data) > MAX_MESSAGE_LENGTH:
        raise Es1FormatError("long", f"{len(data)} bytes, limit {MAX_MESSAGE_LENGTH}")
    body, crc = data[:-CRC_LENGTH], int.from_bytes(data[-CRC_LENGTH:], "little")
    if crc16(body) != crc:
        raise Es1FormatError("crc", f"CRC 0x{crc:04X} != computed 0x{crc16(body):04X}")
    version, msg_type, seq, t_us = _HEADER.unpack_from(body)
    if version != PROTOCOL_VERSION:
        raise Es1FormatError("version", f"protocol major {version}, this host speaks {PROTOCOL_VERSION}")
    payload = body[HEADER_LENGTH:]
    head = {"seq": seq, "device_time_us": t_us}
    try:
        if msg_type == MessageType.IMU_BATCH:
            return _parse_imu_batch(payload, head)
        if msg_type == MessageType.STATUS:
            state, flags, battery, dropped, temp = _STATUS.unpack_from(payload)
            return StatusReport(
                state=state, flags=flags, battery_percent=battery, dropped_samples=dropped,
                temperature_centi_c=temp, **head,
            )
        if msg_type == MessageType.COMMAND:
            req_id, opcode = _CMD_HEAD.unpack_from(payload)
            return Command(req_id=req_id, opcode=opcode, params=payload[_CMD_HEAD.size :], **head)
        if msg_type == MessageType.ACK:
            return _parse_ack(payload, head)
        if msg_type == MessageType.DEVICE_INFO:
            return _parse_device_info(payload, head)
    except struct.error as exc:
        raise Es1FormatError("bad_payload", f"type 0x{msg_type:02X} payload of {len(payload)} bytes: {exc}") from None
    raise Es1FormatError("unknown_type", f"message type 0x{msg_type:02X}")


def _parse_imu_batch(payload: bytes, head: dict) -> ImuBatch:
    n, fmt, period_us = _BATCH_HEAD.unpack_from(payload)
    if not fmt & FMT_ACCEL or fmt & (FMT_MAG | FMT_WIDTH_MASK):
        raise Es1FormatError("unsupported_format", f"IMU_BATCH format bits 0x{fmt:02X}")
    channels = 6 if fmt & FMT_GYRO else 3
    need = _BATCH_HEAD.size + 2 * channels * n
    if len(payload) < need:
        raise Es1FormatError("bad_payload", f"IMU_BATCH of {n} samples needs {need} payload bytes, got {len(payload)}")
    counts = np.frombuffer(payload, dtype="<i2", count=n * channels, offset=_BATCH_HEAD.size)
    counts = counts.reshape(n, channels).astype(np.int16)
    gyr = counts[:, 3:6] if channels == 6 else None
    return ImuBatch(fmt=fmt, period_us=period_us, acc_counts=counts[:, 0:3], gyr_counts=gyr, **head)


def _parse_ack(payload: bytes, head: dict) -> Ack:
    req_id, opcode, status = _ACK_HEAD.unpack_from(payload)
    data = payload[_ACK_HEAD.size :]
    config = time_sync = None
    if status == Status.OK and opcode == Opcode.SET_CONFIG:
        config = _parse_config(data)
    elif status == Status.OK and opcode == Opcode.TIME_SYNC:
        time_sync = TimeSyncReply(*_TIME_SYNC_REPLY.unpack_from(data))
    return Ack(req_id=req_id, opcode=opcode, status=status, data=data, config=config, time_sync=time_sync, **head)


def _parse_device_info(payload: bytes, head: dict) -> DeviceInfo:
    p_major, p_minor, fw_major, fw_minor, fw_patch, model = _INFO_HEAD.unpack_from(payload)
    config = _parse_config(payload[_INFO_HEAD.size :])
    max_batch, formats, device_id = _INFO_TAIL.unpack_from(payload, _INFO_HEAD.size + _CONFIG.size)
    return DeviceInfo(
        protocol_major=p_major, protocol_minor=p_minor, firmware_version=(fw_major, fw_minor, fw_patch),
        imu_model=model, config=config, max_batch=max_batch, supported_formats=formats,
        device_id=device_id, **head,
    )


# --------------------------------------------------------------------------- decoders


class TimeUnwrapper:
    """Turn the u32 microsecond device clock into a non-wrapping integer.

    Each value is placed within +-2**31 us (about 35.8 min) of the previous
    one, so messages may arrive slightly out of time order (an ACK stamped at
    send time after a batch stamped at its first sample) and the clock may
    wrap any number of times, as long as consecutive messages are less than
    35 minutes apart.  The first value is returned unchanged.
    """

    def __init__(self) -> None:
        self._last: int | None = None

    def unwrap(self, t_us: int) -> int:
        t_us &= _U32
        if self._last is None:
            self._last = t_us
            return t_us
        delta = (t_us - self._last) & _U32
        if delta >= 0x8000_0000:
            delta -= 0x1_0000_0000
        self._last += delta
        return self._last


MessageCallback = Callable[[Message], None]


class Es1MessageDecoder:
    """Decoder for whole es1 messages, one per :meth:`feed` call (BLE notifications).

    Parameters
    ----------
    on_message
        Called synchronously, inside :meth:`feed`, with every valid message
        that carries no samples (:class:`Ack`, :class:`DeviceInfo`,
        :class:`StatusReport`, :class:`Command`).  An adapter typically puts
        them on an ``asyncio.Queue``.  Without a callback they are kept (up to
        ``max_pending``, oldest dropped) for :meth:`pop_messages`.
    max_pending
        Bound of the internal message queue.

    Attributes
    ----------
    stats
        :class:`DecoderStats`.  ``extra`` keys: ``crc`` is mirrored in
        ``checksum_errors``; ``short``, ``long``, ``version``,
        ``unknown_type``, ``bad_payload``, ``unsupported_format``,
        ``cobs`` (serial only), ``lost_messages`` (sequence gaps),
        ``seq_discontinuities`` (backwards/duplicate sequence numbers),
        ``stream_starts`` (START acknowledged).
    device_info
        The last :class:`DeviceInfo` seen, or ``None``.
    config
        The configuration in force (from DEVICE_INFO or a SET_CONFIG ACK), or ``None``.
    acc_scale_g, gyr_scale_dps
        Scale factors applied to counts (defaults :data:`DEFAULT_ACC_SCALE_G`,
        :data:`DEFAULT_GYR_SCALE_DPS` until the device reports its own).
    """

    def __init__(self, on_message: MessageCallback | None = None, *, max_pending: int = 256) -> None:
        self.stats = DecoderStats()
        self.device_info: DeviceInfo | None = None
        self.config: DeviceConfig | None = None
        self.acc_scale_g = DEFAULT_ACC_SCALE_G
        self.gyr_scale_dps = DEFAULT_GYR_SCALE_DPS
        self._outbox: MessageOutbox = MessageOutbox(on_message, max_pending)
        self._clock = TimeUnwrapper()
        self._last_seq: int | None = None
        self._next_sample_us: int | None = None  # unwrapped time the next batch should start at
        self._last_batch_size = 0
        # Messages lost since the last sample batch; a gap that ends on a STATUS
        # or ACK still means samples may be missing before the next batch.
        self._pending_gap = 0

    # ---- public
    def feed(self, data: bytes) -> list[SampleBatch]:
        """Decode one complete message.  Returns ``[]`` or one :class:`SampleBatch`."""
        data = bytes(data)
        self.stats.bytes_in += len(data)
        batch = self._handle_message(data)
        return [] if batch is None else [batch]

    def pop_messages(self) -> list[Message]:
        """Return and forget the non-sample messages queued since the last call."""
        return self._outbox.pop_all()

    def reset_stream(self) -> None:
        """Forget sequence and timing state (e.g. after reconnecting); keeps scales and stats."""
        self._last_seq = None
        self._next_sample_us = None
        self._pending_gap = 0

    # ---- internals shared with the serial decoder
    def _count(self, key: str, n: int = 1) -> None:
        self.stats.extra[key] = self.stats.extra.get(key, 0) + n

    def _handle_message(self, data: bytes) -> SampleBatch | None:
        """Parse, account, and dispatch one message; the bytes are counted by the caller."""
        try:
            message = parse_message(data)
        except Es1FormatError as exc:
            if exc.reason == "crc":
                self.stats.checksum_errors += 1
            else:
                self._count(exc.reason)
            self.stats.bytes_skipped += len(data)
            return None
        self.stats.messages_ok += 1
        if isinstance(message, Ack) and message.ok and message.opcode == Opcode.START:
            # The device restarts its counter at START and sends this ACK with the new seq.
            self._last_seq = None
        seq_gap = self._track_seq(message.seq) + self._pending_gap
        if isinstance(message, ImuBatch):
            self._pending_gap = 0
            return self._to_batch(message, seq_gap)
        self._pending_gap = seq_gap
        self.stats.other_messages += 1
        self._clock.unwrap(message.device_time_us)
        self._apply(message)
        self._outbox.deliver(message)
        return None

    def _track_seq(self, seq: int) -> int:
        gap = 0
        if self._last_seq is not None:
            forward = (seq - self._last_seq - 1) & _U16
            if forward < _MAX_SEQ_GAP:
                gap = forward
                if gap:
                    self._count("lost_messages", gap)
            else:
                self._count("seq_discontinuities")
        self._last_seq = seq
        return gap

    def _apply(self, message: Message) -> None:
        if isinstance(message, DeviceInfo):
            self.device_info = message
            self._set_config(message.config)
        elif isinstance(message, Ack) and message.ok:
            if message.config is not None:
                self._set_config(message.config)
            elif message.opcode == Opcode.START:
                self._count("stream_starts")
                self._next_sample_us = None
                self._pending_gap = 0

    def _set_config(self, config: DeviceConfig) -> None:
        self.config = config
        # A device reporting a zero or non-finite scale would turn data into garbage; keep the old one.
        if np.isfinite(config.acc_scale_g) and config.acc_scale_g > 0:
            self.acc_scale_g = float(config.acc_scale_g)
        if np.isfinite(config.gyr_scale_dps) and config.gyr_scale_dps > 0:
            self.gyr_scale_dps = float(config.gyr_scale_dps)

    def _to_batch(self, message: ImuBatch, seq_gap: int) -> SampleBatch:
        n = len(message)
        t0 = self._clock.unwrap(message.device_time_us)
        lost = 0
        if seq_gap:
            if self._next_sample_us is not None and message.period_us > 0:
                lost = max(0, round((t0 - self._next_sample_us) / message.period_us))
                # A clock jump (device reset) must not invent more than the lost messages could hold.
                lost = min(lost, seq_gap * 255)
            else:
                lost = seq_gap * self._last_batch_size
        self._next_sample_us = t0 + n * message.period_us
        self._last_batch_size = n
        time_s = (t0 + np.arange(n, dtype=np.int64) * message.period_us) * 1e-6
        acc = message.acc_counts.astype(float) * self.acc_scale_g
        gyr = None if message.gyr_counts is None else message.gyr_counts.astype(float) * self.gyr_scale_dps
        self.stats.samples_out += n
        self.stats.lost_samples += lost
        return SampleBatch(device_time_s=time_s, acc_g=acc, gyr_dps=gyr, seq=message.seq, lost_samples=lost)


class Es1SerialDecoder(Es1MessageDecoder):
    """Decoder for an es1 serial byte stream: ``COBS(message) 0x00`` frames, any split.

    Bytes before the first delimiter (a partial frame after opening the port)
    and any frame that fails COBS, length or CRC checks are dropped and
    counted in ``stats.bytes_skipped`` (including their delimiter); decoding
    resumes at the next ``0x00``.  Empty frames (repeated ``0x00``) are
    legal padding and not counted.  A run of more than :data:`MAX_FRAME_LENGTH`
    bytes without a delimiter is dropped as it arrives, so memory stays bounded.
    Same ``on_message`` / :meth:`pop_messages` interface as :class:`Es1MessageDecoder`.
    """

    def __init__(self, on_message: MessageCallback | None = None, *, max_pending: int = 256) -> None:
        super().__init__(on_message, max_pending=max_pending)
        self._buffer = bytearray()
        self._discarding = False  # inside an over-long frame: drop until the next 0x00

    def feed(self, data: bytes) -> list[SampleBatch]:
        """Consume stream bytes; return one :class:`SampleBatch` per complete IMU_BATCH frame."""
        data = bytes(data)
        self.stats.bytes_in += len(data)
        self._buffer += data
        batches: list[SampleBatch] = []
        start = 0
        buf = self._buffer
        while True:
            end = buf.find(0, start)
            if end < 0:
                break
            frame = bytes(buf[start:end])
            start = end + 1
            if self._discarding:
                self._discarding = False
                self.stats.bytes_skipped += len(frame) + 1
                continue
            if not frame:
                continue
            batch = self._handle_frame(frame)
            if batch is not None:
                batches.append(batch)
        del buf[:start]
        if len(buf) > MAX_FRAME_LENGTH:
            self.stats.bytes_skipped += len(buf)
            self._count("long")
            buf.clear()
            self._discarding = True
        elif self._discarding and buf:
            self.stats.bytes_skipped += len(buf)
            buf.clear()
        return batches

    def _handle_frame(self, frame: bytes) -> SampleBatch | None:
        if len(frame) > MAX_FRAME_LENGTH:
            self._count("long")
            self.stats.bytes_skipped += len(frame) + 1
            return None
        try:
            message = cobs_decode(frame)
        except CobsError:
            self._count("cobs")
            self.stats.bytes_skipped += len(frame) + 1
            return None
        skipped_before = self.stats.bytes_skipped
        batch = self._handle_message(message)
        if self.stats.bytes_skipped != skipped_before:
            # _handle_message counted the decoded length; count the wire bytes instead.
            self.stats.bytes_skipped += (len(frame) + 1) - len(message)
        return batch
