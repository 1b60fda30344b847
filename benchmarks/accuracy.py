"""Accuracy of ``eccentric_sense.analysis.analyze`` against the simulator's exact truth.

Runs the analysis over ``benchmark_suite`` (and the third-party-like
``robustness_suite``), matches detected reps to truth reps by the overlap of
their descents, and reports:

* rep precision / recall / F1, overall and per recording;
* mean absolute error of every rep-table quantity over matched reps;
* bottom deceleration: median relative error (and MAE);
* ``uncontrolled_descent`` precision and recall over matched reps;
* everything broken down per condition (rate, sensor, exercise, protocol,
  transport, gyroscope);
* robustness suite: rep-count exactness per set and per recording for
  deadlift vs mixed recordings, the same for a naive accelerometer-peak
  counter (the baseline the analysis must not fall below), and the peak
  lift speed error.

Usage::

    python benchmarks/accuracy.py [--seed 0] [--jobs 2] [--heldout SEED] [--out benchmarks/results]

Writes ``accuracy.md`` and ``accuracy.json`` into ``--out``.  The numbers are
reported, not tuned against: use ``--heldout`` with a fresh seed to check
that they hold on data nobody looked at.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from eccentric_sense import columns as C
from eccentric_sense.analysis import AnalysisSettings, analyze
from eccentric_sense.simulate import BenchmarkCase, benchmark_suite, heldout_suite, robustness_suite

#: Quantities compared rep by rep (mean absolute error).
QUANTITIES = (
    C.ECC_DURATION_S,
    C.ECC_MEAN_VELOCITY,
    C.ECC_PEAK_VELOCITY,
    C.CON_DURATION_S,
    C.CON_MEAN_VELOCITY,
    C.CON_PEAK_VELOCITY,
    C.ROM,
    C.PAUSE_BOTTOM_S,
    C.PAUSE_TOP_S,
)
BREAKDOWN = ("rate", "sensor", "exercise", "protocol", "transport", "gyroscope")
#: Minimum overlap (intersection over union of the descents) for a match.
MIN_IOU = 0.25
NEGATIVE_FIRST = ("negative_only", "pullup_negative")


def _interval(frame: pd.DataFrame) -> np.ndarray:
    """Descent interval of each rep; reps without a descent use their lift."""
    start = frame[C.ECC_START_S].to_numpy(dtype=float)
    end = frame[C.ECC_END_S].to_numpy(dtype=float)
    missing = ~np.isfinite(start)
    start[missing] = frame[C.CON_START_S].to_numpy(dtype=float)[missing]
    end[missing] = frame[C.CON_END_S].to_numpy(dtype=float)[missing]
    return np.column_stack([start, end])


def match_reps(truth: pd.DataFrame, detected: pd.DataFrame) -> list[tuple[int, int]]:
    """Pairs (truth row, detected row) maximising the descent overlap (IoU >= MIN_IOU)."""
    if truth.empty or detected.empty:
        return []
    a, b = _interval(truth), _interval(detected)
    inter = np.clip(np.minimum(a[:, None, 1], b[None, :, 1]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    union = np.maximum(a[:, None, 1], b[None, :, 1]) - np.minimum(a[:, None, 0], b[None, :, 0])
    iou = np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)
    iou = np.nan_to_num(iou)
    rows, cols = linear_sum_assignment(-iou)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if iou[r, c] >= MIN_IOU]


def naive_peak_count(time_s: np.ndarray, acc_mps2: np.ndarray, start_s: float, end_s: float) -> int:
    """The baseline the analysis must beat: peaks of the acceleration magnitude.

    Counts peaks of |a| - g (3 Hz zero-phase low-pass, at least 0.5 g above
    their surroundings, at least 1.2 s apart) between ``start_s`` and
    ``end_s``: every lift pushes |a| above g once.  No orientation, no
    integration, no drift, so no slow descent can fool it, but neither can
    it time or measure anything.  The settings are the best of a small grid
    (cut-off 2-3 Hz, prominence 0.2-0.5 g, spacing 1.2-3 s) on the
    robustness suite itself, so its score there is an upper bound.
    """
    from scipy.signal import butter, find_peaks, sosfiltfilt

    rate = 1.0 / float(np.median(np.diff(time_s)))
    magnitude = np.linalg.norm(acc_mps2, axis=1)
    smooth = sosfiltfilt(butter(2, min(3.0, 0.4 * rate), fs=rate, output="sos"), magnitude - np.median(magnitude))
    inside = (time_s >= start_s) & (time_s <= end_s)
    peaks, _ = find_peaks(np.where(inside, smooth, 0.0), prominence=0.5 * 9.80665, distance=max(int(1.2 * rate), 1))
    return int(peaks.size)


def _run_case(case: BenchmarkCase) -> dict[str, Any]:
    """Simulate, analyse and compare one case (runs in a worker process)."""
    t0 = time.perf_counter()
    sim = case.simulate()
    t1 = time.perf_counter()
    sets = case.kwargs["sets"]
    exercise = case.condition["exercise"]
    protocol = case.condition["protocol"]
    settings = AnalysisSettings(first_phase="eccentric" if protocol in NEGATIVE_FIRST else None)
    error = None
    try:
        result = analyze(sim.recording, exercise=None if exercise == "mixed" else exercise, settings=settings)
        detected = result.reps
        detected_sets = result.sets
    except Exception as exc:  # the benchmark reports crashes instead of stopping
        error = f"{type(exc).__name__}: {exc}"
        detected = pd.DataFrame(columns=list(C.REP_TABLE_COLUMNS))
        detected_sets = pd.DataFrame(columns=list(C.SET_TABLE_COLUMNS))
    t2 = time.perf_counter()
    truth = sim.truth_reps
    pairs = match_reps(truth, detected)
    matched = []
    for ti, di in pairs:
        t_row, d_row = truth.iloc[ti], detected.iloc[di]
        entry = {q: (float(t_row[q]), float(d_row[q])) for q in QUANTITIES + (C.BOTTOM_PEAK_DECEL,)}
        entry["drop_true"] = C.UNCONTROLLED_DESCENT in t_row[C.FLAGS]
        entry["drop_detected"] = C.UNCONTROLLED_DESCENT in (d_row[C.FLAGS] or [])
        matched.append(entry)
    # Per-set rep counts: each truth set against the detected reps inside its span.
    set_counts = []
    naive_counts = []
    for _, s in sim.truth_sets.iterrows():
        inside = _interval(detected)[:, 0] if not detected.empty else np.zeros(0)
        n_detected = int(np.sum((inside >= s[C.SET_START_S] - 2.0) & (inside <= s[C.SET_END_S] + 2.0)))
        set_counts.append((int(s[C.SET_REPS]), n_detected))
        naive = naive_peak_count(sim.recording.time_s, sim.recording.acc_mps2, s[C.SET_START_S] - 2.0, s[C.SET_END_S] + 2.0)
        naive_counts.append((int(s[C.SET_REPS]), naive))
    return {
        "name": case.name,
        "condition": case.condition,
        "n_truth": int(len(truth)),
        "n_detected": int(len(detected)),
        "n_matched": len(pairs),
        "n_truth_sets": int(len(sim.truth_sets)),
        "n_detected_sets": int(len(detected_sets)),
        "set_counts": set_counts,
        "naive_set_counts": naive_counts,
        "matched": matched,
        "error": error,
        "seconds_simulate": t1 - t0,
        "seconds_analyze": t2 - t1,
        "recording_s": float(sim.recording.duration_s),
    }


def _f1(tp: int, n_truth: int, n_detected: int) -> tuple[float, float, float]:
    precision = tp / n_detected if n_detected else (1.0 if n_truth == 0 else 0.0)
    recall = tp / n_truth if n_truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate case results into the reported numbers."""
    tp = sum(r["n_matched"] for r in results)
    n_truth = sum(r["n_truth"] for r in results)
    n_detected = sum(r["n_detected"] for r in results)
    precision, recall, f1 = _f1(tp, n_truth, n_detected)
    matched = [m for r in results for m in r["matched"]]
    mae: dict[str, Any] = {}
    for q in QUANTITIES:
        pairs = np.array([m[q] for m in matched], dtype=float).reshape(-1, 2)
        ok = np.all(np.isfinite(pairs), axis=1)
        mae[q] = {"mae": float(np.mean(np.abs(pairs[ok, 1] - pairs[ok, 0]))) if ok.any() else math.nan,
                  "bias": float(np.mean(pairs[ok, 1] - pairs[ok, 0])) if ok.any() else math.nan,
                  "n": int(ok.sum())}
    decel = np.array([m[C.BOTTOM_PEAK_DECEL] for m in matched], dtype=float).reshape(-1, 2)
    ok = np.all(np.isfinite(decel), axis=1) & (np.abs(decel[:, 0]) > 0)
    decel_rel = float(np.median(np.abs(decel[ok, 1] - decel[ok, 0]) / np.abs(decel[ok, 0]))) if ok.any() else math.nan
    decel_mae = float(np.mean(np.abs(decel[ok, 1] - decel[ok, 0]))) if ok.any() else math.nan
    drop_t = np.array([m["drop_true"] for m in matched], dtype=bool)
    drop_d = np.array([m["drop_detected"] for m in matched], dtype=bool)
    drop_tp = int(np.sum(drop_t & drop_d))
    drop = {
        "true": int(drop_t.sum()),
        "detected": int(drop_d.sum()),
        "precision": drop_tp / int(drop_d.sum()) if drop_d.any() else math.nan,
        "recall": drop_tp / int(drop_t.sum()) if drop_t.any() else math.nan,
    }
    return {
        "recordings": len(results),
        "truth_reps": n_truth,
        "detected_reps": n_detected,
        "matched_reps": tp,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "mae": mae,
        "bottom_decel_median_rel_error": decel_rel,
        "bottom_decel_mae_m_s2": decel_mae,
        "uncontrolled_descent": drop,
        "crashes": [r["name"] for r in results if r["error"]],
        "seconds_analyze": float(sum(r["seconds_analyze"] for r in results)),
        "seconds_recorded": float(sum(r["recording_s"] for r in results)),
    }


