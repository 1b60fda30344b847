"""Where the descent-time error comes from: the sensor's errors, or the method and the phase definition.

Each recording is analysed as simulated, and simulated again with a
perfect sensor (no noise, offset, sensitivity or cross-axis error, bias
drift or quantisation; the same anti-alias bandwidth).  The motion, the
mounting and the transport (lost packets, host clocks) come from their own
random streams, so they are identical in both runs: what changes is only
what the sensor adds.  The error left with a perfect sensor is the
method's and the phase definition's.  Partial variants take away only the
accelerometer's errors, only the gyroscope's, only the accelerometer's
bias drift, or undo the accelerometer's offsets, gains and cross-axis
terms exactly (what a perfect calibration would do).

The rep table's phases start and end where the bar's speed crosses
0.02 m/s.  A 10 s negative over a short range cruises at 0.02-0.03 m/s,
so a speed error of a few mm/s moves such a phase's start or end by
seconds: the table also gives the share of the error in reps whose true
mean descent speed is under 0.03 m/s, and in reps off by more than 0.5 s.

Usage::

    python benchmarks/error_budget.py [--draws 11 12 ...] [--out benchmarks/results]

The default set is the development draws 11-50 (``heldout_suite(seed)``,
800 recordings): what the method was tuned on, where its errors are known
to be largest.  About sixteen minutes on two cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from eccentric_sense import columns as C
from eccentric_sense.constants import STANDARD_GRAVITY
from eccentric_sense.simulate.sensor import IDEAL, sensor_preset
from eccentric_sense.simulate.session import SimulatedRecording
from eccentric_sense.simulate.suites import BenchmarkCase, heldout_suite

sys.path.insert(0, str(Path(__file__).resolve().parent))
from accuracy import NEGATIVE_FIRST, _f1, _run_case  # noqa: E402  (the accuracy benchmark's own case runner)

#: Reps whose true mean descent speed is under this sit near the 0.02 m/s phase boundary.
NEAR_BOUNDARY_M_S = 0.03
#: A descent off by more than this is a misplaced phase boundary, not measurement noise.
LARGE_ERROR_S = 0.5


#: Sensor variants: the fields of the sensor model set to zero.  The cross-axis
#: terms are one field shared by both sensors in the model, so the partial
#: variants keep them (``perfect sensor`` has none).
ACCELEROMETER_ERRORS = ("acc_noise_ug_rthz", "acc_bias_mg", "acc_bias_max_mg", "acc_scale", "acc_drift_mg")
GYROSCOPE_ERRORS = (
    "gyr_noise_mdps_rthz", "gyr_bias_dps", "gyr_bias_max_dps", "gyr_scale", "gyr_drift_dps", "gyr_g_sensitivity_dps_per_g",
)
VARIANTS: dict[str, tuple[str, ...]] = {
    "perfect accelerometer": ACCELEROMETER_ERRORS,
    "perfect gyroscope": GYROSCOPE_ERRORS,
    "accelerometer without bias drift": ("acc_drift_mg",),
}
#: The accelerometer's offsets, gains and cross-axis terms undone exactly (from the simulator's record of them).
EXACT_CALIBRATION = "accelerometer offsets and gains undone exactly"


def perfect_sensor(case: BenchmarkCase) -> BenchmarkCase:
    """The same case recorded by an error-free sensor with the same bandwidth."""
    real = sensor_preset(case.kwargs["sensor"])
    ideal = replace(IDEAL, bandwidth_fraction=real.bandwidth_fraction, max_bandwidth_hz=real.max_bandwidth_hz)
    return BenchmarkCase(case.name, case.condition, {**case.kwargs, "sensor": ideal})


def without_errors(case: BenchmarkCase, fields: tuple[str, ...]) -> BenchmarkCase:
    """The same case recorded by its sensor with the given error terms set to zero.

    The simulator draws an error term only when its size is not zero, so
    the remaining terms are drawn anew (with the same statistics): such a
    variant compares with the original as an average, not rep by rep.
    """
    real = sensor_preset(case.kwargs["sensor"])
    return BenchmarkCase(case.name, case.condition, {**case.kwargs, "sensor": replace(real, **dict.fromkeys(fields, 0.0))})


@dataclass
class _CalibratedCase(BenchmarkCase):
    """A case whose accelerometer readings are corrected by the simulator's true offset and error matrix."""

    def simulate(self) -> SimulatedRecording:
        sim = super().simulate()
        errors = sim.spec["realised"]["sensor_errors"]["acc"]
        offset = np.asarray(errors["bias"]) * STANDARD_GRAVITY
        matrix = (np.eye(3) + np.asarray(errors["cross_axis"])) @ np.diag(1.0 + np.asarray(errors["scale"]))
        acc = (sim.recording.acc_mps2 - offset) @ np.linalg.inv(matrix).T
        return replace(sim, recording=replace(sim.recording, acc_mps2=acc))


def _run_variants(case: BenchmarkCase) -> dict[str, dict[str, Any]]:
    runs = {"as simulated": _run_case(case), "perfect sensor": _run_case(perfect_sensor(case))}
    for name, fields in VARIANTS.items():
        runs[name] = _run_case(without_errors(case, fields))
    runs[EXACT_CALIBRATION] = _run_case(_CalibratedCase(case.name, case.condition, case.kwargs))
    return runs


