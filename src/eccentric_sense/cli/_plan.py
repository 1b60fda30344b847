"""``eccentric-sense plan``: suggested load, sets, reps, descent time and rest."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..scoring.catalog import PROTOCOLS, Catalog


def add_criteria_options(parser: argparse.ArgumentParser) -> None:
    """``--rules FILE`` and repeatable ``--rule ID.PARAM=VALUE`` (same names as ``analyze``)."""
    parser.add_argument("--rules", type=Path, metavar="FILE", help="TOML file with rule overrides")
    parser.add_argument(
        "--rule", action="append", default=[], metavar="ID.PARAM=VALUE",
        help="override a rule threshold (repeatable)",
    )


def catalog_from_args(args: argparse.Namespace) -> Catalog:
    """The criteria catalog with ``--rules`` / ``--rule`` applied (ConfigError if invalid)."""
    from ..scoring.catalog import load_catalog

    return load_catalog(getattr(args, "rules", None), overrides=getattr(args, "rule", None) or None)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="suggest a load, sets, reps, descent time and rest for a protocol",
        description=(
            "Suggest what to put on the bar for a negative-training protocol, from your "
            "normal working weight (and your one-rep max, if you know it)."
        ),
    )
    parser.add_argument("--protocol", required=True, choices=PROTOCOLS, help="training protocol")
    parser.add_argument(
        "--working-weight", required=True, type=float, metavar="KG",
        help="the weight of your ordinary sets of this exercise (about your 8-rep weight), kg",
    )
    parser.add_argument("--one-rep-max", type=float, metavar="KG", help="your one-rep max, kg")
    parser.add_argument(
        "--faded", action="store_true",
        help="your last set's control faded (control_fading): suggest a lighter load",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_criteria_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..scoring.load import plan

    suggestion = plan(
        args.protocol,
        args.working_weight,
        args.one_rep_max,
        last_set_faded=args.faded,
        catalog=catalog_from_args(args),
    )
    if args.json:
        json.dump(suggestion.to_dict(), sys.stdout)
        sys.stdout.write("\n")
    else:
        print("\n".join(suggestion.lines()))
    return 0