def breakdown(results: list[dict[str, Any]], keys: tuple[str, ...] = BREAKDOWN) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key in keys:
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in results:
            groups[r["condition"].get(key, "?")].append(r)
        out[key] = {value: summarise(group) for value, group in sorted(groups.items(), key=lambda kv: _sort_key(kv[0]))}
    return out


def _sort_key(value: str) -> tuple[int, float | str]:
    try:
        return (0, float(value))
    except ValueError:
        return (1, value)


def robustness_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for group in ("deadlift", "mixed"):
        chosen = [r for r in results if r["condition"].get("group") == group]
        sets = [c for r in chosen for c in r["set_counts"]]
        peak = np.array([m[C.CON_PEAK_VELOCITY] for r in chosen for m in r["matched"]], dtype=float).reshape(-1, 2)
        ok = np.all(np.isfinite(peak), axis=1)
        out[group] = {
            "recordings": len(chosen),
            "recordings_exact_count": sum(1 for r in chosen if r["n_truth"] == r["n_detected"]),
            "sets": len(sets),
            "sets_exact_count": sum(1 for t, d in sets if t == d),
            "naive_sets_exact_count": sum(1 for r in chosen for t, d in r.get("naive_set_counts", []) if t == d),
            "summary": summarise(chosen),
            "peak_lift_speed_mae_m_s": float(np.mean(np.abs(peak[ok, 1] - peak[ok, 0]))) if ok.any() else math.nan,
            "peak_lift_speed_median_rel_error": float(np.median(np.abs(peak[ok, 1] - peak[ok, 0]) / peak[ok, 0])) if ok.any() else math.nan,
        }
    return out


