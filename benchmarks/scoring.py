"""Acceptance benchmark of the coaching rules on held-out simulated recordings.

Every case is simulated, written as a canonical CSV and run through exactly
what ``eccentric-sense analyze FILE --protocol ID --json`` runs
(``workflow.analyze_file`` then ``scoring.score``).  The truth comes from the
rule definitions applied to the simulator's exact kinematics (dense true
velocity and 10 Hz low-passed acceleration, true phase boundaries), with a
margin around each threshold where the truth is ambiguous: reps inside the
margin are left out of that rule's count.

Reported per rule (ecc_too_fast, uncontrolled_descent, hard_bottom,
late_braking): precision and recall over the reps matched between analysis
and truth (target >= 0.85), and recall counting truth reps the analysis did
not find as misses.  And: in each set, do flawed reps score lower than clean
reps?

Usage::

    python benchmarks/scoring.py [--seed 2026] [--cases 24] [--flaw-cases 16] [--json OUT]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from eccentric_sense import columns as C
from eccentric_sense.constants import STANDARD_GRAVITY
from eccentric_sense.io import write_recording
from eccentric_sense.scoring import ScoredAnalysis, default_catalog, score
from eccentric_sense.scoring import rep_rules as R
from eccentric_sense.simulate import SetSpec, heldout_suite, simulate_session
from eccentric_sense.simulate.suites import BenchmarkCase
from eccentric_sense.workflow import analyze_file

RULES = ("ecc_too_fast", "uncontrolled_descent", "hard_bottom", "late_braking")
TARGET = 0.85
#: The simulator's "normal" protocol has no eccentric target; the CLI default is tempo.
PROTOCOL_FOR = {"normal": "tempo"}


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    missed_positive: int = 0  # truth positives with no matching analysed rep
    ambiguous: int = 0

    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    def recall_end_to_end(self) -> float:
        positives = self.tp + self.fn + self.missed_positive
        return self.tp / positives if positives else float("nan")


@dataclass
class Totals:
    tallies: dict[str, Tally] = field(default_factory=lambda: {r: Tally() for r in RULES})
    #: The same rules on the analysis's kinematics but with the true phase boundaries:
    #: isolates the signal and the rules from rep segmentation.
    oracle: dict[str, Tally] = field(default_factory=lambda: {r: Tally() for r in RULES})
    truth_reps: int = 0
    matched_reps: int = 0
    extra_reps: int = 0
    set_pairs: int = 0
    set_pairs_ordered: int = 0
    flawed_scores: list[float] = field(default_factory=list)
    clean_scores: list[float] = field(default_factory=list)
    cases: int = 0
    seconds: float = 0.0


def truth_verdicts(sim: Any, protocol: str) -> dict[str, np.ndarray]:
    """Per truth rep and rule: 1 (broken), 0 (fine) or -1 (inside the margin)."""
    catalog = default_catalog()
    reps = sim.truth_reps
    truth = sim.truth
    n = len(reps)
    time_s = truth.time_s
    starts, ends = R.phase_indices(time_s, reps[C.ECC_START_S].to_numpy(float), reps[C.ECC_END_S].to_numpy(float))
    ends = np.minimum(ends + 1, time_s.size)  # the truth's phase end sample is inclusive
    rate = float(truth.rate_hz)
    out: dict[str, np.ndarray] = {}

    # ecc_too_fast: 5 % margin around the protocol's target.
    target = catalog.rule("ecc_too_fast").params[protocol]
    ecc = reps[C.ECC_DURATION_S].to_numpy(float)
    if target.unit == "s":
        limit = np.full(n, target.value)
    else:
        limit = target.value * reps[C.CON_DURATION_S].to_numpy(float)
    verdict = np.where(ecc < 0.95 * limit, 1, np.where(ecc >= 1.05 * limit, 0, -1))
    out["ecc_too_fast"] = np.where(np.isfinite(limit), verdict, -1)

    # uncontrolled_descent: sure if it also holds at 0.55 g for 130 ms; sure not
    # if it fails at 0.45 g for 70 ms.
    rule = catalog.rule("uncontrolled_descent")
    acc_g, dur = rule.value("acc_g"), rule.value("min_duration_s")
    strong = R.longest_run_s(R.drop_mask(truth.a_lp_m_s2, acc_g=acc_g + 0.05), rate, starts, ends) >= dur + 0.03
    weak = R.longest_run_s(R.drop_mask(truth.a_lp_m_s2, acc_g=acc_g - 0.05), rate, starts, ends) >= dur - 0.03
    out["uncontrolled_descent"] = np.where(strong, 1, np.where(~weak, 0, -1))

    # hard_bottom: 0.5 m/s^2 margin.
    limit_hb = catalog.value("hard_bottom", "max_decel_m_s2")
    decel = reps[C.BOTTOM_PEAK_DECEL].to_numpy(float)
    out["hard_bottom"] = np.where(decel > limit_hb + 0.5, 1, np.where(decel <= limit_hb - 0.5, 0, -1))

    # late_braking: peak position and speed ratio, each with a margin.
    rule = catalog.rule("late_braking")
    last, ratio_limit = rule.value("last_fraction"), rule.value("speed_ratio")
    verdict = np.full(n, -1)
    for i in range(n):
        down = -truth.v_m_s[starts[i]:ends[i]]
        if down.size < 4:
            continue
        position = int(np.argmax(down)) / down.size
        first_half = float(np.median(down[: down.size // 2]))
        ratio = float(down.max()) / first_half if first_half > 0 else np.inf
        late = 1 - last
        if position >= late + 0.05 and ratio > ratio_limit * 1.1:
            verdict[i] = 1
        elif position < late - 0.05 or ratio <= ratio_limit * 0.9:
            verdict[i] = 0
    out["late_braking"] = verdict
    return out


def match_reps(truth: pd.DataFrame, found: pd.DataFrame) -> np.ndarray:
    """Index into ``found`` of the rep matching each truth rep (-1: none)."""
    t_start = truth[C.ECC_START_S].to_numpy(float)
    t_dur = truth[C.ECC_DURATION_S].to_numpy(float)
    f_start = found[C.ECC_START_S].to_numpy(float)
    f_end = found[C.ECC_END_S].to_numpy(float)
    out = np.full(len(truth), -1)
    taken: set[int] = set()
    for i in range(len(truth)):
        if not np.isfinite(t_start[i]) or not len(found):
            continue
        tolerance = max(0.3, 0.15 * t_dur[i])
        gaps = np.abs(f_start - t_start[i]) + np.abs(f_end - (t_start[i] + t_dur[i]))
        gaps = np.where(np.isfinite(gaps), gaps, np.inf)
        j = int(np.argmin(gaps))
        if gaps[j] <= 2 * tolerance and j not in taken:
            out[i] = j
            taken.add(j)
    return out


def oracle_reps(sim: Any, result: Any) -> pd.DataFrame:
    """The truth's rep table with the signal-derived column recomputed from the analysis kinematics."""
    reps = sim.truth_reps.copy()
    kin = result.kinematics
    start, end = R.phase_indices(kin.time_s, reps[C.ECC_START_S].to_numpy(float), reps[C.ECC_END_S].to_numpy(float))
    decel = np.full(len(reps), np.nan)
    for i in range(len(reps)):  # rep-table definition: last max(30 %, 0.5 s) of the descent
        duration = reps[C.ECC_DURATION_S].iloc[i]
        if not np.isfinite(duration) or end[i] <= start[i]:
            continue
        w0 = kin.index_at(reps[C.ECC_END_S].iloc[i] - max(0.3 * duration, 0.5))
        decel[i] = float(np.max(kin.vertical_acc_lp_mps2[w0:end[i]]))
    reps[C.BOTTOM_PEAK_DECEL] = decel
    reps[C.FLAGS] = [[] for _ in range(len(reps))]
    return reps


