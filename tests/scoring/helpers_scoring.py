"""Hand-built rep tables, set tables and kinematics for rule tests.

The expected outcomes in the tests follow from the rule definitions applied
to these inputs, never from running the code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from eccentric_sense import columns as C
from eccentric_sense.pipeline.types import Kinematics

RATE_HZ = 100.0


def rep_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A rep table with every column; unspecified values are harmless defaults.

    Reps of a set are laid out one after another (descent then lift), so
    times are consistent; ``rep`` numbers restart in every set.
    """
    out = []
    counters: dict[int, int] = {}
    clock = 1.0
    for row in rows:
        s = int(row.get(C.SET, 1))
        counters[s] = counters.get(s, 0) + 1
        ecc = float(row.get(C.ECC_DURATION_S, 3.5))
        con = float(row.get(C.CON_DURATION_S, 1.0))
        start = float(row.get(C.ECC_START_S, clock))
        full = {
            C.SET: s,
            C.REP: counters[s],
            C.ECC_START_S: start,
            C.ECC_END_S: start + ecc if math.isfinite(ecc) else math.nan,
            C.ECC_DURATION_S: ecc,
            C.ECC_MEAN_VELOCITY: 0.4 / ecc if ecc else math.nan,
            C.ECC_PEAK_VELOCITY: 0.6 / ecc if ecc else math.nan,
            C.BOTTOM_PEAK_DECEL: 1.0,
            C.CON_START_S: start + ecc + 0.3,
            C.CON_END_S: start + ecc + 0.3 + con,
            C.CON_DURATION_S: con,
            C.CON_MEAN_VELOCITY: 0.4,
            C.CON_PEAK_VELOCITY: 0.6,
            C.ROM: 0.4,
            C.PAUSE_BOTTOM_S: 0.3,
            C.PAUSE_TOP_S: 1.0,
            C.TEMPO: "3-0-1-1",
            C.CONTROL_SCORE: math.nan,
            C.FLAGS: [],
        }
        full.update({k: v for k, v in row.items() if k not in (C.REP,)})
        out.append(full)
        clock = start + (ecc if math.isfinite(ecc) else 0) + con + 2.0
    frame = pd.DataFrame(out, columns=list(C.REP_TABLE_COLUMNS))
    return frame


def set_table(reps: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for s, members in reps.groupby(C.SET):
        ecc = members[C.ECC_DURATION_S]
        rows.append({
            C.SET: int(s),
            C.SET_START_S: float(members[C.ECC_START_S].min()),
            C.SET_END_S: float(members[C.CON_END_S].max()),
            C.SET_REPS: int(len(members)),
            C.SET_FIRST_PHASE: "eccentric",
            C.SET_TIME_UNDER_LOAD_S: float(ecc.sum()),
            C.SET_MEAN_ECC_DURATION_S: float(ecc.mean()),
            C.SET_MEAN_ECC_VELOCITY: float(members[C.ECC_MEAN_VELOCITY].mean()),
            C.SET_MEAN_CON_VELOCITY: float(members[C.CON_MEAN_VELOCITY].mean()),
            C.SET_VELOCITY_LOSS_PCT: 0.0,
            C.SET_FLAGS: [],
        })
    return pd.DataFrame(rows, columns=list(C.SET_TABLE_COLUMNS))


def kinematics(
    velocity: np.ndarray,
    *,
    acc_lp: np.ndarray | None = None,
    horizontal: np.ndarray | None = None,
    still: np.ndarray | None = None,
    rate_hz: float = RATE_HZ,
) -> Kinematics:
    velocity = np.asarray(velocity, dtype=float)
    n = velocity.size
    if acc_lp is None:
        acc_lp = np.gradient(velocity) * rate_hz
    return Kinematics(
        time_s=np.arange(n) / rate_hz,
        sample_rate_hz=rate_hz,
        vertical_acc_mps2=np.asarray(acc_lp, dtype=float),
        vertical_acc_lp_mps2=np.asarray(acc_lp, dtype=float),
        velocity_m_s=velocity,
        displacement_m=np.cumsum(velocity) / rate_hz,
        horizontal_acc_mps2=np.full(n, np.nan) if horizontal is None else np.asarray(horizontal, float),
        still=np.abs(velocity) < 1e-9 if still is None else np.asarray(still, bool),
        gap=np.zeros(n, dtype=bool),
    )


@dataclass
class FakeResult:
    """The parts of an AnalysisResult that scoring reads."""

    reps: pd.DataFrame
    sets: pd.DataFrame
    kinematics: Kinematics | None = None
    exercise: str | None = None

    def to_dict(self) -> dict[str, Any]:
        def clean(v: Any) -> Any:
            if isinstance(v, float) and not math.isfinite(v):
                return None
            if isinstance(v, (np.integer,)):
                return int(v)
            if isinstance(v, (np.floating,)):
                return None if not np.isfinite(v) else float(v)
            if isinstance(v, list):
                return [clean(x) for x in v]
            return v

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [{k: clean(v) for k, v in r.items()} for r in frame.to_dict(orient="records")]

        return {"recording": {"source": "hand-built"}, "sets": records(self.sets), "reps": records(self.reps)}


def result(rows: list[dict[str, Any]], **kwargs: Any) -> FakeResult:
    reps = rep_table(rows)
    return FakeResult(reps=reps, sets=set_table(reps), **kwargs)
