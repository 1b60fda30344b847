"""``eccentric-sense emulate``: play a recording as a sensor on a pseudo-terminal."""

from __future__ import annotations

import argparse
import sys

from ..errors import ConfigError, DeviceError
from ..io import read_any


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "emulate",
        help="play a recording as a serial sensor (for testing without hardware)",
        description=(
            "Open a pseudo-terminal, print its path as the first line, and behave like a sensor on it: "
            "es1 answers GET_INFO/SET_CONFIG/PING and streams after START; WitMotion streams after its "
            "first configuration command. Exits when the whole recording was sent and read."
        ),
    )
    parser.add_argument("transport", choices=["serial"], help="only 'serial' (BLE emulation is a bleak test backend)")
    parser.add_argument("file", help="canonical recording CSV to play")
    parser.add_argument("--protocol", choices=["es1", "witmotion"], required=True)
    parser.add_argument("--speed", type=float, default=1.0, help="playback speed (default 1 = real time)")
    parser.add_argument("--batch", type=int, default=10, help="es1 samples per message (default 10)")
    parser.add_argument(
        "--inject-garbage", type=float, default=0.0, metavar="FRACTION",
        help="insert random bytes amounting to FRACTION of the stream, at random positions",
    )
    parser.add_argument(
        "--corrupt", type=float, default=0.0, metavar="FRACTION",
        help="change one byte in FRACTION of the messages (bad checksums)",
    )
    parser.add_argument("--split-writes", action="store_true", help="write the stream in random pieces")
    parser.add_argument("--seed", type=int, default=None, help="random seed for the damage")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if sys.platform == "win32":
        raise DeviceError("the serial emulator needs a POSIX pseudo-terminal (Linux, macOS)")
    from ..devices.emulator import Es1Device, FaultInjector, WitmotionSerialDevice, run_serial_emulator

    if not args.speed > 0:
        raise ConfigError(f"--speed must be positive, not {args.speed}")
    for name in ("inject_garbage", "corrupt"):
        value = getattr(args, name)
        if not 0.0 <= value < 1.0:
            raise ConfigError(f"--{name.replace('_', '-')} must be a fraction in [0, 1), not {value}")
    recording = read_any(args.file)
    if args.protocol == "es1":
        device = Es1Device(recording, speed=args.speed, max_batch=args.batch)
    else:
        device = WitmotionSerialDevice(
            recording, speed=args.speed, warn=lambda text: print(f"emulator: {text}", file=sys.stderr, flush=True)
        )
    faults = None
    if args.inject_garbage or args.corrupt or args.seed is not None:
        faults = FaultInjector(garbage_fraction=args.inject_garbage, corrupt_fraction=args.corrupt, seed=args.seed)

    def announce(path: str) -> None:
        print(path, flush=True)

    run_serial_emulator(device, announce=announce, faults=faults, split_writes=args.split_writes, log=sys.stderr)
    return 0
