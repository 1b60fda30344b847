"""The ``eccentric-sense`` command line.

Each sub-command lives in its own module with a ``register(subparsers)``
function.  This is the only place (with the sub-command modules) that prints
or calls :func:`asyncio.run`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from .. import __version__
from ..errors import EccentricSenseError

#: Sub-command modules, in the order ``--help`` lists them.
_COMMAND_MODULES = (
    "analyze",
    "report",
    "demo",
    "record",
    "scan",
    "emulate",
    "plan",
    "log",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="eccentric-sense",
        description="Measure and coach the lowering phase of lifts from a motion sensor.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}._{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except EccentricSenseError as error:
        print(f"eccentric-sense: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        # Files the command writes (--csv, --trace, --out, a log database) in
        # a directory that does not exist or may not be written; reading
        # errors are EccentricSenseErrors already.
        where = f"{error.filename}: " if getattr(error, "filename", None) else ""
        print(f"eccentric-sense: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("eccentric-sense: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
