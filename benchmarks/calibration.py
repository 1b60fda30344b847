"""How well the accelerometer's axes are equalised, against the simulator's true sensor errors.

For every recording the quiet readings are found exactly as the analysis
finds them (``regularize_timebase``, ``QuietDetector``), and
``fit_axis_sensitivity`` estimates per-axis gains.  The simulator knows the
sensor's true error matrix ``M = (I + cross-axis) diag(1 + scale)``, so for
each orientation the recording rests in, the corrected reading of 1 g is
``|gains * (M f)|`` for the true unit specific force ``f``.  A perfect
correction makes it the same in every orientation; the figure reported is
its spread (3rd to 97th percentile, relative to the median) over the
orientations of each recording, with and without the correction, counting
the per-axis sensitivities only (what the fit models) and the cross-axis
terms too.

Usage::

    python benchmarks/calibration.py [--draws 11 12 13 14] [--out benchmarks/results]

The default set is the one the fit was developed on: the benchmark and
robustness suites and development draws 11-14 (222 recordings).
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

from eccentric_sense.pipeline.calibration import QuietDetector, fit_axis_sensitivity, quiet_piece_means
from eccentric_sense.pipeline.timebase import regularize_timebase
from eccentric_sense.simulate.suites import BenchmarkCase, benchmark_suite, heldout_suite, robustness_suite


def _spread(gains: np.ndarray, error_matrix: np.ndarray, force_unit: np.ndarray) -> float:
    reading = np.linalg.norm((force_unit @ error_matrix.T) * gains, axis=1)
    reading /= np.median(reading)
    return float(np.percentile(reading, 97) - np.percentile(reading, 3))


def evaluate(case: BenchmarkCase) -> dict[str, Any] | None:
    """Spread of the reading of 1 g over one recording's quiet orientations."""
    sim = case.simulate()
    recording = sim.recording
    uniform = regularize_timebase(recording.time_s, recording.acc_mps2, recording.gyr_rads, max_interp_gap_s=0.1)
    fs = uniform.sample_rate_hz
    quiet = QuietDetector().detect(uniform.acc_mps2, uniform.gyr_rads, fs).quiet_ & ~uniform.gap
    means, lengths = quiet_piece_means(uniform.acc_mps2, quiet, fs)
    if len(means) == 0:
        return None
    _, gains = fit_axis_sensitivity(uniform.acc_mps2, quiet, fs, piece_means=(means, lengths))
    errors = sim.spec["realised"]["sensor_errors"]["acc"]
    scale_only = np.diag(1.0 + np.asarray(errors["scale"]))
    full = (np.eye(3) + np.asarray(errors["cross_axis"])) @ scale_only
    # True specific-force directions of the quiet pieces (readings mapped back).
    force = means @ np.linalg.inv(full).T
    force /= np.linalg.norm(force, axis=1, keepdims=True)
    return {
        "recording": case.name,
        "gyroscope": case.condition.get("gyroscope"),
        "fitted": bool(np.any(gains != 1.0)),
        "scale_only": {"uncorrected": _spread(np.ones(3), scale_only, force), "corrected": _spread(gains, scale_only, force)},
        "with_cross_axis": {"uncorrected": _spread(np.ones(3), full, force), "corrected": _spread(gains, full, force)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="*", default=[11, 12, 13, 14], help="development draws to include (40 cases each)")
    parser.add_argument("--out", type=Path, default=None, help="directory for calibration.md and calibration.json")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    cases = list(benchmark_suite()) + list(robustness_suite()) + [c for s in args.draws for c in heldout_suite(s, 40)]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        rows = [row for row in pool.map(evaluate, cases) if row is not None]
    lines = [
        "# Axis calibration against the true sensor errors",
        "",
        f"{len(rows)} recordings (benchmark and robustness suites, development draws {args.draws}); "
        f"the fit was applied on {sum(r['fitted'] for r in rows)}; {time.perf_counter() - start:.0f} s.",
        "",
        "Spread of the reading of 1 g over each recording's quiet orientations (3rd-97th percentile, relative), mean over recordings:",
        "",
        "| true errors counted | uncorrected | corrected | recordings made worse (by > 0.2 %) | worst corrected |",
        "|---|---|---|---|---|",
    ]
    summary: dict[str, Any] = {"recordings": len(rows), "fitted": sum(r["fitted"] for r in rows)}
    for key, label in (("scale_only", "per-axis sensitivity"), ("with_cross_axis", "sensitivity and cross-axis")):
        before = np.array([r[key]["uncorrected"] for r in rows])
        after = np.array([r[key]["corrected"] for r in rows])
        worse = int(np.sum(after > before + 0.002))
        summary[key] = {"uncorrected": before.mean(), "corrected": after.mean(), "worse": worse, "worst": after.max()}
        lines.append(f"| {label} | {100 * before.mean():.2f} % | {100 * after.mean():.2f} % | {worse} | {100 * after.max():.1f} % |")
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "calibration.md").write_text(text + "\n", encoding="utf-8")
        (args.out / "calibration.json").write_text(json.dumps({"summary": summary, "recordings": rows}, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
