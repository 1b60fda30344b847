"""Facts shared by WitMotion serial and BLE devices: scales, registers, commands.

Both families take the same 5-byte register command ``FF AA <reg> <lo> <hi>``
(on the serial port, or written to the BLE write characteristic).  Settings
need an unlock first and a save afterwards; the vendor SDKs pause about
:data:`COMMAND_PAUSE_S` between the writes, which is the transport's job.
"""

from __future__ import annotations

import enum
import math

from ...errors import ConfigError

__all__ = [
    "ACC_SCALE_G",
    "GYR_SCALE_DPS",
    "ANGLE_SCALE_DEG",
    "TEMPERATURE_SCALE_C",
    "COMMAND_PAUSE_S",
    "UNLOCK_KEY",
    "Register",
    "RATE_CODES",
    "RATE_CODE_SINGLE",
    "RATE_CODE_NONE",
    "ContentBit",
    "write_register_command",
    "unlock_command",
    "save_command",
    "read_register_command",
    "set_output_rate_command",
    "set_output_content_command",
    "configure_commands",
]

ACC_SCALE_G = 16.0 / 32768.0
"""g per count (fixed +-16 g formula from the datasheets)."""
GYR_SCALE_DPS = 2000.0 / 32768.0
"""deg/s per count."""
ANGLE_SCALE_DEG = 180.0 / 32768.0
TEMPERATURE_SCALE_C = 0.01
COMMAND_PAUSE_S = 0.1
UNLOCK_KEY = 0xB588


class Register(enum.IntEnum):
    SAVE = 0x00
    CALSW = 0x01
    RSW = 0x02
    RRATE = 0x03
    BAUD = 0x04
    READADDR = 0x27
    KEY = 0x69


RATE_CODES: dict[float, int] = {
    0.2: 0x01,
    0.5: 0x02,
    1: 0x03,
    2: 0x04,
    5: 0x05,
    10: 0x06,
    20: 0x07,
    50: 0x08,
    100: 0x09,
    125: 0x0A,  # WT931 only, per the vendor register header
    200: 0x0B,
}
"""Output rate in Hz -> RRATE (0x03) code."""
RATE_CODE_SINGLE = 0x0C
RATE_CODE_NONE = 0x0D


class ContentBit(enum.IntFlag):
    """RSW (0x02) bits: which packet types the device sends."""

    TIME = 1 << 0  # 0x50
    ACC = 1 << 1  # 0x51
    GYRO = 1 << 2  # 0x52
    ANGLE = 1 << 3  # 0x53
    MAG = 1 << 4  # 0x54
    QUATERNION = 1 << 9  # 0x59


def write_register_command(register: int, value: int) -> bytes:
    """``FF AA reg lo hi``."""
    if not 0 <= register <= 0xFF or not 0 <= value <= 0xFFFF:
        raise ConfigError(f"WitMotion register 0x{register:X} value {value} out of range")
    return bytes([0xFF, 0xAA, register, value & 0xFF, value >> 8])


def unlock_command() -> bytes:
    """``FF AA 69 88 B5``: must precede setting writes (valid for about 10 s)."""
    return write_register_command(Register.KEY, UNLOCK_KEY)


def save_command() -> bytes:
    """``FF AA 00 00 00``: store the settings in flash."""
    return write_register_command(Register.SAVE, 0x0000)


def read_register_command(register: int) -> bytes:
    """``FF AA 27 reg 00``: ask for a register-read reply (serial 0x5F, BLE 0x71)."""
    return write_register_command(Register.READADDR, register)


def set_output_rate_command(rate_hz: float) -> bytes:
    """``FF AA 03 code 00`` for one of :data:`RATE_CODES` (e.g. 100 Hz -> 0x09, 200 Hz -> 0x0B).

    Raises
    ------
    ConfigError
        If the rate is not one the device supports.
    """
    for rate, code in RATE_CODES.items():
        if math.isclose(rate, rate_hz, rel_tol=1e-9):
            return write_register_command(Register.RRATE, code)
    supported = ", ".join(f"{r:g}" for r in RATE_CODES)
    raise ConfigError(f"WitMotion output rate {rate_hz:g} Hz is not supported; choose one of {supported} Hz")


def set_output_content_command(content: ContentBit | int = ContentBit.ACC | ContentBit.GYRO | ContentBit.ANGLE) -> bytes:
    """``FF AA 02 RSWL RSWH``: choose the packet types the device sends."""
    return write_register_command(Register.RSW, int(content))


def configure_commands(
    *, rate_hz: float | None = None, content: ContentBit | int | None = None, save: bool = True
) -> list[bytes]:
    """Unlock, the requested writes, then save: send with :data:`COMMAND_PAUSE_S` between them."""
    commands = [unlock_command()]
    if content is not None:
        commands.append(set_output_content_command(content))
    if rate_hz is not None:
        commands.append(set_output_rate_command(rate_hz))
    if save:
        commands.append(save_command())
    return commands

