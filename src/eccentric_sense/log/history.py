"""Session and history rules, evaluated on the training log.

Workouts are not declared: sets further apart than the catalog setting
``workout_gap_min`` belong to different workouts.  Every rule here looks at
the sets just stored (``new_ids``) against everything logged before them.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..scoring.catalog import Catalog
from ..scoring.score import Advice
from .db import LoggedSet

__all__ = ["workout_ids", "history_advice"]


def workout_ids(sets: Sequence[LoggedSet], *, gap_s: float) -> np.ndarray:
    """Workout number (0, 1, ...) of each set; ``sets`` must be in time order."""
    if not sets:
        return np.zeros(0, dtype=int)
    starts = np.array([s.started_s for s in sets])
    ends = np.array([s.ended_s for s in sets])
    # Gap to the latest end so far (a long set can overlap a later short one).
    latest_end = np.maximum.accumulate(ends)
    new_workout = np.concatenate(([False], starts[1:] - latest_end[:-1] > gap_s))
    return np.cumsum(new_workout)


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.0f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def history_advice(
    sets: Sequence[LoggedSet],
    new_ids: Sequence[int],
    catalog: Catalog,
    *,
    set_labels: dict[int, int] | None = None,
) -> list[Advice]:
    """Findings of the history rules for the sets ``new_ids``.

    Parameters
    ----------
    sets
        Every logged set (at least the last weeks), in time order, including the new ones.
    new_ids
        Ids of the sets just stored.
    catalog
        The criteria catalog (thresholds, protocols, body parts).
    set_labels
        Optional ``{log id: set number in the recording}`` for the advice's ``set`` field.
    """
    labels = set_labels or {}
    ordered = sorted(sets, key=lambda s: (s.started_s, s.id))
    workout = workout_ids(ordered, gap_s=catalog.setting("workout_gap_min") * 60.0)
    position = {s.id: k for k, s in enumerate(ordered)}
    new = sorted((position[i] for i in new_ids if i in position))
    advice: list[Advice] = []
    once: set[tuple[str, int]] = set()  # (rule, workout) already reported

    def add(rule_id: str, k: int, detail: str) -> None:
        rule = catalog.rule(rule_id)
        advice.append(Advice(rule_id, rule.severity, rule.advice, labels.get(ordered[k].id), None, detail))

    def uses(rule_id: str, item: LoggedSet) -> bool:
        return catalog.rule(rule_id).applies_to(item.protocol)

    for k in new:
        cur = ordered[k]
        same_workout = [j for j in range(k) if workout[j] == workout[k]]

        if uses("sets_per_bodypart", cur):
            limit = catalog.value("sets_per_bodypart", "max_sets")
            count = 1 + sum(
                1 for j in same_workout
                if ordered[j].body_part == cur.body_part and uses("sets_per_bodypart", ordered[j])
            )
            if count > limit:
                add("sets_per_bodypart", k, f"set {count} for {cur.body_part} in this workout (limit {limit:g})")

        if uses("rest_between_sets", cur):
            previous = [j for j in same_workout if uses("rest_between_sets", ordered[j])]
            if previous:
                rest = cur.started_s - max(ordered[j].ended_s for j in previous)
                limit = catalog.value("rest_between_sets", "min_rest_s")
                if rest < limit:
                    add("rest_between_sets", k, f"rested {rest:.0f} s (at least {limit:g} s)")

        if uses("recovery_days", cur):
            window = catalog.value("recovery_days", "min_hours") * 3600.0
            earlier = [
                j for j in range(k)
                if workout[j] != workout[k]
                and ordered[j].body_part == cur.body_part
                and uses("recovery_days", ordered[j])
                and cur.started_s - ordered[j].ended_s < window
            ]
            if earlier and ("recovery_days", int(workout[k])) not in once:
                once.add(("recovery_days", int(workout[k])))
                since = cur.started_s - max(ordered[j].ended_s for j in earlier)
                add(
                    "recovery_days", k,
                    f"{cur.body_part} was trained with negatives {_hours(since)} ago "
                    f"(wait {window / 3600:g} h)",
                )

        if uses("frequency", cur) and ("frequency", int(workout[k])) not in once:
            window = int(catalog.value("frequency", "one_in_workouts"))
            recent = {int(workout[k]) - d for d in range(1, window)}
            repeats = sorted({int(workout[j]) for j in range(k) if int(workout[j]) in recent
                              and uses("frequency", ordered[j])})
            if repeats:
                once.add(("frequency", int(workout[k])))
                back = int(workout[k]) - repeats[-1]
                add(
                    "frequency", k,
                    f"also used {back} workout{'s' if back > 1 else ''} ago "
                    f"(at most 1 in {window} workouts)",
                )

        if uses("do_them_fresh", cur):
            others = sum(1 for j in same_workout if ordered[j].exercise != cur.exercise)
            limit = catalog.value("do_them_fresh", "max_earlier_sets")
            if others > limit and ("do_them_fresh", int(workout[k])) not in once:
                once.add(("do_them_fresh", int(workout[k])))
                add("do_them_fresh", k, f"{others} sets of other exercises came first")

    # Pull-up progression: once per workout, when a new set completes the target.
    rule = catalog.rule("pullup_progression")
    need_sets = int(rule.value("sets"))
    need_reps = int(rule.value("controlled_reps"))

    def qualifies(item: LoggedSet) -> bool:
        return (
            rule.applies_to(item.protocol, item.exercise)
            and item.controlled_reps >= need_reps
        )

    for w in sorted({int(workout[k]) for k in new}):
        members = [j for j in range(len(ordered)) if workout[j] == w]
        good = [j for j in members if qualifies(ordered[j])]
        before = [j for j in good if j not in new]
        if len(good) >= need_sets and len(before) < need_sets:
            add(
                "pullup_progression", good[-1],
                f"{len(good)} sets of >= {need_reps} controlled negative pull-ups in this workout",
            )
    return advice
