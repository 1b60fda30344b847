"""Score an analysis against the criteria catalog.

:func:`score` takes what :func:`eccentric_sense.analysis.analyze` returns (or
anything with ``reps``, ``sets`` and optionally ``kinematics`` and
``exercise``), checks every applicable rep and set rule of the catalog for the
chosen protocol, and returns a :class:`ScoredAnalysis`: copies of the tables
with ``control_score`` and ``flags`` filled in, the deductions behind every
score, and advice items for people.

control_score
-------------
Every rep starts at 100.  Each rep rule it breaks deducts points; the rule's
``deduction`` in the catalog is the most it can cost.  A measurement just past
the threshold costs ``settings.deduction_floor`` (0.5) of that, rising
linearly to the full deduction when the measurement is
``settings.full_deduction_excess`` (50 %) beyond the threshold, relative to
the threshold.  Rules with no graded measurement (a fall, a hold that is too
short) always cost the full deduction.  The score is clipped to [0, 100] and
every deduction is listed in :attr:`ScoredAnalysis.deductions` with its rule.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from .. import columns as C
from ..errors import ConfigError
from . import rep_rules as R
from .catalog import Catalog, Rule, load_catalog
from .set_rules import SetFinding, check_control_fading, check_rep_count, trailing_negatives

__all__ = ["Advice", "ScoredAnalysis", "score", "rep_checks", "deduction_points"]

_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Advice:
    """One finding for people: which rule, how serious, what to do, where."""

    rule: str
    severity: str
    text: str
    set: int | None = None
    rep: int | None = None
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def __str__(self) -> str:
        where = ""
        if self.set is not None:
            where = f"set {self.set}" + (f" rep {self.rep}" if self.rep is not None else "") + ": "
        detail = f" ({self.detail})" if self.detail else ""
        return f"[{self.severity}] {where}{self.rule}{detail}: {self.text}"


@dataclass
class ScoredAnalysis:
    """An analysis scored for one protocol.

    Attributes
    ----------
    analysis
        A copy of the analysis result whose ``reps`` and ``sets`` are the
        scored tables (so ``analysis.to_dict()`` is the scored JSON).
    protocol, exercise
        What was scored.
    catalog
        The catalog used (with the user's overrides).
    reps, sets
        The scored rep table (``control_score``, ``flags``) and set table (``flags``).
    deductions
        One row per (set, rep, rule) that cost points: columns ``set``,
        ``rep``, ``rule``, ``points``, ``value``, ``threshold``.
    advice
        Advice items, sets and reps in order, then exercise advice.
    checks
        The raw :class:`~eccentric_sense.scoring.rep_rules.RuleCheck` of every
        rep rule that was evaluated.
    """

    analysis: Any
    protocol: str
    exercise: str | None
    catalog: Catalog
    reps: pd.DataFrame
    sets: pd.DataFrame
    deductions: pd.DataFrame
    advice: list[Advice] = field(default_factory=list)
    checks: dict[str, R.RuleCheck] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of the rep-table contract, with the scores and flags."""
        return self.analysis.to_dict()

    def __getattr__(self, name: str) -> Any:
        # recording, kinematics, segments, settings...: those of the analysis.
        if name.startswith("__") or name == "analysis":
            raise AttributeError(name)
        return getattr(self.analysis, name)

    def ecc_target_s(self, set_number: int) -> float:
        """The descent target of a set, s (for ratio protocols: the set's median target)."""
        check = self.checks.get("ecc_too_fast")
        if check is None:
            return float("nan")
        members = (self.reps[C.SET] == set_number).to_numpy() & np.isfinite(check.threshold)
        return float(np.median(check.threshold[members])) if members.any() else float("nan")


def deduction_points(rule: Rule, excess: np.ndarray, catalog: Catalog) -> np.ndarray:
    """Points a rule costs for a relative excess past its threshold (see module docs)."""
    floor = catalog.setting("deduction_floor")
    full_at = catalog.setting("full_deduction_excess")
    excess = np.asarray(excess, dtype=float)
    if full_at > 0:
        ramp = np.clip(np.nan_to_num(excess, nan=0.0, posinf=np.inf) / full_at, 0.0, 1.0)
    else:
        ramp = np.ones_like(excess)
    return rule.deduction * (floor + (1.0 - floor) * ramp)


def _flag_lists(values: Iterable[Any]) -> list[list[str]]:
    out = []
    for value in values:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            out.append([])
        elif isinstance(value, str):
            out.append([value])
        else:
            out.append([str(v) for v in value])
    return out


def _column(reps: pd.DataFrame, name: str) -> np.ndarray:
    return reps[name].to_numpy(dtype=float) if name in reps else np.full(len(reps), np.nan)


def _applies(rule: Rule, protocol: str, exercise: str | None) -> bool:
    if not rule.applies_to(protocol):
        return False
    if "*" in rule.exercises:
        return True
    return exercise in rule.exercises


def rep_checks(
    reps: pd.DataFrame,
    kinematics: Any | None,
    *,
    protocol: str,
    exercise: str | None,
    catalog: Catalog,
) -> dict[str, R.RuleCheck]:
    """Evaluate every applicable rep rule; returns ``{rule_id: RuleCheck}`` in catalog order.

    Rules that need the kinematics are skipped when ``kinematics`` is None,
    except ``uncontrolled_descent``, which then keeps the analysis's own flag.
    """
    sets = reps[C.SET].to_numpy() if C.SET in reps else np.ones(len(reps), int)
    ecc = _column(reps, C.ECC_DURATION_S)
    con = _column(reps, C.CON_DURATION_S)
    have_kin = kinematics is not None and len(reps) > 0
    if have_kin:
        time_s = np.asarray(kinematics.time_s, dtype=float)
        rate = float(kinematics.sample_rate_hz)
        starts, ends = R.phase_indices(time_s, _column(reps, C.ECC_START_S), _column(reps, C.ECC_END_S))

    checks: dict[str, R.RuleCheck] = {}
    for rule in catalog.rules_at("rep"):
        if not _applies(rule, protocol, exercise):
            continue
        p = {name: param.value for name, param in rule.params.items()}
        if rule.id == "ecc_too_fast":
            target = rule.params[protocol]
            judged = None
            if protocol == "beyond_failure":
                negative_min_s = catalog.value("negatives_count", "negative_min_s")
                judged = np.zeros(len(reps), dtype=bool)
                for s in np.unique(sets):
                    members = sets == s
                    judged[members] = trailing_negatives(ecc[members], negative_min_s=negative_min_s)
            kwargs = {"min_s": target.value} if target.unit == "s" else {"min_ratio": target.value}
            checks[rule.id] = R.check_ecc_too_fast(ecc, con, sets, judged=judged, **kwargs)
        elif rule.id == "uncontrolled_descent":
            if have_kin:
                checks[rule.id] = R.check_uncontrolled_descent(
                    kinematics.vertical_acc_lp_mps2, rate, starts, ends,
                    acc_g=p["acc_g"], min_duration_s=p["min_duration_s"],
                )
            else:  # no signal: trust the analysis's flag (same definition)
                existing = np.array([rule.id in f for f in _flag_lists(reps.get(C.FLAGS, [[]] * len(reps)))])
                checks[rule.id] = R.make_check(
                    rule.id, existing, np.isfinite(ecc), np.nan, p["min_duration_s"], np.inf,
                    "s", "free-fall time",
                )
        elif rule.id == "hard_bottom":
            checks[rule.id] = R.check_hard_bottom(
                _column(reps, C.BOTTOM_PEAK_DECEL), max_decel_m_s2=p["max_decel_m_s2"]
            )
        elif rule.id == "late_braking" and have_kin:
            # Speeds are compared within one descent: re-integrate them between the
            # phase's known boundary speeds so drift from outside the phase cannot
            # move the peak.
            velocity = R.phase_velocity(kinematics.vertical_acc_lp_mps2, rate, starts, ends)
            checks[rule.id] = R.check_late_braking(
                velocity, starts, ends,
                last_fraction=p["last_fraction"], speed_ratio=p["speed_ratio"],
                min_gain_m_s=p["min_gain_m_s"],
            )
        elif rule.id == "unsteady_handoff" and have_kin:
            checks[rule.id] = R.check_unsteady_handoff(
                time_s, kinematics.vertical_acc_lp_mps2,
                kinematics.horizontal_acc_mps2, kinematics.still, starts,
                min_hold_s=p["min_hold_s"], noise_multiple=p["noise_multiple"],
                min_motion_m_s2=p["min_motion_m_s2"], onset_guard_s=p["onset_guard_s"],
                movement_m_s2=p["movement_m_s2"],
            )
        elif rule.id == "short_rom":
            checks[rule.id] = R.check_short_rom(
                _column(reps, C.ROM), sets, min_fraction_of_median=p["min_fraction_of_median"]
            )
        elif rule.id == "slow_concentric":
            checks[rule.id] = R.check_slow_concentric(con, max_s=p["max_s"])
        elif rule.id == "swinging" and have_kin:
            if np.isfinite(np.asarray(kinematics.horizontal_acc_mps2, dtype=float)).any():
                checks[rule.id] = R.check_swinging(
                    kinematics.horizontal_acc_mps2, rate, starts, ends,
                    max_rms_m_s2=p["max_rms_m_s2"], hold_s=p["hold_s"],
                )
    return checks


def _fmt(value: float) -> str:
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def _rep_detail(check: R.RuleCheck, i: int) -> str:
    if check.rule == "uncontrolled_descent":
        if np.isfinite(check.value[i]):
            return f"fell for {check.value[i]:.2f} s"
        return "the bar fell"
    if check.rule == "unsteady_handoff" and not np.isfinite(check.excess[i]):
        return "hold before the descent too short"
    if check.rule == "ecc_too_fast":
        return f"descent {_fmt(check.value[i])} s, target >= {_fmt(check.threshold[i])} s"
    relation = "<" if check.rule == "short_rom" else ">"
    return f"{check.what} {_fmt(check.value[i])} {check.unit} {relation} {_fmt(check.threshold[i])}"


def score(
    result: Any,
    *,
    protocol: str = "tempo",
    catalog: Catalog | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | Iterable[str] | None = None,
    exercise: str | None = None,
) -> ScoredAnalysis:
    """Score every rep and set of an analysis for ``protocol``.

    Parameters
    ----------
    result
        An :class:`~eccentric_sense.analysis.AnalysisResult` (or any object with
        ``reps``, ``sets`` and optionally ``kinematics`` and ``exercise``).
    protocol
        One of :data:`~eccentric_sense.scoring.catalog.PROTOCOLS`.
    catalog
        The catalog (default: the shipped one).
    overrides
        Threshold overrides applied on top of ``catalog``
        (``{"rule": {"param": value}}`` or ``["rule.param=value"]``).
    exercise
        Overrides ``result.exercise``.

    Returns
    -------
    ScoredAnalysis
        The input is not modified.
    """
    catalog = (catalog or load_catalog()).with_overrides(overrides)
    catalog.protocol(protocol)  # ConfigError listing the protocols if unknown
    if exercise is None:
        exercise = getattr(result, "exercise", None)
    if exercise is None and protocol == "pullup_negative":
        exercise = "pullup"
    reps_in = getattr(result, "reps", None)
    if not isinstance(reps_in, pd.DataFrame):
        raise ConfigError("score() needs an analysis result with a rep table (.reps DataFrame)")
    reps = reps_in.copy()
    sets = result.sets.copy() if isinstance(getattr(result, "sets", None), pd.DataFrame) else pd.DataFrame(
        columns=list(C.SET_TABLE_COLUMNS)
    )
    n = len(reps)
    existing = _flag_lists(reps[C.FLAGS]) if C.FLAGS in reps else [[] for _ in range(n)]
    kinematics = getattr(result, "kinematics", None)
    checks = rep_checks(reps, kinematics, protocol=protocol, exercise=exercise, catalog=catalog)

    # Flags in catalog order, no duplicates; flags of rules we re-evaluated are
    # replaced by our verdict, anything else the analysis set is kept.
    evaluated = set(checks)
    rule_order = {rid: i for i, rid in enumerate(catalog.rules)}
    set_numbers = reps[C.SET].to_numpy() if C.SET in reps else np.ones(n, int)
    rep_numbers = reps[C.REP].to_numpy() if C.REP in reps else np.arange(1, n + 1)
    flags: list[list[str]] = []
    total = np.zeros(n)
    deduction_rows: list[dict[str, Any]] = []
    rep_advice: list[list[Advice]] = [[] for _ in range(n)]
    points_by_rule = {
        rid: deduction_points(catalog.rules[rid], chk.excess, catalog) for rid, chk in checks.items()
    }
    for i in range(n):  # one iteration per rep: assembling lists, not signal work
        row_flags = [f for f in existing[i] if f not in evaluated]
        for rid, chk in checks.items():
            if not chk.broken[i]:
                continue
            rule = catalog.rules[rid]
            if rule.flag:
                row_flags.append(rid)
            points = float(points_by_rule[rid][i])
            total[i] += points
            deduction_rows.append({
                C.SET: int(set_numbers[i]), C.REP: int(rep_numbers[i]), "rule": rid,
                "points": points, "value": float(chk.value[i]), "threshold": float(chk.threshold[i]),
            })
            rep_advice[i].append(Advice(
                rid, rule.severity, rule.advice, int(set_numbers[i]), int(rep_numbers[i]),
                _rep_detail(chk, i),
            ))
        ordered = sorted(dict.fromkeys(row_flags), key=lambda f: rule_order.get(f, len(rule_order)))
        flags.append(ordered)
    reps[C.CONTROL_SCORE] = np.clip(100.0 - total, 0.0, 100.0) if n else reps.get(C.CONTROL_SCORE)
    if n:
        reps[C.FLAGS] = pd.Series(flags, index=reps.index, dtype=object)

    set_findings, set_advice = _score_sets(reps, sets, protocol, exercise, catalog)
    set_flag_lists = _flag_lists(sets[C.SET_FLAGS]) if C.SET_FLAGS in sets else [[] for _ in range(len(sets))]
    set_index = {int(s): k for k, s in enumerate(sets[C.SET])} if C.SET in sets else {}
    for finding in set_findings:
        k = set_index.get(finding.set)
        if k is not None and catalog.rules[finding.rule].flag and finding.rule not in set_flag_lists[k]:
            set_flag_lists[k].append(finding.rule)
    if len(sets):
        sets[C.SET_FLAGS] = pd.Series(
            [sorted(f, key=lambda r: rule_order.get(r, len(rule_order))) for f in set_flag_lists],
            index=sets.index, dtype=object,
        )

    advice: list[Advice] = []
    for s in (sorted(set_index) if set_index else sorted(set(int(x) for x in set_numbers))):
        advice.extend(a for a in set_advice if a.set == s)
        for i in np.flatnonzero(set_numbers == s):
            advice.extend(sorted(rep_advice[i], key=lambda a: _SEVERITY_ORDER[a.severity]))
    advice.extend(exercise_advice(protocol, exercise, catalog))

    analysis = result
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        analysis = dataclasses.replace(result, reps=reps, sets=sets)
    return ScoredAnalysis(
        analysis=analysis,
        protocol=protocol,
        exercise=exercise,
        catalog=catalog,
        reps=reps,
        sets=sets,
        deductions=pd.DataFrame(
            deduction_rows, columns=[C.SET, C.REP, "rule", "points", "value", "threshold"]
        ),
        advice=advice,
        checks=checks,
    )


def exercise_advice(protocol: str, exercise: str | None, catalog: Catalog) -> list[Advice]:
    """The shown-not-measured advice for this protocol and exercise."""
    return [
        Advice(rule.id, rule.severity, rule.advice)
        for rule in catalog.rules_at("exercise")
        if _applies(rule, protocol, exercise if exercise is not None else "other")
    ]


def _score_sets(
    reps: pd.DataFrame, sets: pd.DataFrame, protocol: str, exercise: str | None, catalog: Catalog
) -> tuple[list[SetFinding], list[Advice]]:
    findings: list[SetFinding] = []
    set_numbers = sorted(int(s) for s in sets[C.SET]) if C.SET in sets and len(sets) else sorted(
        set(int(s) for s in reps[C.SET])
    ) if len(reps) else []
    # The columns once as arrays: a boolean selection and a sort of the frame
    # per set cost more than the rules (an hour of sets: 30 of them).
    set_of_rep = reps[C.SET].to_numpy() if len(reps) else np.empty(0)
    rep_number = reps[C.REP].to_numpy() if len(reps) else np.empty(0)
    ecc_all = reps[C.ECC_DURATION_S].to_numpy(dtype=float) if len(reps) else np.empty(0)
    flags_all = reps[C.FLAGS].tolist() if len(reps) else []
    for s in set_numbers:
        rows = np.flatnonzero(set_of_rep == s)
        rows = rows[np.argsort(rep_number[rows], kind="quicksort")]  # as DataFrame.sort_values
        ecc = ecc_all[rows]
        flags = [flags_all[i] for i in rows]
        for rule in catalog.rules_at("set"):
            if not _applies(rule, protocol, exercise):
                continue
            p = {name: param.value for name, param in rule.params.items()}
            finding: SetFinding | None = None
            if rule.id == "control_fading":
                finding = check_control_fading(
                    s, ecc, flags, counts_flags=rule.counts_flags,
                    min_last_to_first=p["min_last_to_first"], max_flagged_reps=p["max_flagged_reps"],
                )
            elif rule.id == "too_many_reps":
                finding = check_rep_count(rule.id, s, rows.size, low=None, high=p["max_reps"])
            elif rule.id == "negatives_count":
                count = int(trailing_negatives(ecc, negative_min_s=p["negative_min_s"]).sum())
                finding = check_rep_count(
                    rule.id, s, count, low=p["min_negatives"], high=p["max_negatives"], what="negatives"
                )
            elif rule.id == "rep_range":
                finding = check_rep_count(rule.id, s, rows.size, low=p["min_reps"], high=p["max_reps"])
            elif rule.id == "time_under_load":
                tul = float(np.nansum(ecc))
                finding = SetFinding(rule.id, s, tul, "", f"{tul:.1f} s of lowering in {rows.size} reps")
            if finding is not None:
                findings.append(finding)
    advice = [
        Advice(f.rule, catalog.rules[f.rule].severity, catalog.rules[f.rule].advice, f.set, None, f.detail)
        for f in findings
    ]
    return findings, advice
