"""The host side of the es1 command exchange, shared by the serial and BLE sources.

GET_INFO, SET_CONFIG and START are sent with fresh request ids and retried
when no ACK arrives in time; data is accepted only once START is
acknowledged (a device must not stream before, and anything it sends before
belongs to no recording).  STOP is sent, best effort, on close.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Awaitable, Callable

from .codecs import es1
from .errors import DeviceNotRespondingError, DeviceProtocolError

__all__ = ["Es1Control"]

#: Sample formats we ask for in START.
STREAM_FORMAT = es1.FMT_ACCEL | es1.FMT_GYRO


class Es1Control:
    """Send es1 commands and match their acknowledgements.

    Parameters
    ----------
    send
        Coroutine function sending one encoded message (the transport adds
        framing: COBS on serial, one write per message on BLE).
    where
        Device description for messages (``"serial:/dev/ttyUSB0"``).
    timeout_s, retries
        How long to wait for each ACK, and how many times to send a command.

    Use :meth:`on_message` as the decoder's ``on_message`` callback.
    """

    def __init__(
        self,
        send: Callable[[bytes], Awaitable[None]],
        *,
        where: str,
        timeout_s: float = 0.5,
        retries: int = 3,
        hint: str = "",
    ) -> None:
        self._send = send
        self.where = where
        self.timeout_s = timeout_s
        self.retries = retries
        self.hint = hint
        self.streaming = False
        self.device_info: es1.DeviceInfo | None = None
        self.config: es1.DeviceConfig | None = None
        self._req_ids = itertools.cycle(range(1, 256))
        self._tx_seq = itertools.count()
        self._replies: asyncio.Queue[es1.Message] = asyncio.Queue()
        self._start_ids: set[int] = set()

    def on_message(self, message: es1.Message) -> None:
        """Decoder callback: runs inside ``feed`` (so before the batches of the same read)."""
        if isinstance(message, es1.DeviceInfo):
            self.device_info = message
            self.config = message.config
        if isinstance(message, es1.Ack) and message.opcode == es1.Opcode.START and message.req_id in self._start_ids:
            # Accept the very next batch, even one decoded from the same read.
            self.streaming = message.ok or message.status == es1.Status.INVALID_STATE
        if isinstance(message, es1.Ack):
            self._replies.put_nowait(message)

    async def command(self, opcode: es1.Opcode, params: bytes = b"") -> es1.Ack:
        """Send ``opcode`` until acknowledged; raise a :class:`DeviceError` otherwise."""
        for attempt in range(self.retries):
            req_id = next(self._req_ids)
            if opcode == es1.Opcode.START:
                self._start_ids.add(req_id)
            message = es1.encode_command(opcode, params, req_id=req_id, seq=next(self._tx_seq))
            await self._send(message)
            ack = await self._wait_ack(req_id, opcode)
            if ack is None:
                continue
            if ack.ok:
                return ack
            if attempt > 0 and opcode in (es1.Opcode.START, es1.Opcode.STOP) and ack.status == es1.Status.INVALID_STATE:
                # Our first try was executed but its ACK was lost: already in that state.
                return ack
            raise DeviceProtocolError(
                f"{self.where}: the device refused {opcode.name} ({_status_name(ack.status)})"
            )
        raise DeviceNotRespondingError(
            f"{self.where}: the device does not answer {opcode.name} "
            f"({self.retries} tries, {self.timeout_s:g} s each){self.hint}"
        )

    async def _wait_ack(self, req_id: int, opcode: int) -> es1.Ack | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        while True:
            left = deadline - loop.time()
            if left <= 0:
                return None
            try:
                reply = await asyncio.wait_for(self._replies.get(), left)
            except asyncio.TimeoutError:
                return None
            if isinstance(reply, es1.Ack) and reply.req_id == req_id and reply.opcode == opcode:
                return reply

    async def start(self, *, odr_hz: float | None = None) -> None:
        """GET_INFO, SET_CONFIG (when ``odr_hz`` is given), START."""
        self.streaming = False
        await self.command(es1.Opcode.GET_INFO)
        if self.device_info is None:
            raise DeviceProtocolError(f"{self.where}: the device acknowledged GET_INFO without sending DEVICE_INFO")
        if odr_hz:
            ack = await self.command(es1.Opcode.SET_CONFIG, es1.pack_set_config(odr_hz=int(round(odr_hz))))
            if ack.config is not None:
                self.config = ack.config
        await self.command(es1.Opcode.START, es1.pack_start(STREAM_FORMAT & self.device_info.supported_formats))
        self.streaming = True

    @property
    def has_gyroscope(self) -> bool:
        """Whether the device said it can stream angular rate."""
        return self.device_info is None or bool(self.device_info.supported_formats & es1.FMT_GYRO)

    async def stop(self) -> None:
        """STOP, best effort (the device may already be gone)."""
        self.streaming = False
        try:
            await self.command(es1.Opcode.STOP)
        except Exception:  # noqa: BLE001 - closing must not fail because the device is gone
            pass

    def describe(self) -> dict[str, str]:
        """Device metadata for the recording header."""
        out: dict[str, str] = {}
        info = self.device_info
        if info is not None:
            out["device"] = f"es1 {_imu_name(info.imu_model)} id {info.device_id:016x}"
            out["firmware"] = ".".join(str(v) for v in info.firmware_version)
            out["protocol_version"] = f"{info.protocol_major}.{info.protocol_minor}"
        config = self.config
        if config is not None:
            out["sample_rate_hz"] = f"{config.odr_hz:g}"
            out["acc_range_g"] = str(config.acc_range_g)
            out["gyro_range_dps"] = str(config.gyro_range_dps)
        return out


def _status_name(status: int) -> str:
    try:
        return es1.Status(status).name
    except ValueError:
        return f"status 0x{status:02X}"


def _imu_name(model: int) -> str:
    try:
        return es1.ImuModel(model).name
    except ValueError:
        return f"imu 0x{model:02X}"
