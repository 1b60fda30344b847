"""``eccentric-sense log``: list or export the training log."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import ConfigError


def add_db_option(parser: argparse.ArgumentParser, *, sub: bool = False) -> None:
    """``--db PATH`` (default: ``$ECCENTRIC_SENSE_DB`` or the user data dir).

    ``sub=True`` for a sub-parser's copy of the option, so that it does not
    reset a ``--db`` given before the action.
    """
    parser.add_argument(
        "--db", type=Path, metavar="PATH", default=argparse.SUPPRESS if sub else None,
        help="training-log database (default: $ECCENTRIC_SENSE_DB or your user data directory)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "log",
        help="list or export the training log (sets stored by analyze --log)",
        description="List or export the sets stored in the training log.",
    )
    add_db_option(parser)
    actions = parser.add_subparsers(dest="log_action", metavar="ACTION")
    listing = actions.add_parser("list", help="list the logged sets (default)")
    add_db_option(listing, sub=True)
    listing.add_argument("--json", action="store_true", help="print JSON lines instead of a table")
    listing.add_argument("--limit", type=int, metavar="N", help="only the last N sets")
    export = actions.add_parser("export", help="write the log to a CSV or JSON file")
    add_db_option(export, sub=True)
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--csv", type=Path, metavar="OUT", help="one row per set")
    target.add_argument("--json", type=Path, metavar="OUT", help="every set with its rep table ('-': stdout)")
    export.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    parser.set_defaults(func=run, log_action=None, json=False, limit=None)


def _db_path(args: argparse.Namespace) -> Path:
    from ..log import default_db_path

    return args.db if args.db is not None else default_db_path()


def run(args: argparse.Namespace) -> int:
    from ..log import TrainingLog, logged_sets_frame

    path = _db_path(args)
    if not path.exists():
        raise ConfigError(f"{path}: no training log yet (store sets with: eccentric-sense analyze FILE --log)")
    action = args.log_action or "list"
    if action == "export":
        out: Path = args.csv if args.csv is not None else args.json
        to_stdout = args.json is not None and str(args.json) == "-"
        if not to_stdout and out.exists() and not args.overwrite:
            raise ConfigError(f"{out}: already exists (use --overwrite to replace it)")
    with TrainingLog(path) as log:
        sets = log.sets(with_rep_tables=action == "export" and args.json is not None)
    if action == "list":
        if args.limit is not None:
            sets = sets[-args.limit:] if args.limit > 0 else []
        if args.json:
            for item in sets:
                sys.stdout.write(json.dumps(item.to_dict()) + "\n")
            return 0
        if not sets:
            print(f"{path}: the training log is empty")
            return 0
        frame = logged_sets_frame(sets)
        frame["started_at"] = frame["started_at"].str.slice(0, 19).str.replace("T", " ")
        frame["flags"] = frame["flags"].map(lambda f: ", ".join(f) if f else "")
        print(frame.drop(columns=["source"]).to_string(index=False, na_rep="-"))
        return 0
    if args.csv is not None:
        frame = logged_sets_frame(sets)
        frame["flags"] = frame["flags"].map(lambda f: ";".join(f))
        try:
            frame.to_csv(args.csv, index=False)
        except OSError as error:
            raise ConfigError(f"{args.csv}: cannot write ({error.strerror})") from None
        print(f"{len(sets)} sets written to {args.csv}", file=sys.stderr)
        return 0
    document = [item.to_dict() for item in sets]
    if to_stdout:
        json.dump(document, sys.stdout)
        sys.stdout.write("\n")
        return 0
    try:
        args.json.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{args.json}: cannot write ({error.strerror})") from None
    print(f"{len(sets)} sets written to {args.json}", file=sys.stderr)
    return 0
