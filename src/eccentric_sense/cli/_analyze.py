"""``eccentric-sense analyze``: a recording in, the rep table out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..constants import EXERCISES
from ..errors import ConfigError
from . import _output

PROTOCOL_IDS = (
    "tempo",
    "negative_only",
    "negative_emphasized",
    "negative_accentuated",
    "heavy_negatives",
    "beyond_failure",
    "forced_positive",
    "forced_negative",
    "pullup_negative",
)


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
    parser.set_defaults(func=run)


def add_analysis_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by analyze, report and demo."""
    parser.add_argument("--exercise", choices=EXERCISES, help="exercise hint (the rep order is read from the data)")
    parser.add_argument("--protocol", default="tempo", choices=PROTOCOL_IDS, help="training protocol (default: tempo)")
    parser.add_argument("--format", dest="format_name", metavar="NAME", help="force a file layout (see docs/recording-format.md)")
    parser.add_argument("--rule", action="append", default=[], metavar="ID.PARAM=VALUE", help="override a rule threshold (repeatable)")
    parser.add_argument("--rules", type=Path, metavar="FILE", help="TOML file with rule overrides")


def run(args: argparse.Namespace) -> int:
    from ..workflow import analyze_file

    scored = analyze_file(
        args.file,
        exercise=args.exercise,
        protocol=args.protocol,
        format_name=args.format_name,
        rule_overrides=args.rule,
        rules_file=args.rules,
    )
    if args.csv is not None:
        _output.write_rep_csv(scored, args.csv)
    if args.json:
        json.dump(scored.to_dict(), sys.stdout, indent=None, allow_nan=False)
        sys.stdout.write("\n")
        return 0
    _output.print_human(scored, protocol=args.protocol)
    if args.csv is not None:
        print(f"rep table written to {args.csv}")
    return 0