def _count(tally: Tally, verdict: int, flagged: bool | None) -> None:
    if verdict < 0:
        tally.ambiguous += 1
    elif flagged is None:
        tally.missed_positive += int(verdict == 1)
    elif verdict == 1:
        tally.tp += int(flagged)
        tally.fn += int(not flagged)
    else:
        tally.fp += int(flagged)
        tally.tn += int(not flagged)


def run_case(case: BenchmarkCase, protocol_sim: str, folder: Path, totals: Totals) -> dict[str, Any]:
    sim = case.simulate()
    protocol = PROTOCOL_FOR.get(protocol_sim, protocol_sim)
    path = folder / f"{case.name}.csv"
    write_recording(sim.recording, path, overwrite=True)
    outcome = analyze_file(path, protocol=protocol)
    scored = outcome if isinstance(outcome, ScoredAnalysis) else score(outcome, protocol=protocol)
    found = scored.reps
    truth = sim.truth_reps
    verdicts = truth_verdicts(sim, protocol)
    matches = match_reps(truth, found)
    totals.truth_reps += len(truth)
    totals.matched_reps += int((matches >= 0).sum())
    totals.extra_reps += len(found) - int((matches >= 0).sum())
    found_flags = [set(f) for f in found[C.FLAGS]]
    for rule in RULES:
        for i, j in enumerate(matches):
            _count(totals.tallies[rule], verdicts[rule][i], None if j < 0 else rule in found_flags[j])
    analysis = scored.analysis
    oracle = score(dataclasses.replace(analysis, reps=oracle_reps(sim, analysis), sets=sim.truth_sets),
                   protocol=protocol)
    for rule in RULES:
        for i, flags in enumerate(oracle.reps[C.FLAGS]):
            _count(totals.oracle[rule], verdicts[rule][i], rule in flags)
    # Flawed vs clean reps of the same set (truth decides which is which).
    any_flaw = np.zeros(len(truth), bool)
    all_clean = np.ones(len(truth), bool)
    for rule in RULES:
        any_flaw |= verdicts[rule] == 1
        all_clean &= verdicts[rule] == 0
    scores = found[C.CONTROL_SCORE].to_numpy(float)
    for s in np.unique(truth[C.SET]):
        members = (truth[C.SET] == s).to_numpy() & (matches >= 0)
        flawed = scores[matches[members & any_flaw]]
        clean = scores[matches[members & all_clean]]
        totals.flawed_scores.extend(flawed.tolist())
        totals.clean_scores.extend(clean.tolist())
        for f in flawed:
            totals.set_pairs += clean.size
            totals.set_pairs_ordered += int((f < clean).sum())
    totals.cases += 1
    return {"case": case.name, "truth_reps": len(truth), "found_reps": len(found)}


