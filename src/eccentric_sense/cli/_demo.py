"""``eccentric-sense demo``: analyse the bundled sample recording."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from . import _output

DEMO_FILE = "bench_tempo_2sets.csv"


def demo_recording_path() -> Path:
    """Path of the sample recording shipped inside the package."""
    return Path(str(resources.files("eccentric_sense") / "data" / DEMO_FILE))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="analyse a bundled sample recording (bench press, tempo protocol, 2 sets)",
        description="Analyse the bundled sample recording and print its rep table.",
    )
    parser.add_argument("--out", type=Path, default=Path("eccentric-sense-demo-report"), metavar="DIR",
                        help="where to write the demo's report (default: ./eccentric-sense-demo-report)")
    parser.add_argument("--no-report", action="store_true", help="only print the table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..workflow import analyze_file

    path = demo_recording_path()
    scored = analyze_file(path, protocol="tempo", exercise="bench")
    _output.print_human(scored, protocol="tempo")
    if not args.no_report:
        from ..report import write_scored_report

        report = write_scored_report([scored], args.out)
        print(f"report written to {report}")
    return 0
