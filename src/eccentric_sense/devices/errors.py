"""Device errors: every failure a sensor or a port can cause, as a :class:`DeviceError`.

Each subclass says *what* went wrong so that callers can react (retry,
rescan, give up), and each message says it in one line a user understands.
"""

from __future__ import annotations

from ..errors import DeviceError

__all__ = [
    "DeviceError",
    "DeviceNotFoundError",
    "DevicePermissionError",
    "DeviceNotRespondingError",
    "DeviceProtocolError",
    "BluetoothUnavailableError",
    "MissingDependencyError",
]


class DeviceNotFoundError(DeviceError):
    """The port does not exist, or no device matching the name/address was seen."""


class DevicePermissionError(DeviceError):
    """The operating system refused access to the port or the adapter."""


class DeviceNotRespondingError(DeviceError):
    """The device was opened but did not answer a command in time."""


class DeviceProtocolError(DeviceError):
    """The device answered, but not in the protocol we expected (or refused a command)."""


class BluetoothUnavailableError(DeviceError):
    """No usable Bluetooth adapter (none present, powered off, or no system service)."""


class MissingDependencyError(DeviceError):
    """An optional package (pyserial, bleak) that this transport needs is not installed."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"the '{package}' package is needed for this device; "
            f"install it with: pip install 'eccentric-sense[{extra}]'"
        )
        self.package = package
        self.extra = extra
