"""An emulated BLE world for tests: bleak backends serving emulated devices.

:class:`FakeBleWorld` holds emulated peripherals (an es1 device or a
WitMotion BLE IMU playing a recording, see :mod:`.emulator`).  Its
:meth:`~FakeBleWorld.backends` returns a scanner and a client class that
subclass bleak's ``BaseBleakScanner`` / ``BaseBleakClient``; passed through
the public ``backend=`` parameter they let the *real*
:class:`bleak.BleakScanner` and :class:`bleak.BleakClient` (and so the real
:class:`~eccentric_sense.devices.ble_source.BleSource`) run unchanged with no
Bluetooth hardware.  A peripheral can drop the link mid-stream, stop
advertising for a while and come back, as a sensor out of range does.

Like a real peripheral, notifications sent before the host subscribed are
lost and the device stops streaming when the link drops.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError

from . import polar
from .codecs import es1, witmotion_ble
from .emulator import Es1Device, PolarH10Device, WitmotionBleDevice

__all__ = ["FakePeripheral", "FakeBleWorld"]

_MTU = 247


@dataclass
class FakePeripheral:
    """One emulated BLE sensor.

    Parameters
    ----------
    name, address
        Advertised name and address.
    device
        The device model (``Es1Device(..., serial=False)`` or ``WitmotionBleDevice``).
    rssi
        Advertised signal strength.
    drop_after_samples
        Drop the link once this many samples were sent (once).
    down_for_s
        How long the device stays away (not advertising) after a drop.
    fragment
        WitMotion only: re-split the notification stream at random sizes
        (a packet split over two notifications, several in one).
    power_off_at_end
        Switch off (drop the link, stop advertising for good) once the
        recording has been sent, as a sensor does when the set is over.
    """

    name: str
    address: str
    device: Es1Device | WitmotionBleDevice | PolarH10Device
    rssi: int = -55
    drop_after_samples: int | None = None
    down_for_s: float = 0.5
    fragment: bool = False
    power_off_at_end: bool = True
    seed: int = 0
    advertising: bool = True
    powered_off: bool = False
    drops: int = 0
    connections: int = 0
    client: "Any" = None
    _rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)

    @property
    def protocol(self) -> str:
        if isinstance(self.device, Es1Device):
            return "es1"
        return "polar" if isinstance(self.device, PolarH10Device) else "witmotion"

    @property
    def service_uuid(self) -> str:
        return {"es1": es1.SERVICE_UUID, "polar": polar.PMD_SERVICE_UUID}.get(self.protocol, witmotion_ble.SERVICE_UUID)

    @property
    def notify_uuid(self) -> str:
        """Where stream data is notified."""
        return {"es1": es1.DATA_CHAR_UUID, "polar": polar.PMD_DATA_UUID}.get(self.protocol, witmotion_ble.NOTIFY_CHAR_UUID)

    @property
    def write_uuid(self) -> str:
        return {"es1": es1.CONTROL_CHAR_UUID, "polar": polar.PMD_CONTROL_UUID}.get(
            self.protocol, witmotion_ble.WRITE_CHAR_UUID
        )

    @property
    def response_uuid(self) -> str:
        """Where answers to commands are notified (Polar: on the control point itself)."""
        return self.write_uuid if self.protocol == "polar" else self.notify_uuid

    def advertisement(self) -> AdvertisementData:
        return AdvertisementData(
            local_name=self.name, manufacturer_data={}, service_data={}, service_uuids=[self.service_uuid],
            tx_power=None, rssi=self.rssi, platform_data=(),
        )

    def drop_link(self) -> None:
        """Lose the connection now (as if out of range) and come back after ``down_for_s``."""
        client = self.client
        self.drops += 1
        self.advertising = False
        self.device.streaming = False
        if client is not None:
            client._lost_link()
        asyncio.get_running_loop().call_later(self.down_for_s, self._come_back)

    def _come_back(self) -> None:
        if not self.powered_off:
            self.advertising = True

    def power_off(self) -> None:
        """Disappear for good."""
        self.powered_off = True
        self.advertising = False
        self.device.streaming = False
        if self.client is not None:
            self.client._lost_link()

    def split(self, payloads: list[bytes]) -> list[bytes]:
        """Re-cut WitMotion notifications at random sizes when ``fragment`` is set."""
        if not self.fragment or not payloads:
            return payloads
        stream = b"".join(payloads)
        cuts = np.sort(self._rng.integers(1, len(stream), size=max(1, len(stream) // 15)))
        return [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)]) if b > a]


class FakeBleWorld:
    """The peripherals in range, and the bleak backends that see them."""

    def __init__(self, peripherals: list[FakePeripheral] | None = None, *, tick_s: float = 0.005) -> None:
        self.peripherals = list(peripherals or [])
        self.tick_s = tick_s

    def find(self, address: str) -> FakePeripheral | None:
        for peripheral in self.peripherals:
            if peripheral.address.lower() == address.lower():
                return peripheral
        return None

    def backends(self) -> tuple[type[BaseBleakScanner], type[BaseBleakClient]]:
        """Scanner and client backend classes bound to this world."""
        world = self

        class Scanner(_FakeScanner):
            _world = world

        class Client(_FakeClient):
            _world = world

        return Scanner, Client


class _FakeScanner(BaseBleakScanner):
    _world: FakeBleWorld

    def __init__(self, detection_callback: Any, service_uuids: Any, scanning_mode: str = "active", **kwargs: Any) -> None:
        super().__init__(detection_callback, service_uuids)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._task = asyncio.get_running_loop().create_task(self._advertise())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def _advertise(self) -> None:
        while True:
            for peripheral in self._world.peripherals:
                if not peripheral.advertising or peripheral.client is not None:
                    continue
                adv = peripheral.advertisement()
                if not self.is_allowed_uuid(adv.service_uuids):
                    continue
                device = self.create_or_update_device(peripheral.address, peripheral.address, peripheral.name, peripheral, adv)
                self.call_detection_callbacks(device, adv)
            await asyncio.sleep(0.02)


class _FakeClient(BaseBleakClient):
    _world: FakeBleWorld

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        kwargs.pop("services", None)
        kwargs.pop("bluez", None)
        kwargs.pop("winrt", None)
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.pop("disconnected_callback", None),
            timeout=kwargs.pop("timeout", 10.0),
        )
        self._peripheral: FakePeripheral | None = None
        self._connected = False
        self._notify: dict[str, Callable[[bytearray], None]] = {}
        self._pump: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------- connection
    @property
    def name(self) -> str:
        return self._peripheral.name if self._peripheral else self.address

    @property
    def mtu_size(self) -> int:
        return _MTU

    @property
    def is_connected(self) -> bool:
        return self._connected

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        peripheral = self._world.find(self.address)
        if peripheral is None or not peripheral.advertising or peripheral.client is not None:
            raise BleakDeviceNotFoundError(self.address, f"Device with address {self.address} was not found.")
        await asyncio.sleep(0.01)
        self._peripheral = peripheral
        peripheral.client = self
        peripheral.connections += 1
        self.services = _services(peripheral)
        self._connected = True
        self._pump = asyncio.get_running_loop().create_task(self._run())

    async def disconnect(self) -> None:
        self._teardown()

    def _teardown(self) -> None:
        if self._pump is not None and self._pump is not asyncio.current_task():
            self._pump.cancel()
        self._pump = None
        peripheral = self._peripheral
        if peripheral is not None and peripheral.client is self:
            peripheral.client = None
            peripheral.device.streaming = False  # firmware stops streaming on disconnect
        self._connected = False
        self._notify.clear()

    def _lost_link(self) -> None:
        """The peripheral went away: tear down and tell bleak's user (unsolicited)."""
        was_connected = self._connected
        self._teardown()
        if was_connected and self._disconnected_callback is not None:
            asyncio.get_running_loop().call_soon(self._disconnected_callback)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def unpair(self) -> None:
        return None

    # ---------------------------------------------------------------- GATT
    def _require(self) -> FakePeripheral:
        if not self._connected or self._peripheral is None:
            raise BleakError("Not connected")
        return self._peripheral

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, **kwargs: Any) -> bytearray:
        self._require()
        return bytearray()

    async def read_gatt_descriptor(self, descriptor: Any, **kwargs: Any) -> bytearray:
        raise BleakError("the emulated devices have no readable descriptors")

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any, response: bool) -> None:
        peripheral = self._require()
        if characteristic.uuid != peripheral.write_uuid:
            raise BleakError(f"characteristic {characteristic.uuid} is not writable")
        peripheral.device.receive(bytes(data), time.monotonic())
        await asyncio.sleep(0)

    async def write_gatt_descriptor(self, descriptor: Any, data: Any) -> None:
        raise BleakError("the emulated devices have no writable descriptors")

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: Callable[[bytearray], None], **kwargs: Any) -> None:
        self._require()
        self._notify[characteristic.uuid] = callback

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        self._notify.pop(characteristic.uuid, None)

    # ---------------------------------------------------------------- the radio
    async def _run(self) -> None:
        peripheral = self._peripheral
        assert peripheral is not None
        while self._connected:
            items = peripheral.device.poll(time.monotonic())
            data = [p for p, is_data in items if is_data]
            responses = [p for p, is_data in items if not is_data]
            if peripheral.protocol == "witmotion":
                data = peripheral.split(data)
            for uuid, payloads in ((peripheral.response_uuid, responses), (peripheral.notify_uuid, data)):
                callback = self._notify.get(uuid)
                for payload in payloads:
                    if callback is not None:  # before subscription notifications are lost
                        callback(bytearray(payload))
            limit = peripheral.drop_after_samples
            if limit is not None and peripheral.drops == 0 and peripheral.device.samples_sent >= limit:
                peripheral.drop_link()
                return
            if peripheral.power_off_at_end and peripheral.device.exhausted:
                peripheral.power_off()
                return
            await asyncio.sleep(self._world.tick_s)


def _services(peripheral: FakePeripheral) -> BleakGATTServiceCollection:
    collection = BleakGATTServiceCollection()
    service = BleakGATTService(None, 10, peripheral.service_uuid)
    collection.add_service(service)
    notify = BleakGATTCharacteristic(None, 11, peripheral.notify_uuid, ["notify"], lambda: _MTU - 3, service)
    write_props = {"es1": ["write"], "polar": ["read", "write", "indicate"]}.get(
        peripheral.protocol, ["write", "write-without-response"]
    )
    write = BleakGATTCharacteristic(None, 13, peripheral.write_uuid, write_props, lambda: _MTU - 3, service)
    collection.add_characteristic(notify)
    collection.add_characteristic(write)
    return collection
