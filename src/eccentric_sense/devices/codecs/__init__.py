"""Pure byte codecs: bytes in, :class:`~eccentric_sense.devices.types.SampleBatch` es out.

No I/O happens here; transports (serial, BLE, replay) live next to this package
and feed these decoders.  Every decoder follows the
:class:`~eccentric_sense.devices.types.Decoder` protocol and never raises on
any byte string.

Modules
-------
es1
    Our own protocol (``firmware_protocol/PROTOCOL.md``): encoder, COBS serial
    decoder :class:`~.es1.Es1SerialDecoder`, per-notification decoder
    :class:`~.es1.Es1MessageDecoder`.
witmotion
    Shared WitMotion facts: scales, register numbers, command builders.
witmotion_serial
    WitMotion 11-byte ``0x55`` packets (serial / Bluetooth-SPP devices).
witmotion_ble
    WitMotion BLE 5.0 20-byte ``0x55 0x61`` packets and GATT UUIDs.
"""

from . import es1, witmotion, witmotion_ble, witmotion_serial
from .es1 import Es1MessageDecoder, Es1SerialDecoder
from .witmotion_ble import WitmotionBleDecoder
from .witmotion_serial import WitmotionSerialDecoder

__all__ = [
    "es1",
    "witmotion",
    "witmotion_serial",
    "witmotion_ble",
    "Es1MessageDecoder",
    "Es1SerialDecoder",
    "WitmotionSerialDecoder",
    "WitmotionBleDecoder",
]
