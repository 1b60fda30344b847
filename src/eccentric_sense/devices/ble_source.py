"""Bluetooth LE sources (bleak): es1 devices, WitMotion BLE 5.0 IMUs, Polar H10 accelerometer.

bleak is imported only when a BLE source is opened or a scan runs (extra
``eccentric-sense[ble]``).  Notifications are decoded in bleak's callback
(which runs in the event loop) and the batches leave through the source's
queue.  On an unsolicited disconnect the gap is recorded, the device is
*rescanned* (BlueZ forgets a device that went away, so a stale handle
cannot be reused), reconnected with back-off and restarted, until
``reconnect_timeout_s``; then the stream ends cleanly.

The ``client_backend`` / ``scanner_backend`` options pass bleak backend
classes through bleak's public ``backend=`` parameter; the tests use them to
run the real :class:`bleak.BleakClient` against an emulated device
(:mod:`eccentric_sense.devices.fake_ble`).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from dataclasses import dataclass
from typing import Any

from . import polar
from .codecs import es1, witmotion, witmotion_ble
from .codecs.es1 import Es1MessageDecoder
from .codecs.witmotion_ble import WitmotionBleDecoder
from .errors import (
    BluetoothUnavailableError,
    DeviceError,
    DeviceNotFoundError,
    DeviceNotRespondingError,
    DeviceProtocolError,
    MissingDependencyError,
)
from .es1_control import Es1Control
from .source import Source, requested_rate

__all__ = ["BleSource", "FoundDevice", "scan_devices", "classify_advertisement", "POLAR_PMD_SERVICE_UUID"]

POLAR_PMD_SERVICE_UUID = polar.PMD_SERVICE_UUID
#: Polar H10 accelerometer rate we ask for (its fastest; slower ones are useless for bar speed).
DEFAULT_POLAR_RATE_HZ = 200
#: WitMotion BLE default rate we configure (their BLE firmwares are documented up to 50 Hz;
#: faster rates are unverified, so ask for what is known to work unless told otherwise).
DEFAULT_WITMOTION_BLE_RATE_HZ = 50.0

_ADDRESS = re.compile(r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$")
_BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 4.0)


def _import_bleak() -> Any:
    try:
        import bleak  # noqa: PLC0415 - optional dependency, imported on use
    except ImportError:
        raise MissingDependencyError("bleak", "ble") from None
    return bleak


def _bluetooth_error(exc: BaseException) -> DeviceError:
    """A one-line error for "there is no usable Bluetooth here"."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, FileNotFoundError):
        detail = "no Bluetooth system service (BlueZ/D-Bus) was found"
    return BluetoothUnavailableError(f"no Bluetooth adapter is available ({detail})")


def classify_advertisement(name: str | None, service_uuids: list[str]) -> str | None:
    """Which protocol an advertising device speaks (``es1``, ``witmotion``, ``polar``) or ``None``."""
    uuids = {u.lower() for u in service_uuids}
    if es1.SERVICE_UUID in uuids:
        return "es1"
    if witmotion_ble.SERVICE_UUID in uuids or (name or "").upper().startswith("WT"):
        return "witmotion"
    if POLAR_PMD_SERVICE_UUID in uuids or (name or "").startswith("Polar "):
        return "polar"
    return None


@dataclass(frozen=True)
class FoundDevice:
    """One sensor seen by :func:`scan_devices`."""

    name: str | None
    address: str
    rssi: int | None
    protocol: str


async def scan_devices(timeout_s: float = 5.0, *, scanner_backend: Any = None) -> list[FoundDevice]:
    """Scan for BLE sensors we can read, strongest signal first.

    Raises
    ------
    BluetoothUnavailableError
        When there is no adapter or no Bluetooth service.
    """
    bleak = _import_bleak()
    try:
        seen = await bleak.BleakScanner.discover(timeout=timeout_s, return_adv=True, backend=scanner_backend)
    except (OSError, bleak.exc.BleakError) as exc:
        raise _bluetooth_error(exc) from None
    found = []
    for device, adv in seen.values():
        name = adv.local_name or device.name
        protocol = classify_advertisement(name, list(adv.service_uuids))
        if protocol is not None:
            found.append(FoundDevice(name=name, address=device.address, rssi=adv.rssi, protocol=protocol))
    return sorted(found, key=lambda d: -(d.rssi if d.rssi is not None else -999))


