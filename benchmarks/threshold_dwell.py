"""Negative-only descents whose speed passes the 0.02 m/s phase threshold slowly.

A phase starts and ends where the bar's speed crosses 0.02 m/s.  When the
true speed stays within a few mm/s of that threshold for a second or more
(a slow start from the hand-off, or a cruise at the threshold), a velocity
error of a few mm/s moves the phase's start or end by seconds, and the
truth itself may split the descent.  This benchmark measures, over the
negative-only sets of the development draws, the share of the reps that
do so and the share of the descent-time error they carry, and the error
per accelerometer (whose noise sets the velocity error).

For every matched rep: the time the true downward speed spends within
``BAND_M_S`` of the threshold, from ``LEAD_S`` before the earlier of the
true and measured descent starts to the later of their ends.  A rep
"dwells" when that time exceeds ``DWELL_S``.

Usage::

    python benchmarks/threshold_dwell.py [--draws 11 12 ...] [--out benchmarks/results]

The default set is the development draws 11-50 (``heldout_suite(seed)``,
their 156 negative-only recordings).  About a minute on two cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from eccentric_sense import columns as C
from eccentric_sense.analysis import AnalysisSettings, analyze
from eccentric_sense.constants import PHASE_SPEED_THRESHOLD_M_S
from eccentric_sense.simulate import BenchmarkCase, heldout_suite

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import match_reps  # noqa: E402  (the accuracy benchmark's rep matching)

BAND_M_S = 0.006
DWELL_S = 1.0
LEAD_S = 3.0
PROTOCOL = "negative_only"


def _run_case(case: BenchmarkCase) -> list[dict[str, Any]]:
    """Descent-time error and threshold dwell of every matched rep (runs in a worker process)."""
    sim = case.simulate()
    result = analyze(sim.recording, exercise=case.condition["exercise"], settings=AnalysisSettings(first_phase="eccentric"))
    truth, found = sim.truth_reps, result.reps
    time_s, speed_down = sim.truth.time_s, -sim.truth.v_m_s
    rows = []
    for ti, di in match_reps(truth, found):
        t, d = truth.iloc[ti], found.iloc[di]
        bounds = [t[C.ECC_START_S], d[C.ECC_START_S], t[C.ECC_END_S], d[C.ECC_END_S]]
        if not np.all(np.isfinite(bounds)):
            continue
        around = (time_s >= min(bounds[:2]) - LEAD_S) & (time_s <= max(bounds[2:]))
        near = np.abs(speed_down[around] - PHASE_SPEED_THRESHOLD_M_S) < BAND_M_S
        rows.append({
            "recording": case.name,
            "sensor": case.condition["sensor"],
            "gyroscope": case.condition["gyroscope"],
            "error_s": abs(float(d[C.ECC_DURATION_S]) - float(t[C.ECC_DURATION_S])),
            "dwell_s": float(near.sum()) / sim.truth.rate_hz,
        })
    return rows


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Shares of reps and of error for reps that dwell, and the error per sensor, with and without a gyroscope."""
    report: dict[str, Any] = {}
    for gyroscope in ("yes", "no"):
        mine = [r for r in rows if r["gyroscope"] == gyroscope]
        if not mine:
            continue
        error = np.array([r["error_s"] for r in mine])
        dwells = np.array([r["dwell_s"] for r in mine]) > DWELL_S
        sensors = sorted({r["sensor"] for r in mine})
        report[f"gyroscope {gyroscope}"] = {
            "reps": len(mine),
            "descent_mae_s": float(error.mean()),
            "dwelling_reps": int(dwells.sum()),
            "dwelling_share_of_reps": float(dwells.mean()),
            "dwelling_share_of_error": float(error[dwells].sum() / error.sum()) if error.sum() > 0 else 0.0,
            "dwelling_mae_s": float(error[dwells].mean()) if dwells.any() else float("nan"),
            "other_mae_s": float(error[~dwells].mean()) if (~dwells).any() else float("nan"),
            "by_sensor_mae_s": {
                s: float(np.mean([r["error_s"] for r in mine if r["sensor"] == s])) for s in sensors
            },
            "by_sensor_reps": {s: sum(r["sensor"] == s for r in mine) for s in sensors},
        }
    return report


def to_markdown(report: dict[str, Any], draws: list[int], n_recordings: int, seconds: float) -> str:
    lines = [
        "# Negative-only descents near the 0.02 m/s phase threshold",
        "",
        f"Draws {draws[0]}-{draws[-1]}, {n_recordings} negative-only recordings; a rep dwells when its true "
        f"downward speed spends more than {DWELL_S:g} s within {1000 * BAND_M_S:g} mm/s of "
        f"{PHASE_SPEED_THRESHOLD_M_S:g} m/s around its descent. Run {seconds:.0f} s.",
        "",
        "| | reps | descent MAE | reps that dwell | their share of the error | MAE, dwelling / others |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in report.items():
        lines.append(
            f"| {name} | {r['reps']} | {r['descent_mae_s']:.3f} s | {r['dwelling_reps']} "
            f"({100 * r['dwelling_share_of_reps']:.0f} %) | {100 * r['dwelling_share_of_error']:.0f} % | "
            f"{r['dwelling_mae_s']:.3f} / {r['other_mae_s']:.3f} s |"
        )
    lines += ["", "Descent MAE per accelerometer:", "", "| | " + " | ".join(next(iter(report.values()))["by_sensor_mae_s"]) + " |"]
    lines.append("|---|" + "---|" * len(next(iter(report.values()))["by_sensor_mae_s"]))
    for name, r in report.items():
        cells = [f"{r['by_sensor_mae_s'][s]:.3f} s ({r['by_sensor_reps'][s]} reps)" for s in r["by_sensor_mae_s"]]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=list(range(11, 51)), help="heldout_suite seeds")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--out", type=Path, default=None, help="directory for threshold_dwell.md / .json")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    cases = [c for seed in args.draws for c in heldout_suite(seed) if c.condition["protocol"] == PROTOCOL]
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = [row for case_rows in pool.map(_run_case, cases, chunksize=2) for row in case_rows]
    report = summarise(rows)
    markdown = to_markdown(report, args.draws, len(cases), time.perf_counter() - started)
    print(markdown, end="")
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "threshold_dwell.md").write_text(markdown)
        (args.out / "threshold_dwell.json").write_text(json.dumps({"draws": args.draws, "report": report, "reps": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
