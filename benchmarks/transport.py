"""What transport damage does to the rep table: lost packets, shared host stamps, blank packets.

Real BLE logs lose packets, stamp the packets of one connection event with
one host time, and deliver lost payloads as rows of zeros.  Each case here
damages a simulated recording in one way and compares the analysis with
the analysis of the intact recording (and with the truth):

* **lost packets at a lift's start**: 2, 3, 5 or 8 consecutive samples
  removed at six points around each of the first five lift starts of a
  two-set bench recording, at 50 and 100 Hz.  A case counts as changed when
  the rep count changes or a rep's range of motion moves by more than 2 cm;
* **shared host stamps**: the device's samples stamped with the time of the
  connection event that delivered them (every 7.5-45 ms), written to CSV
  and read back as the command does; range-of-motion and descent-duration
  error against the truth, intact and stamped;
* **blank packets**: one all-zero row in the middle of every descent at
  60 Hz; range-of-motion change against the intact recording;
* **host-batched fast streams**: 120 four-rep sets at 200, 400 and 1000 Hz
  (five exercise/protocol pairs, three sensors, with and without a
  gyroscope) whose host stamps the samples of each 15 ms connection event
  as it handles them (a tenth of a millisecond apart, 1-5 ms of jitter, up
  to 2 % of samples lost), against the same sets stamped by the device's
  clock, and the host stream again without the 25 Hz low-pass of batched
  samples (``AnalysisSettings.batched_cutoff_hz``): rep counts and descent-duration
  error against the truth.

Usage::

    python benchmarks/transport.py [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from eccentric_sense import columns as C
from eccentric_sense.analysis import AnalysisSettings, analyze
from eccentric_sense.io import write_recording
from eccentric_sense.recording import Recording
from eccentric_sense.simulate import SetSpec, Transport, simulate_session
from eccentric_sense.workflow import analyze_file

ROM_CHANGE_M = 0.02


def _subset(recording: Recording, keep: np.ndarray | slice, time_s: np.ndarray | None = None,
            acc: np.ndarray | None = None) -> Recording:
    gyr = None if recording.gyr_rads is None else recording.gyr_rads[keep]
    return Recording(
        time_s=recording.time_s[keep] if time_s is None else time_s,
        acc_mps2=recording.acc_mps2[keep] if acc is None else acc,
        gyr_rads=gyr, metadata=dict(recording.metadata), source=recording.source,
    )


def _changed(reference: Any, result: Any) -> bool:
    if len(result) != len(reference):
        return True
    return bool(np.nanmax(np.abs(result[C.ROM].to_numpy() - reference[C.ROM].to_numpy())) > ROM_CHANGE_M)


def lost_packets() -> list[dict[str, Any]]:
    sim = simulate_session(
        [SetSpec("bench", "tempo", n_reps=5), SetSpec("bench", "tempo", n_reps=5)],
        rest_s=40.0, sensor="bmi270", sample_rate_hz=200.0, seed=11,
    )
    rows = []
    for step in (4, 2):  # 50 and 100 Hz
        intact = _subset(sim.recording, slice(None, None, step))
        reference = analyze(intact, exercise="bench").reps
        for lost in (2, 3, 5, 8):
            changed = 0
            cases = 0
            for rep in range(5):  # per lift start
                start = int(np.searchsorted(intact.time_s, reference[C.CON_START_S].iloc[rep]))
                for offset in (-3, 0, 3, 6, 9, 12):
                    keep = np.ones(intact.n_samples, dtype=bool)
                    keep[start + offset + np.arange(lost)] = False
                    changed += _changed(reference, analyze(_subset(intact, keep), exercise="bench").reps)
                    cases += 1
            rows.append({"rate_hz": 200.0 / step, "packets_lost": lost, "cases": cases, "changed": changed})
    return rows


def shared_stamps(folder: Path) -> list[dict[str, Any]]:
    rows = []
    for exercise, rate, event_s, seed in (("deadlift", 100.0, 0.045, 4), ("bench", 50.0, 0.030, 3),
                                          ("squat", 200.0, 0.0075, 6)):
        sim = simulate_session([SetSpec(exercise, "tempo", n_reps=5)], sensor="bmi270", sample_rate_hz=rate, seed=seed)
        truth = sim.truth_reps
        host = np.ceil(sim.recording.time_s / event_s - 1e-9) * event_s + 0.012
        row: dict[str, Any] = {"exercise": exercise, "rate_hz": rate, "event_ms": event_s * 1000}
        for name, recording in (("intact", sim.recording), ("stamped", _subset(sim.recording, slice(None), time_s=host))):
            path = folder / f"{exercise}-{name}.csv"
            write_recording(recording, path, overwrite=True)
            result = analyze_file(path, exercise=exercise)
            reps = result.reps
            row[f"{name}_reps"] = len(reps)
            row[f"{name}_analysis_rate_hz"] = round(float(result.kinematics.sample_rate_hz), 1)
            if len(reps) == len(truth):
                row[f"{name}_rom_mae_m"] = float(np.mean(np.abs(reps[C.ROM].to_numpy() - truth[C.ROM].to_numpy())))
                row[f"{name}_descent_mae_s"] = float(
                    np.mean(np.abs(reps[C.ECC_DURATION_S].to_numpy() - truth[C.ECC_DURATION_S].to_numpy())))
        rows.append(row)
    return rows


def blank_packets() -> dict[str, Any]:
    sim = simulate_session([SetSpec("squat", "tempo", n_reps=6)], sensor="mpu6050", sample_rate_hz=60.0, seed=12)
    reference = analyze(sim.recording, exercise="squat").reps
    acc = sim.recording.acc_mps2.copy()
    middles = 0.5 * (reference[C.ECC_START_S] + reference[C.ECC_END_S]).to_numpy()
    acc[np.searchsorted(sim.recording.time_s, middles)] = 0.0
    damaged = analyze(_subset(sim.recording, slice(None), acc=acc), exercise="squat").reps
    same = len(damaged) == len(reference)
    change = float(np.nanmax(np.abs(damaged[C.ROM].to_numpy() - reference[C.ROM].to_numpy()))) if same else None
    return {"reps": len(reference), "reps_damaged": len(damaged), "blank_rows": len(middles), "max_rom_change_m": change}


BATCHED_VARIANTS = ("device", "host", "host_unfiltered")
BATCHED_SETS = (("press", "negative_only"), ("squat", "tempo"), ("bench", "negative_only"),
                ("curl", "heavy_negatives"), ("deadlift", "normal"))


def _batched_case(seed: int) -> dict[str, Any]:
    """One set, stamped by the host and by the device; errors of both against the truth."""
    exercise, protocol = BATCHED_SETS[seed % len(BATCHED_SETS)]
    rng = np.random.default_rng(seed)
    rate = (200.0, 400.0, 1000.0)[(seed // 2) % 3]
    gyroscope = bool(seed % 2)
    jitter_ms, loss = float(rng.uniform(1.0, 5.0)), float(rng.uniform(0.0, 0.02))
    first = "eccentric" if protocol == "negative_only" else None
    row: dict[str, Any] = {"seed": seed, "rate_hz": rate, "gyroscope": gyroscope}
    for clock in BATCHED_VARIANTS:
        transport = Transport(clock="device" if clock == "device" else "host", jitter_ms=jitter_ms, loss_fraction=loss)
        sim = simulate_session([SetSpec(exercise, protocol, n_reps=4)], sensor=("bmi270", "mpu6050", "icm42688")[seed % 3],
                               sample_rate_hz=rate, gyroscope=gyroscope, transport=transport, seed=seed)
        # The ablation: the same host stream without the low-pass of batched samples.
        cutoff = np.inf if clock == "host_unfiltered" else AnalysisSettings.batched_cutoff_hz
        settings = AnalysisSettings(first_phase=first, batched_cutoff_hz=cutoff)
        result = analyze(sim.recording, exercise=exercise, settings=settings)
        truth, reps = sim.truth_reps, result.reps
        row[f"{clock}_exact"] = len(reps) == len(truth)
        row[f"{clock}_input_rate_hz"] = float(result.diagnostics["input_rate_hz"])
        if len(reps) == len(truth):
            row[f"{clock}_descent_errors_s"] = np.abs(
                reps[C.ECC_DURATION_S].to_numpy() - truth[C.ECC_DURATION_S].to_numpy()).tolist()
    return row


def batched_streams(n_sets: int = 120, jobs: int = 2) -> dict[str, Any]:
    with ProcessPoolExecutor(jobs) as pool:
        rows = list(pool.map(_batched_case, range(n_sets), chunksize=4))
    summary: dict[str, Any] = {"sets": n_sets}
    for label, chosen in (("gyroscope", [r for r in rows if r["gyroscope"]]),
                          ("accelerometer only", [r for r in rows if not r["gyroscope"]])):
        item: dict[str, Any] = {"sets": len(chosen)}
        # Descent error over the sets every variant counted exactly, so the columns compare the same reps.
        both = [r for r in chosen if all(r[f"{clock}_exact"] for clock in BATCHED_VARIANTS)]
        for clock in BATCHED_VARIANTS:
            errors = [e for r in both for e in r[f"{clock}_descent_errors_s"]]
            item[f"{clock}_exact"] = sum(r[f"{clock}_exact"] for r in chosen)
            item[f"{clock}_descent_mae_s"] = float(np.nanmean(errors)) if errors else None
        summary[label] = item
    # The input rate the timebase reads from the stamps, against the device's (lost samples count as time).
    summary["host_rate_error_max"] = float(max(abs(r["host_input_rate_hz"] / r["rate_hz"] - 1) for r in rows))
    return summary


def to_markdown(report: dict[str, Any]) -> str:
    lines = ["# Transport damage", "", "## Lost packets at a lift's start", "",
             f"A case is changed when the rep count changes or a rep's range of motion moves by more than "
             f"{ROM_CHANGE_M * 100:.0f} cm.", "",
             "| rate | packets lost | changed cases |", "|---|---|---|"]
    for r in report["lost_packets"]:
        lines.append(f"| {r['rate_hz']:.0f} Hz | {r['packets_lost']} | {r['changed']} of {r['cases']} |")
    total = sum(r["changed"] for r in report["lost_packets"])
    cases = sum(r["cases"] for r in report["lost_packets"])
    lines += [f"| all | | **{total} of {cases}** |", "", "## Shared host stamps (through the CSV reader)", "",
              "| set | event | reps intact / stamped | analysis rate | ROM MAE intact / stamped | descent MAE intact / stamped |",
              "|---|---|---|---|---|---|"]

    def fmt(value: Any, scale: float, digits: int) -> str:
        return "-" if value is None else f"{value * scale:.{digits}f}"

    for r in report["shared_stamps"]:
        lines.append(
            f"| {r['exercise']} {r['rate_hz']:.0f} Hz | {r['event_ms']:.1f} ms | {r['intact_reps']} / {r['stamped_reps']} | "
            f"{r['intact_analysis_rate_hz']} / {r['stamped_analysis_rate_hz']} Hz | "
            f"{fmt(r.get('intact_rom_mae_m'), 100, 1)} / {fmt(r.get('stamped_rom_mae_m'), 100, 1)} cm | "
            f"{fmt(r.get('intact_descent_mae_s'), 1, 3)} / {fmt(r.get('stamped_descent_mae_s'), 1, 3)} s |")
    b = report["blank_packets"]
    lines += ["", "## Blank packets", "",
              f"{b['blank_rows']} all-zero rows, one in the middle of each descent of a 60 Hz squat set: "
              f"{b['reps']} reps intact, {b['reps_damaged']} damaged; largest range-of-motion change "
              f"{fmt(b['max_rom_change_m'], 100, 2)} cm."]
    h = report["batched_streams"]
    lines += ["", "## Host-batched fast streams", "",
              f"{h['sets']} four-rep sets at 200-1000 Hz, each stamped by the host (15 ms connection events, "
              "samples of an event a tenth of a millisecond apart, jitter, loss) and by the device's clock. "
              "The host stream is also analysed without the 25 Hz low-pass of batched samples. "
              "Descent error over the sets all three counted exactly. Largest error of the sample rate "
              f"read from the host's stamps: {100 * h['host_rate_error_max']:.1f} %.", "",
              "| sensor | sets | exact count device / host / host unfiltered | descent MAE device / host / host unfiltered |",
              "|---|---|---|---|"]
    for label in ("gyroscope", "accelerometer only"):
        r = h[label]
        lines.append(f"| {label} | {r['sets']} | {r['device_exact']} / {r['host_exact']} / {r['host_unfiltered_exact']} | "
                     + " / ".join(fmt(r[f"{clock}_descent_mae_s"], 1, 3) for clock in BATCHED_VARIANTS) + " s |")
    lines += ["", f"{report['seconds']:.0f} s."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="output directory for transport.json / transport.md")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        report = {"lost_packets": lost_packets(), "shared_stamps": shared_stamps(Path(folder)),
                  "blank_packets": blank_packets(), "batched_streams": batched_streams()}
    report["seconds"] = time.perf_counter() - started
    text = to_markdown(report)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "transport.json").write_text(json.dumps(report, indent=1) + "\n")
        (args.out / "transport.md").write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
