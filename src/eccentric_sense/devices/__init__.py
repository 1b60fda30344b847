"""Sensor devices: wire codecs, transports (serial, BLE, replay) and recording.

Nothing in :mod:`eccentric_sense.pipeline` imports this package, and this
package imports pyserial and bleak only when a serial or BLE source is
opened.  Entry points::

    from eccentric_sense.devices import open_source, Recorder, record

* :func:`open_source` -- ``serial:PORT``, ``ble:NAME_OR_ADDRESS``,
  ``replay:FILE.csv`` -> a :class:`Source` (async context manager and async
  iterator of :class:`SampleBatch`, with :attr:`Source.stats`);
* :class:`Recorder` / :func:`record` -- lossless canonical CSV writing;
* :mod:`.errors` -- the :class:`~eccentric_sense.errors.DeviceError` subclasses;
* :mod:`.emulator`, :mod:`.fake_ble` -- emulated devices for tests and demos.
"""

from .errors import (
    BluetoothUnavailableError,
    DeviceError,
    DeviceNotFoundError,
    DeviceNotRespondingError,
    DevicePermissionError,
    DeviceProtocolError,
    MissingDependencyError,
)
from .recorder import EndReason, Recorder, record, sidecar_path
from .source import Gap, Source, SourceStats, open_source
from .types import DecoderStats, SampleBatch

__all__ = [
    "open_source",
    "Source",
    "SourceStats",
    "Gap",
    "Recorder",
    "record",
    "EndReason",
    "sidecar_path",
    "SampleBatch",
    "DecoderStats",
    "DeviceError",
    "DeviceNotFoundError",
    "DevicePermissionError",
    "DeviceNotRespondingError",
    "DeviceProtocolError",
    "BluetoothUnavailableError",
    "MissingDependencyError",
]
