"""Serial-port sources: es1 devices (USB-CDC/UART) and WitMotion serial IMUs.

pyserial is imported only when a serial source is opened (extra
``eccentric-sense[serial]``).  A reader thread blocks on the port and hands
the bytes to the event loop; decoding and everything else happens there.
When the port fails (cable pulled, device reset) the gap is recorded and the
port is reopened with back-off until ``reconnect_timeout_s``; then the
stream ends cleanly.
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import threading
import time
from typing import Any

from .codecs import es1, witmotion
from .codecs.es1 import Es1SerialDecoder
from .codecs.witmotion_serial import WitmotionSerialDecoder
from .errors import (
    DeviceError,
    DeviceNotFoundError,
    DevicePermissionError,
    MissingDependencyError,
)
from .es1_control import Es1Control
from .source import Source, requested_rate

__all__ = ["SerialSource", "DEFAULT_BAUDRATE", "DEFAULT_WITMOTION_RATE_HZ"]

#: Default baud rates: es1 over USB-CDC ignores it; WitMotion needs >= 115200 at 200 Hz.
DEFAULT_BAUDRATE = {"es1": 921600, "witmotion": 115200}
#: WitMotion output rate we configure unless told otherwise (its fastest).
DEFAULT_WITMOTION_RATE_HZ = 200.0
#: What we ask a WitMotion device to send: acceleration and angular rate only.
WITMOTION_CONTENT = witmotion.ContentBit.ACC | witmotion.ContentBit.GYRO

_READ_TIMEOUT_S = 0.05
_BACKOFF_S = (0.2, 0.5, 1.0, 2.0)


def _import_serial() -> Any:
    try:
        import serial  # noqa: PLC0415 - optional dependency, imported on use
    except ImportError:
        raise MissingDependencyError("pyserial", "serial") from None
    return serial


class SerialSource(Source):
    """A sensor on a serial port.

    Parameters
    ----------
    port
        Device path (``/dev/ttyUSB0``, ``/dev/tty.usbserial-1410``, ``COM3``).
    protocol
        ``"es1"`` or ``"witmotion"``.
    baudrate
        Port speed (default :data:`DEFAULT_BAUDRATE` for the protocol).
    sample_rate_hz
        Output rate to configure; es1 keeps the device's current rate when
        ``None``; WitMotion defaults to 200 Hz.
    reconnect_timeout_s
        How long to try reopening a port that failed before ending the stream.
    command_timeout_s, command_retries
        es1 command acknowledgement timeout and number of tries.
    first_data_timeout_s
        WitMotion (which acknowledges nothing): how long to wait for the
        first valid packet before saying the device does not answer.
    """

    transport = "serial"

    def __init__(
        self,
        port: str,
        *,
        protocol: str,
        baudrate: int | None = None,
        sample_rate_hz: float | None = None,
        reconnect_timeout_s: float = 10.0,
        command_timeout_s: float = 0.5,
        command_retries: int = 3,
        first_data_timeout_s: float = 5.0,
        **ignored: object,
    ) -> None:
        if protocol not in ("es1", "witmotion"):
            raise DeviceError(f"serial:{port}: protocol '{protocol}' is not available over serial (use es1 or witmotion)")
        super().__init__(f"serial:{port}", protocol=protocol)
        self.port = port
        self.baudrate = int(baudrate or DEFAULT_BAUDRATE[protocol])
        self.requested_rate_hz = requested_rate(protocol, sample_rate_hz, DEFAULT_WITMOTION_RATE_HZ)
        self.reconnect_timeout_s = reconnect_timeout_s
        self.command_timeout_s = command_timeout_s
        self.command_retries = command_retries
        self.first_data_timeout_s = first_data_timeout_s
        self._serial_module: Any = None
        self._port: Any = None
        self._reader: threading.Thread | None = None
        self._reader_stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._decoder: Any = None
        self._control: Es1Control | None = None
        self._closing = False
        self._reconnect_task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def _start(self) -> None:
        self._serial_module = _import_serial()
        self._loop = asyncio.get_running_loop()
        await self._connect()

    async def _stop(self) -> None:
        self._closing = True
        if self._reconnect_task is not None and not self._reconnect_task.done():
            self._reconnect_task.cancel()
            try:
                await self._reconnect_task
            except (asyncio.CancelledError, DeviceError):
                pass
        if self._control is not None and self._port is not None:
            await self._control.stop()
        await self._close_port()

    async def _connect(self) -> None:
        """Open the port, start the reader, configure the device and start streaming."""
        self._port = await asyncio.to_thread(self._open_port)
        if self.protocol == "es1":
            if self._decoder is None:
                self._control = Es1Control(
                    self._write_message, where=self.uri, timeout_s=self.command_timeout_s,
                    retries=self.command_retries,
                    hint=f"; is it an es1 device, and is {self.baudrate} baud right (--baud)?",
                )
                self._decoder = Es1SerialDecoder(on_message=self._control.on_message)
                self._use_decoder_stats(self._decoder.stats)
            else:
                # Same decoder after a reconnect: its clock unwrapping carries on
                # (so the gap shows in device time); the sequence starts afresh.
                self._decoder.reset_stream()
        else:
            self._decoder = WitmotionSerialDecoder()
            self._use_decoder_stats(self._decoder.stats)
        self._start_reader()
        try:
            if self._control is not None:
                await self._control.start(odr_hz=self.requested_rate_hz)
                self.device_info = self._control.describe()
                self.has_gyroscope = self._control.has_gyroscope
                rate = self.device_info.get("sample_rate_hz")
                self.sample_rate_hz = float(rate) if rate else self.requested_rate_hz
            else:
                await self._configure_witmotion()
        except BaseException:
            await self._close_port()
            raise

    async def _configure_witmotion(self) -> None:
        # Unlock, choose acc+gyro packets and the rate; no save (leave the
        # device's flash alone), so a power cycle restores the user's settings.
        for command in witmotion.configure_commands(
            rate_hz=self.requested_rate_hz, content=WITMOTION_CONTENT, save=False
        ):
            await self._write_bytes(command)
            await asyncio.sleep(witmotion.COMMAND_PAUSE_S)
        self.sample_rate_hz = self.requested_rate_hz
        self.device_info = {"device": "WitMotion (serial)", "sample_rate_hz": f"{self.sample_rate_hz:g}"}
        await self._await_first_message(
            self._decoder, self.first_data_timeout_s,
            hint=f"is it a WitMotion sensor, switched on, and is {self.baudrate} baud right (--baud; "
            "WitMotion ships with 9600 or 115200)?",
        )

    def _open_port(self) -> Any:
        serial = self._serial_module
        try:
            port = serial.Serial(self.port, baudrate=self.baudrate, timeout=_READ_TIMEOUT_S, write_timeout=2.0)
        except serial.SerialException as exc:
            raise _port_error(self.uri, exc) from None
        except (ValueError, OSError) as exc:
            raise DeviceError(f"{self.uri}: cannot open the port: {exc}") from None
        return port

    async def _close_port(self) -> None:
        self._reader_stop.set()
        port, self._port = self._port, None
        if port is not None:
            try:
                port.cancel_read()
            except Exception:  # noqa: BLE001 - not available on every platform
                pass
        reader, self._reader = self._reader, None
        if reader is not None:
            await asyncio.to_thread(reader.join, 2.0)
        if port is not None:
            try:
                port.close()
            except Exception:  # noqa: BLE001 - the port may already be gone
                pass

    # ------------------------------------------------------------------ I/O
    def _start_reader(self) -> None:
        self._reader_stop = threading.Event()
        self._reader = threading.Thread(
            target=self._read_forever, args=(self._port, self._reader_stop), name=f"read {self.port}", daemon=True
        )
        self._reader.start()

    def _read_forever(self, port: Any, stop: threading.Event) -> None:
        loop = self._loop
        assert loop is not None
        while not stop.is_set():
            try:
                data = port.read(1)
                if data and port.in_waiting:
                    data += port.read(port.in_waiting)
            except Exception as exc:  # noqa: BLE001 - any failure means the port is gone
                if not stop.is_set():
                    loop.call_soon_threadsafe(self._on_port_lost, str(exc))
                return
            if data:
                loop.call_soon_threadsafe(self._on_bytes, data, time.monotonic())

    def _on_bytes(self, data: bytes, host_time: float) -> None:
        decoder = self._decoder
        if decoder is None:
            return
        batches = decoder.feed(data)
        self._deliver_decoded(batches, host_time, accepting=self._control is None or self._control.streaming)

    async def _write_bytes(self, data: bytes) -> None:
        port = self._port
        if port is None:
            return
        serial = self._serial_module
        try:
            await asyncio.to_thread(port.write, data)
        except (serial.SerialException, OSError) as exc:
            raise DeviceError(f"{self.uri}: writing to the port failed: {exc}") from None

    async def _write_message(self, message: bytes) -> None:
        await self._write_bytes(es1.frame_serial(message))

    # ------------------------------------------------------------------ reconnection
    def _on_port_lost(self, reason: str) -> None:
        if self._closing or self.ended:
            return
        if self._reconnect_task is not None and not self._reconnect_task.done():
            return  # lost again while reconnecting: that attempt fails and is retried
        self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect(reason))

    async def _reconnect(self, reason: str) -> None:
        gap = self._begin_gap(f"port error: {reason}")
        await self._close_port()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reconnect_timeout_s
        for attempt in itertools.count():
            await asyncio.sleep(_BACKOFF_S[min(attempt, len(_BACKOFF_S) - 1)])
            if self._closing:
                return
            if loop.time() > deadline:
                break
            try:
                await self._connect()
            except DeviceError:
                continue
            self._end_gap(gap)
            return
        self._end()


def _port_error(uri: str, exc: Exception) -> DeviceError:
    """Turn a pyserial open failure into a one-line :class:`DeviceError`."""
    code = getattr(exc, "errno", None)
    text = str(exc)
    lowered = text.lower()
    if code == errno.ENOENT or "no such file" in lowered or "filenotfound" in lowered or "cannot find" in lowered:
        return DeviceNotFoundError(f"{uri}: no such serial port (is the sensor plugged in? list ports with: python -m serial.tools.list_ports)")
    if code in (errno.EACCES, errno.EPERM) or "permission" in lowered or "access is denied" in lowered:
        return DevicePermissionError(
            f"{uri}: permission denied; on Linux add yourself to the 'dialout' group "
            "(sudo usermod -aG dialout $USER) and log in again"
        )
    if code == errno.EBUSY or "busy" in lowered:
        return DeviceError(f"{uri}: the port is busy (another program has it open)")
    return DeviceError(f"{uri}: cannot open the port: {text}")