def flaw_cases(seed: int, n_cases: int) -> list[tuple[BenchmarkCase, str]]:
    """Held-out cases rich in the four flaws (random exercise, protocol, sensor, rate)."""
    rng = np.random.default_rng([seed, 911])
    cases = []
    exercises = ["bench", "squat", "rdl", "press", "curl", "row", "pullup", "dip"]
    for k in range(n_cases):
        exercise = str(rng.choice(exercises))
        protocol = str(rng.choice(["tempo", "heavy_negatives", "negative_emphasized", "forced_negative"]))
        n_reps = int(rng.integers(4, 8))
        flaws = {
            i: [str(rng.choice(["drop", "late_braking", "hard_bottom", "too_fast"]))]
            for i in range(n_reps) if rng.random() < 0.45
        }
        spec = SetSpec(exercise, protocol, n_reps=n_reps, flaws=flaws, roll_deg=float(rng.uniform(0, 40)))
        rate = float(rng.choice([50, 100, 200, 400]))
        sensor = str(rng.choice(["mpu6050", "bmi270", "icm42688"]))
        case = BenchmarkCase(
            f"flaws{seed}-{k:02d}-{exercise}-{protocol}-{rate:g}hz-{sensor}",
            {"exercise": exercise, "protocol": protocol, "rate": f"{rate:g}", "sensor": sensor},
            dict(sets=[spec], seed=int(rng.integers(0, 2**31 - 1)), sample_rate_hz=rate, sensor=sensor),
        )
        cases.append((case, protocol))
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=2026, help="held-out seed (not used in any test)")
    parser.add_argument("--cases", type=int, default=24, help="random held-out recordings")
    parser.add_argument("--flaw-cases", type=int, default=16, help="flaw-rich held-out recordings")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the numbers as JSON")
    args = parser.parse_args(argv)

    totals = Totals()
    started = time.perf_counter()
    cases = [(c, c.condition["protocol"]) for c in heldout_suite(args.seed, args.cases)]
    cases += flaw_cases(args.seed, args.flaw_cases)
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        for case, protocol in cases:
            if protocol == "mixed":
                continue
            try:
                run_case(case, protocol, Path(folder), totals)
            except Exception as error:  # a benchmark reports failures, it does not stop on them
                failures.append(f"{case.name}: {type(error).__name__}: {error}")
    totals.seconds = time.perf_counter() - started

    report: dict[str, Any] = {
        "seed": args.seed,
        "cases": totals.cases,
        "failed_cases": failures,
        "truth_reps": totals.truth_reps,
        "matched_reps": totals.matched_reps,
        "extra_reps_found": totals.extra_reps,
    }
    print(f"scoring benchmark: seed {args.seed}, {totals.cases} recordings, {totals.truth_reps} truth reps, "
          f"{totals.matched_reps} matched, {totals.extra_reps} extra reps found, {len(failures)} failed cases, "
          f"{totals.seconds:.0f} s")
    for title, tallies, key in (
        ("end to end (analysis segmentation; P/R over matched reps)", totals.tallies, "rules"),
        ("true phase boundaries, analysis signal", totals.oracle, "rules_true_phases"),
    ):
        print(title)
        print(f"  {'rule':22s} {'TP':>4s} {'FP':>4s} {'FN':>4s} {'TN':>5s} {'miss':>4s} {'amb':>4s} "
              f"{'precision':>9s} {'recall':>7s} {'recall(e2e)':>11s}")
        report[key] = {}
        for rule, tally in tallies.items():
            p, r, r2 = tally.precision(), tally.recall(), tally.recall_end_to_end()
            ok = "ok" if p >= TARGET and r >= TARGET else "below target"
            print(f"  {rule:22s} {tally.tp:4d} {tally.fp:4d} {tally.fn:4d} {tally.tn:5d} {tally.missed_positive:4d} "
                  f"{tally.ambiguous:4d} {p:9.3f} {r:7.3f} {r2:11.3f}  {ok}")
            report[key][rule] = {
                "tp": tally.tp, "fp": tally.fp, "fn": tally.fn, "tn": tally.tn,
                "missed_positive": tally.missed_positive, "ambiguous": tally.ambiguous,
                "precision": p, "recall": r, "recall_end_to_end": r2,
            }
    ordered = totals.set_pairs_ordered / totals.set_pairs if totals.set_pairs else float("nan")
    flawed = float(np.mean(totals.flawed_scores)) if totals.flawed_scores else float("nan")
    clean = float(np.mean(totals.clean_scores)) if totals.clean_scores else float("nan")
    print(f"flawed vs clean reps of the same set: {totals.set_pairs_ordered}/{totals.set_pairs} pairs ordered "
          f"({ordered:.3f}); mean control_score flawed {flawed:.1f}, clean {clean:.1f}")
    report["score_ordering"] = {
        "pairs": totals.set_pairs, "ordered": totals.set_pairs_ordered, "fraction": ordered,
        "mean_flawed": flawed, "mean_clean": clean,
    }
    for line in failures:
        print(f"FAILED {line}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
