"""``eccentric-sense analyze``: a recording in, the rep table out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..constants import EXERCISES
from ..scoring.catalog import PROTOCOLS
from . import _output

#: The protocols the scoring implements (one list, owned by the catalog).
PROTOCOL_IDS = PROTOCOLS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="analyse a recording: sets, reps, descent times, speeds, flags",
        description="Analyse a recording (canonical CSV or a known foreign layout) and print the rep table.",
    )
    parser.add_argument("file", type=Path, help="recording CSV")
    add_analysis_options(parser)
    parser.add_argument("--json", action="store_true", help="print the JSON document (and nothing else) to stdout")
    parser.add_argument("--csv", type=Path, metavar="OUT", help="also write the rep table as CSV")
    parser.add_argument("--trace", type=Path, metavar="OUT",
                        help="also write the analysed signal as CSV: time, set, rep, phase, vertical acceleration, "
                             "velocity, displacement, rest, gap (one row per sample)")
    parser.add_argument("--log", action="store_true", help="store the sets in the training log and check the history rules")
    parser.add_argument("--load", type=float, metavar="KG", help="load on the bar, kg (stored with --log)")
    parser.add_argument("--db", type=Path, metavar="PATH", help="training-log database (default: per-user data dir, or $ECCENTRIC_SENSE_DB)")
    parser.set_defaults(func=run)


def add_analysis_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by analyze, report and demo."""
    parser.add_argument("--exercise", choices=EXERCISES, help="exercise hint (the rep order is read from the data)")
    parser.add_argument("--protocol", default="tempo", choices=PROTOCOL_IDS, help="training protocol (default: tempo)")
    parser.add_argument("--format", dest="format_name", metavar="NAME",
                        help="force a file layout: canonical, metabase, witmotion, arduino, headerless")
    parser.add_argument("--columns", metavar="A,B,...", help="column names of a headerless file (canonical names)")
    parser.add_argument("--acc-unit", metavar="UNIT", help="accelerometer unit of a foreign file: g, mg, mps2")
    parser.add_argument("--gyr-unit", metavar="UNIT", help="gyroscope unit of a foreign file: dps, rads")
    parser.add_argument("--rule", action="append", default=[], metavar="ID.PARAM=VALUE", help="override a rule threshold (repeatable)")
    parser.add_argument("--rules", type=Path, metavar="FILE", help="TOML file with rule overrides")


def analysis_from_args(args: argparse.Namespace, path: Path):
    """Read, analyse and score one file with the options of ``add_analysis_options``."""
    from ..workflow import analyze_file

    columns = [c.strip() for c in args.columns.split(",")] if getattr(args, "columns", None) else None
    return analyze_file(
        path,
        exercise=args.exercise,
        protocol=args.protocol,
        format_name=args.format_name,
        columns=columns,
        acc_unit=getattr(args, "acc_unit", None),
        gyr_unit=getattr(args, "gyr_unit", None),
        rule_overrides=args.rule,
        rules_file=args.rules,
    )


def run(args: argparse.Namespace) -> int:
    scored = analysis_from_args(args, args.file)
    history = []
    if args.log:
        from ..log import log_analysis

        history = log_analysis(args.db, scored, protocol=args.protocol, exercise=args.exercise, load_kg=args.load,
                               source=str(args.file))
    if args.csv is not None:
        _output.write_rep_csv(scored, args.csv)
    if args.trace is not None:
        _output.write_trace_csv(scored, args.trace)
    if args.json:
        # stdout carries exactly the rep-table document; training-log findings
        # go to stderr so that piping the JSON into another tool still works.
        json.dump(scored.to_dict(), sys.stdout, indent=None, allow_nan=False)
        sys.stdout.write("\n")
        for item in history:
            print(f"training log: {item}", file=sys.stderr)
        return 0
    _output.print_human(scored, protocol=args.protocol)
    if history:
        print("Training log:")
        for item in history:
            print(f"  - {item}")
    elif args.log:
        print("Training log: sets stored; no history rule was broken.")
    if args.csv is not None:
        print(f"rep table written to {args.csv}")
    if args.trace is not None:
        print(f"trace written to {args.trace}")
    return 0