class BleSource(Source):
    """A sensor on Bluetooth LE, found by name or address.

    Parameters
    ----------
    target
        Advertised name (exact) or address (``AA:BB:CC:DD:EE:FF``, or a
        macOS UUID).
    protocol
        ``"es1"``, ``"witmotion"`` or ``"polar"`` (PMD accelerometer, H10).
    sample_rate_hz
        Output rate to configure (es1: keep the device's when ``None``;
        WitMotion: 50 Hz by default; Polar: 200 Hz by default).
    scan_timeout_s
        How long to look for the device (first connection and each rescan).
    reconnect_timeout_s
        How long to keep trying after an unsolicited disconnect.
    command_timeout_s, command_retries
        es1 acknowledgement timeout and tries.
    first_data_timeout_s
        WitMotion: how long to wait for the first packet.
    client_backend, scanner_backend
        bleak backend classes (tests); ``None`` uses the platform's.
    """

    transport = "ble"

    def __init__(
        self,
        target: str,
        *,
        protocol: str,
        sample_rate_hz: float | None = None,
        scan_timeout_s: float = 10.0,
        reconnect_timeout_s: float = 30.0,
        connect_timeout_s: float = 20.0,
        command_timeout_s: float = 1.0,
        command_retries: int = 3,
        first_data_timeout_s: float = 5.0,
        client_backend: Any = None,
        scanner_backend: Any = None,
        **ignored: object,
    ) -> None:
        if protocol not in ("es1", "witmotion", "polar"):
            raise DeviceError(f"ble:{target}: protocol '{protocol}' is not available over BLE (use es1, witmotion or polar)")
        if protocol == "polar" and (sample_rate_hz or DEFAULT_POLAR_RATE_HZ) not in polar.ACC_RATES_HZ:
            raise DeviceError(f"ble:{target}: a Polar accelerometer runs at {polar.ACC_RATES_HZ} Hz, not {sample_rate_hz:g}")
        super().__init__(f"ble:{target}", protocol=protocol)
        self.target = target
        self.requested_rate_hz = requested_rate(protocol, sample_rate_hz, DEFAULT_WITMOTION_BLE_RATE_HZ)
        self.scan_timeout_s = scan_timeout_s
        self.reconnect_timeout_s = reconnect_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.command_timeout_s = command_timeout_s
        self.command_retries = command_retries
        self.first_data_timeout_s = first_data_timeout_s
        self.client_backend = client_backend
        self.scanner_backend = scanner_backend
        self._bleak: Any = None
        self._client: Any = None
        self._decoder: Any = None
        self._control: Es1Control | None = None
        self._closing = False
        self._reconnect_task: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle
    async def _start(self) -> None:
        self._bleak = _import_bleak()
        device = await self._find(self.scan_timeout_s)
        if device is None:
            what = "address" if _ADDRESS.match(self.target) else "named"
            raise DeviceNotFoundError(
                f"{self.uri}: no device {what} {self.target!r} found within {self.scan_timeout_s:g} s "
                "(is it switched on, in range, and not connected to another app or phone?)"
            )
        try:
            await self._connect(device)
        except DeviceError:
            raise
        except (asyncio.TimeoutError, OSError, self._bleak.exc.BleakError) as exc:
            raise DeviceError(f"{self.uri}: cannot connect: {exc or type(exc).__name__}") from None

    async def _stop(self) -> None:
        self._closing = True
        if self._reconnect_task is not None and not self._reconnect_task.done():
            self._reconnect_task.cancel()
            try:
                await self._reconnect_task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing must not fail
                pass
        client, self._client = self._client, None
        if client is None:
            return
        if self._control is not None and client.is_connected:
            await self._control.stop()
        elif self.protocol == "polar" and client.is_connected:
            try:
                await client.write_gatt_char(polar.PMD_CONTROL_UUID, polar.stop_acc_command(), response=True)
            except Exception:  # noqa: BLE001 - best effort
                pass
        try:
            await client.disconnect()
        except Exception:  # noqa: BLE001 - the device may already be gone
            pass

    async def _find(self, timeout_s: float) -> Any:
        bleak = self._bleak
        target = self.target
        if _ADDRESS.match(target):
            wanted = target.lower().replace("-", ":")

            def match(device: Any, adv: Any) -> bool:
                return device.address.lower().replace("-", ":") == wanted
        else:

            def match(device: Any, adv: Any) -> bool:
                return target in (adv.local_name, device.name)

        try:
            return await bleak.BleakScanner.find_device_by_filter(match, timeout=timeout_s, backend=self.scanner_backend)
        except (OSError, bleak.exc.BleakError) as exc:
            raise _bluetooth_error(exc) from None

    async def _connect(self, device: Any) -> None:
        bleak = self._bleak
        client = bleak.BleakClient(
            device, disconnected_callback=self._on_disconnect, timeout=self.connect_timeout_s,
            backend=self.client_backend,
        )
        await client.connect()
        self._client = client
        try:
            if self.protocol == "es1":
                await self._start_es1(client)
            elif self.protocol == "polar":
                await self._start_polar(client)
            else:
                await self._start_witmotion(client)
        except BaseException:
            try:
                await client.disconnect()
            except Exception:  # noqa: BLE001
                pass
            self._client = None
            raise

    async def _start_es1(self, client: Any) -> None:
        if self._control is None:
            self._control = Es1Control(
                self._write_control, where=self.uri, timeout_s=self.command_timeout_s, retries=self.command_retries
            )
            self._decoder = Es1MessageDecoder(on_message=self._control.on_message)
            self._use_decoder_stats(self._decoder.stats)
        else:
            # Same decoder after a reconnect: its clock unwrapping carries on
            # (so the gap shows in device time); the sequence starts afresh.
            self._decoder.reset_stream()
        control = self._control
        await client.start_notify(es1.DATA_CHAR_UUID, self._on_notify)
        await control.start(odr_hz=self.requested_rate_hz)
        self.device_info = {**control.describe(), "address": client.address}
        self.has_gyroscope = control.has_gyroscope
        rate = self.device_info.get("sample_rate_hz")
        self.sample_rate_hz = float(rate) if rate else self.requested_rate_hz

    async def _write_control(self, message: bytes) -> None:
        client = self._client
        if client is None or not client.is_connected:
            raise DeviceError(f"{self.uri}: not connected")
        await client.write_gatt_char(es1.CONTROL_CHAR_UUID, message, response=True)

    async def _start_witmotion(self, client: Any) -> None:
        self._decoder = WitmotionBleDecoder()
        self._use_decoder_stats(self._decoder.stats)
        await client.start_notify(witmotion_ble.NOTIFY_CHAR_UUID, self._on_notify)
        for command in witmotion.configure_commands(rate_hz=self.requested_rate_hz, save=False):
            await client.write_gatt_char(witmotion_ble.WRITE_CHAR_UUID, command, response=False)
            await asyncio.sleep(witmotion.COMMAND_PAUSE_S)
        self.sample_rate_hz = self.requested_rate_hz
        self.device_info = {
            "device": f"WitMotion BLE {client.name if _has_name(client) else ''}".strip(),
            "address": client.address,
            "sample_rate_hz": f"{self.sample_rate_hz:g}",
        }
        await self._await_first_message(self._decoder, self.first_data_timeout_s, hint="is it a WitMotion BLE sensor?")

    async def _start_polar(self, client: Any) -> None:
        rate = int(self.requested_rate_hz or DEFAULT_POLAR_RATE_HZ)
        if self._decoder is None:
            # One decoder for the whole session: its time epoch survives reconnects,
            # so a disconnection shows as a jump in device time.
            self._decoder = polar.PolarAccDecoder(rate)
            self._use_decoder_stats(self._decoder.stats)
        responses: asyncio.Queue[bytes] = asyncio.Queue()
        await client.start_notify(polar.PMD_CONTROL_UUID, lambda _, data: responses.put_nowait(bytes(data)))
        await client.start_notify(polar.PMD_DATA_UUID, self._on_notify)
        await client.write_gatt_char(polar.PMD_CONTROL_UUID, polar.start_acc_command(rate), response=True)
        try:
            while True:
                reply = polar.parse_control_response(await asyncio.wait_for(responses.get(), self.command_timeout_s * 3))
                if reply is not None and reply[:2] == (0x02, polar.MEASUREMENT_ACC):
                    break
        except asyncio.TimeoutError:
            raise DeviceNotRespondingError(f"{self.uri}: the Polar device does not answer the accelerometer start") from None
        if reply[2] != 0:
            raise DeviceProtocolError(f"{self.uri}: the Polar device refused to start the accelerometer (error {reply[2]})")
        self.sample_rate_hz = float(rate)
        self.has_gyroscope = False
        self.device_info = {
            "device": f"Polar {client.name if _has_name(client) else ''}".strip(),
            "address": client.address,
            "sample_rate_hz": f"{rate:g}",
            "acc_range_g": "8",
        }

    # ------------------------------------------------------------------ data
    def _on_notify(self, characteristic: Any, data: bytearray) -> None:
        host_time = time.monotonic()
        decoder = self._decoder
        if decoder is None:
            return
        batches = decoder.feed(bytes(data))
        self._deliver_decoded(batches, host_time, accepting=self._control is None or self._control.streaming)

    # ------------------------------------------------------------------ reconnection
    def _on_disconnect(self, client: Any) -> None:
        # bleak may call this for our own disconnect too (Windows): be idempotent.
        if self._closing or self.ended or client is not self._client:
            return
        if self._reconnect_task is not None and not self._reconnect_task.done():
            return
        self._client = None
        self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        gap = self._begin_gap("disconnected")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.reconnect_timeout_s
        for attempt in itertools.count():
            left = deadline - loop.time()
            if left <= 0 or self._closing:
                break
            try:
                device = await self._find(min(self.scan_timeout_s, left))
                if device is not None:
                    await self._connect(device)
                    self._end_gap(gap)
                    return
            except (DeviceError, asyncio.TimeoutError, OSError, self._bleak.exc.BleakError):
                pass
            await asyncio.sleep(min(_BACKOFF_S[min(attempt, len(_BACKOFF_S) - 1)], max(0.0, deadline - loop.time())))
        if not self._closing:
            self._end()


def _has_name(client: Any) -> bool:
    try:
        return bool(client.name)
    except Exception:  # noqa: BLE001 - backends without a name
        return False
