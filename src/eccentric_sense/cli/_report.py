"""``eccentric-sense report``: HTML session report with charts, or training-log trends."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import ConfigError
from ._analyze import add_analysis_options
from ._log import add_db_option


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write an HTML report with charts (one or more recordings, or --history)",
        description=(
            "Analyse recordings and write DIR/report.html with the set tables, a tempo chart and a "
            "summary chart per set (also as PNG files) and the coaching advice; or, with --history, "
            "write DIR/history.html with weekly trends from the training log."
        ),
    )
    parser.add_argument("files", nargs="*", type=Path, metavar="FILE", help="recording(s) of one session")
    add_analysis_options(parser)
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory (created if missing)")
    parser.add_argument("--pdf", action="store_true", help="also write DIR/report.pdf with every chart")
    parser.add_argument("--embed", action="store_true",
                        help="put the charts inside report.html too (one file to send; larger)")
    parser.add_argument("--history", action="store_true", help="trends from the training log instead of recordings")
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.history:
        if args.files:
            raise ConfigError("report --history reads the training log; give no recording files with it")
        from ..log import default_db_path
        from ..report import write_history_report

        path = write_history_report(args.db if args.db is not None else default_db_path(), args.out, pdf=args.pdf)
        print(f"history report written to {path}")
        return 0
    if not args.files:
        raise ConfigError("report needs at least one recording FILE (or --history for training-log trends)")
    if args.db is not None:
        raise ConfigError("--db is only used with --history")
    from ..report import write_report

    path = write_report(
        args.files,
        args.out,
        protocol=args.protocol,
        exercise=args.exercise,
        pdf=args.pdf,
        embed=args.embed,
        format_name=args.format_name,
        rule_overrides=args.rule,
        rules_file=args.rules,
    )
    print(f"report written to {path}")
    return 0
