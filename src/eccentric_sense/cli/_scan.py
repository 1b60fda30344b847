"""``eccentric-sense scan``: list nearby BLE sensors this program can read."""

from __future__ import annotations

import argparse
import asyncio

from ..errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="list nearby Bluetooth LE sensors (es1, WitMotion, Polar)",
        description="Scan for Bluetooth LE sensors and print name, address, signal strength and protocol.",
    )
    parser.add_argument("--timeout", type=float, default=5.0, metavar="S", help="scan time in seconds (default 5)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..devices.ble_source import scan_devices

    if not args.timeout > 0:
        raise ConfigError(f"--timeout must be positive, not {args.timeout}")
    found = asyncio.run(scan_devices(args.timeout))
    if not found:
        print(f"no sensors found in {args.timeout:g} s (are they switched on and not connected elsewhere?)")
        return 0
    width = max(len(d.name or "?") for d in found)
    for device in found:
        rssi = f"{device.rssi} dBm" if device.rssi is not None else "?"
        print(f"{(device.name or '?'):<{width}}  {device.address}  {rssi:>8}  {device.protocol}")
    print("record one with: eccentric-sense record ble:NAME_OR_ADDRESS --protocol PROTOCOL --out FILE.csv")
    return 0