def _fmt(value: Any, digits: int = 3) -> str:
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else f"{value:.{digits}f}"
    return str(value)


def to_markdown(report: dict[str, Any]) -> str:
    lines = ["# Analysis accuracy on simulated recordings", ""]
    lines.append(f"Suite `{report['suite']}` seed {report['seed']}, {report['overall']['recordings']} recordings, "
                 f"{report['sets']} sets; analysis {report['overall']['seconds_analyze']:.1f} s for "
                 f"{report['overall']['seconds_recorded'] / 60:.1f} min of recordings; total run {report['seconds_total']:.0f} s.")
    lines.append("")
    o = report["overall"]
    lines += ["## Overall", "", "| metric | value |", "|---|---|",
              f"| rep precision / recall / F1 | {_fmt(o['precision'])} / {_fmt(o['recall'])} / {_fmt(o['f1'])} "
              f"({o['matched_reps']} matched, {o['truth_reps']} true, {o['detected_reps']} detected) |"]
    for q, v in o["mae"].items():
        lines.append(f"| MAE {q} (bias) | {_fmt(v['mae'])} ({_fmt(v['bias'])}), n={v['n']} |")
    lines.append(f"| bottom_peak_decel median relative error | {_fmt(o['bottom_decel_median_rel_error'])} "
                 f"(MAE {_fmt(o['bottom_decel_mae_m_s2'])} m/s^2) |")
    d = o["uncontrolled_descent"]
    lines.append(f"| uncontrolled_descent precision / recall | {_fmt(d['precision'])} / {_fmt(d['recall'])} "
                 f"({d['true']} true, {d['detected']} detected among matched reps) |")
    if o["crashes"]:
        lines.append(f"| analysis errors | {', '.join(o['crashes'])} |")
    lines.append("")
    for key, groups in report["breakdown"].items():
        lines += [f"## By {key}", "",
                  "| " + key + " | recs | F1 | ecc_duration MAE s | ecc_mean_v MAE m/s | con_mean_v MAE m/s | rom MAE m | decel med rel | drop P/R |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for value, s in groups.items():
            dd = s["uncontrolled_descent"]
            lines.append(
                f"| {value} | {s['recordings']} | {_fmt(s['f1'])} | {_fmt(s['mae'][C.ECC_DURATION_S]['mae'])} | "
                f"{_fmt(s['mae'][C.ECC_MEAN_VELOCITY]['mae'])} | {_fmt(s['mae'][C.CON_MEAN_VELOCITY]['mae'])} | "
                f"{_fmt(s['mae'][C.ROM]['mae'])} | {_fmt(s['bottom_decel_median_rel_error'])} | "
                f"{_fmt(dd['precision'], 2)}/{_fmt(dd['recall'], 2)} |"
            )
        lines.append("")
    lines += ["## Per recording", "", "| recording | truth reps | detected | matched | F1 | note |", "|---|---|---|---|---|---|"]
    for r in report["cases"]:
        _, _, f1 = _f1(r["n_matched"], r["n_truth"], r["n_detected"])
        lines.append(f"| {r['name']} | {r['n_truth']} | {r['n_detected']} | {r['n_matched']} | {_fmt(f1, 2)} | {r['error'] or ''} |")
    lines.append("")
    if report.get("robustness"):
        lines += ["## Robustness suite (third-party-like: 30-60 Hz host clocks, losses, continuous sets, rotation, walkouts)", "",
                  "| group | recordings exact count | sets exact count | naive peak counter: sets exact | rep F1 | peak lift speed MAE m/s (median rel) | ecc_duration MAE s |",
                  "|---|---|---|---|---|---|---|"]
        for group, g in report["robustness"].items():
            lines.append(
                f"| {group} | {g['recordings_exact_count']}/{g['recordings']} | {g['sets_exact_count']}/{g['sets']} | "
                f"{g['naive_sets_exact_count']}/{g['sets']} | "
                f"{_fmt(g['summary']['f1'])} | {_fmt(g['peak_lift_speed_mae_m_s'])} ({_fmt(g['peak_lift_speed_median_rel_error'])}) | "
                f"{_fmt(g['summary']['mae'][C.ECC_DURATION_S]['mae'])} |"
            )
        lines += ["", "| recording | truth reps | detected | note |", "|---|---|---|---|"]
        for r in report["robustness_cases"]:
            lines.append(f"| {r['name']} | {r['n_truth']} | {r['n_detected']} | {r['error'] or ''} |")
        lines.append("")
    return "\n".join(lines)


def _run_all(cases: list[BenchmarkCase], jobs: int) -> list[dict[str, Any]]:
    if jobs <= 1:
        return [_run_case(c) for c in cases]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(_run_case, cases))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0, help="suite seed (default 0)")
    parser.add_argument("--heldout", type=int, metavar="SEED", help="use heldout_suite(SEED) instead of benchmark_suite")
    parser.add_argument("--cases", type=int, default=20, help="number of held-out cases (default 20)")
    parser.add_argument("--no-robustness", action="store_true", help="skip the robustness suite")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results", help="output directory")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.heldout is not None:
        cases, suite = heldout_suite(args.heldout, args.cases), f"heldout({args.heldout})"
    else:
        cases, suite = benchmark_suite(args.seed), "benchmark"
    results = _run_all(cases, args.jobs)
    report: dict[str, Any] = {
        "suite": suite,
        "seed": args.seed if args.heldout is None else args.heldout,
        "sets": sum(c.n_sets for c in cases),
        "overall": summarise(results),
        "breakdown": breakdown(results),
        "cases": [{k: v for k, v in r.items() if k != "matched"} for r in results],
    }
    if not args.no_robustness:
        robust = _run_all(robustness_suite(args.seed), args.jobs)
        report["robustness"] = robustness_summary(robust)
        report["robustness_cases"] = [{k: v for k, v in r.items() if k != "matched"} for r in robust]
    report["seconds_total"] = time.perf_counter() - start
    markdown = to_markdown(report)
    print(markdown)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "accuracy" if args.heldout is None else f"accuracy_heldout{args.heldout}"
    (args.out / f"{stem}.md").write_text(markdown + "\n", encoding="utf-8")
    (args.out / f"{stem}.json").write_text(json.dumps(report, indent=1, default=_json_default) + "\n", encoding="utf-8")
    return 0


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    raise TypeError(type(value))


if __name__ == "__main__":
    sys.exit(main())