def _descent_rows(results: list[dict[str, Any]]) -> np.ndarray:
    """``(k, 3)`` true and measured descent duration and true mean descent speed of the matched reps."""
    rows = np.array(
        [(*m[C.ECC_DURATION_S], m[C.ECC_MEAN_VELOCITY][0]) for r in results for m in r["matched"]], dtype=float
    ).reshape(-1, 3)
    return rows[np.all(np.isfinite(rows[:, :2]), axis=1)]


def _miscounted(results: list[dict[str, Any]]) -> int:
    """Reps missed plus reps found that are not in the truth."""
    return sum((r["n_truth"] - r["n_matched"]) + (r["n_detected"] - r["n_matched"]) for r in results)


def budget(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Rep F1 and descent-duration error of a list of ``_run_case`` results, with the error's shares."""
    _, _, f1 = _f1(sum(r["n_matched"] for r in results), sum(r["n_truth"] for r in results),
                   sum(r["n_detected"] for r in results))
    rows = _descent_rows(results)
    error = np.abs(rows[:, 1] - rows[:, 0])
    total = float(error.sum())
    near = rows[:, 2] < NEAR_BOUNDARY_M_S
    large = error > LARGE_ERROR_S
    return {
        "recordings": len(results),
        "f1": f1,
        "miscounted_reps": _miscounted(results),
        "reps": int(error.size),
        "descent_mae_s": float(error.mean()) if error.size else float("nan"),
        "descent_error_sum_s": total,
        "near_boundary_reps": int(near.sum()),
        "near_boundary_share": float(error[near].sum() / total) if total else float("nan"),
        "large_error_reps": int(large.sum()),
        "large_error_share": float(error[large].sum() / total) if total else float("nan"),
    }


def _recording_error(result: dict[str, Any]) -> list[float]:
    """Summed descent-duration error (s) and miscounted reps of one ``_run_case`` result."""
    rows = _descent_rows([result])
    return [round(float(np.abs(rows[:, 1] - rows[:, 0]).sum()), 3), _miscounted([result])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="*", default=list(range(11, 51)), help="development draws (20 cases each)")
    parser.add_argument("--out", type=Path, default=None, help="directory for error_budget.md and error_budget.json")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    cases = [c for s in args.draws for c in heldout_suite(s)]
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        runs = list(pool.map(_run_variants, cases, chunksize=1))
    variants = list(runs[0]) if runs else []

    def chosen(variant: str, gyro: str, negative: bool | None = None) -> list[dict[str, Any]]:
        return [
            run[variant] for run, case in zip(runs, cases)
            if case.condition.get("gyroscope") == gyro
            and (negative is None or (case.condition.get("protocol") in NEGATIVE_FIRST) == negative)
        ]

    summary: dict[str, Any] = {"recordings": len(cases), "draws": args.draws}
    lines = [
        "# Error budget: the sensor's errors against the method's",
        "",
        f"{len(cases)} recordings (development draws {args.draws[0]}-{args.draws[-1]}), each analysed as simulated "
        "and again with the sensor's errors taken away in part or in full (same motion, mounting and transport); "
        f"{time.perf_counter() - start:.0f} s. The partial variants draw the remaining errors' noise anew "
        "(same statistics): compare them as averages.",
        "",
        f"| gyroscope | sensor | recordings | rep F1 | miscounted reps | descent MAE | share of the error in reps under "
        f"{NEAR_BOUNDARY_M_S} m/s | share in reps off by > {LARGE_ERROR_S} s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for gyro in ("yes", "no"):
        for variant in variants:
            if gyro == "no" and variant == "perfect gyroscope":
                continue  # no gyroscope to make perfect
            row = budget(chosen(variant, gyro))
            summary[f"gyroscope {gyro}, {variant}"] = row
            lines.append(
                f"| {gyro} | {variant} | {row['recordings']} | {row['f1']:.3f} | {row['miscounted_reps']} | "
                f"{row['descent_mae_s']:.3f} s | {100 * row['near_boundary_share']:.0f} % ({row['near_boundary_reps']} of "
                f"{row['reps']} reps) | {100 * row['large_error_share']:.0f} % ({row['large_error_reps']} reps) |"
            )
    lines += [
        "",
        "Descent MAE by the kind of set (negative-only and pull-up negative sets: 10 s descents from a hand-off):",
        "",
        "| gyroscope | kind of set | reps | as simulated | perfect sensor |",
        "|---|---|---|---|---|",
    ]
    for gyro in ("yes", "no"):
        for label, negative in (("negative-only", True), ("all others", False)):
            real = budget(chosen("as simulated", gyro, negative))
            perfect = budget(chosen("perfect sensor", gyro, negative))
            summary[f"gyroscope {gyro}, {label} sets"] = {"as simulated": real, "perfect sensor": perfect}
            lines.append(
                f"| {gyro} | {label} | {real['reps']} | {real['descent_mae_s']:.3f} s | {perfect['descent_mae_s']:.3f} s |"
            )
    # Per recording, for finding the fragile ones: descent error (s) and miscounted reps in each variant.
    summary["per_recording"] = {
        case.name: {variant: _recording_error(run[variant]) for variant in variants} for run, case in zip(runs, cases)
    }
    text = "\n".join(lines)
    print(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "error_budget.md").write_text(text + "\n", encoding="utf-8")
        (args.out / "error_budget.json").write_text(json.dumps(summary) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
