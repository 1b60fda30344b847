"""Load guidance (rule ``load_guidance``): what to put on the bar for a protocol.

All percentages come from the catalog's ``load_guidance`` parameters and the
descent targets from ``ecc_too_fast``; loads are rounded to 0.5 kg.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import ConfigError
from .catalog import Catalog, load_catalog

__all__ = ["LoadPlan", "plan"]

_PLATE_STEP_KG = 0.5


def _kg(value: float) -> float:
    return round(value / _PLATE_STEP_KG) * _PLATE_STEP_KG


@dataclass(frozen=True)
class LoadPlan:
    """Suggested load and set structure for one protocol.

    Loads are in kg; ``None`` where the sources give no number.
    """

    protocol: str
    load_kg: float
    load_min_kg: float
    load_max_kg: float
    basis: str
    sets: str | None
    reps: str | None
    descent: str
    rest_s: float | None
    notes: list[str] = field(default_factory=list)
    sources: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sources"] = list(self.sources)
        return data

    def lines(self) -> list[str]:
        """Human-readable lines (the ``plan`` command prints these)."""
        out = [
            f"protocol: {self.protocol}",
            f"load: {self.load_kg:g} kg (range {self.load_min_kg:g}-{self.load_max_kg:g} kg; {self.basis})",
            f"descent: {self.descent}",
        ]
        if self.reps:
            out.append(f"reps: {self.reps}")
        if self.sets:
            out.append(f"sets: {self.sets}")
        if self.rest_s is not None:
            out.append(f"rest between sets: {self.rest_s:g} s")
        out.extend(f"note: {note}" for note in self.notes)
        out.append(f"sources: {', '.join(self.sources)}")
        return out


def _check_weight(name: str, value: float | None, *, allow_zero: bool = False) -> None:
    if value is None:
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a number of kg, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ConfigError(f"{name} must be {'>= 0' if allow_zero else '> 0'} kg, got {value:g}")


def plan(
    protocol: str,
    working_weight_kg: float,
    one_rep_max_kg: float | None = None,
    last_set_faded: bool = False,
    *,
    catalog: Catalog | None = None,
) -> LoadPlan:
    """Suggested load, sets, reps, descent time and rest for ``protocol``.

    Parameters
    ----------
    protocol
        A protocol id (``negative_only``, ``heavy_negatives``...).
    working_weight_kg
        The weight you use for ordinary sets of the exercise (about your
        8-rep weight).  For ``pullup_negative``: the added weight (0 for none).
    one_rep_max_kg
        Your one-rep max, if known: heavy negatives are then capped relative to it.
    last_set_faded
        True if the last set's control faded (``control_fading``): the
        suggestion is lowered by ``load_guidance.fade_reduction``.
    """
    catalog = catalog or load_catalog()
    catalog.protocol(protocol)
    _check_weight("working weight", working_weight_kg, allow_zero=protocol == "pullup_negative")
    _check_weight("one-rep max", one_rep_max_kg)
    if one_rep_max_kg is not None and one_rep_max_kg < working_weight_kg:
        raise ConfigError(
            f"one-rep max ({one_rep_max_kg:g} kg) cannot be below the working weight "
            f"({working_weight_kg:g} kg)"
        )
    g = catalog.rule("load_guidance")
    v = g.value
    target = catalog.rule("ecc_too_fast").params[protocol]
    descent = (
        f">= {target.value:g} s per rep" if target.unit == "s"
        else f">= {target.value:g} x the lifting time"
    )
    w = float(working_weight_kg)
    notes: list[str] = []
    sets = reps = None
    rest = None
    sources = catalog.protocol(protocol).sources

    if protocol in ("negative_only", "heavy_negatives"):
        low, high = w * (1 + v("over_working_min")), w * (1 + v("over_working_max"))
        suggested = w * (1 + v("over_working_typical"))
        basis = (
            f"working weight +{v('over_working_min'):.0%} to +{v('over_working_max'):.0%}"
        )
        if one_rep_max_kg is not None:
            cap = one_rep_max_kg * (1 + v("over_1rm_max"))
            if protocol == "heavy_negatives":
                low = one_rep_max_kg * (1 + v("over_1rm_elite_min"))
                basis = f"one-rep max +{v('over_1rm_elite_min'):.0%} to +{v('over_1rm_max'):.0%}"
            high = min(high, cap) if protocol == "negative_only" else cap
            low = min(low, high)
            suggested = min(max(suggested, low), high)
            notes.append(
                f"very advanced lifters need only +{v('over_1rm_elite_min'):.0%} to "
                f"+{v('over_1rm_elite_max'):.0%} over the one-rep max "
                f"({_kg(one_rep_max_kg * (1 + v('over_1rm_elite_min'))):g}-"
                f"{_kg(one_rep_max_kg * (1 + v('over_1rm_elite_max'))):g} kg)"
            )
        else:
            notes.append("give your one-rep max to cap the load at about +20% over it")
        if protocol == "heavy_negatives":
            reps = f"<= {int(catalog.value('too_many_reps', 'max_reps'))} per set"
            sets = f"<= {int(catalog.value('sets_per_bodypart', 'max_sets'))} per body part per workout"
            rest = catalog.value("rest_between_sets", "min_rest_s")
            notes.append(
                f"wait >= {catalog.value('recovery_days', 'min_hours'):g} h before training "
                "the same muscle group with negatives again; do them early in the workout"
            )
        else:
            notes.append("a partner, machine or your legs do the lift; return to the top quickly")
            notes.append("hold the weight still after the hand-off before lowering")
        sources = tuple(dict.fromkeys(sources + ("PALUMBO", "BAYE", "SANDLER")))
    elif protocol == "negative_accentuated":
        low, high = w * v("na_fraction_min"), w * v("na_fraction_max")
        suggested = low  # the source advises erring on the lower side
        basis = f"{v('na_fraction_min'):.0%}-{v('na_fraction_max'):.0%} of the working weight"
        reps = "double your usual reps (each limb lowers half of them)"
        notes.append("lift with both limbs, lower with one, alternating; needs a machine with linked arms")
    elif protocol == "forced_positive":
        suggested = w * (1 + v("forced_positive_over_8rm"))
        low = high = suggested
        basis = f"about +{v('forced_positive_over_8rm'):.0%} over your 8-rep weight"
        reps = (
            f"{int(catalog.value('rep_range', 'min_reps'))}-"
            f"{int(catalog.value('rep_range', 'max_reps'))}"
        )
        notes.append("the spotter does most of the lifting")
    elif protocol == "forced_negative":
        suggested = low = high = w
        extra = v("forced_negative_extra")
        basis = "your working weight"
        notes.append(
            f"the spotter pushes about {extra:.0%} extra ({_kg(w * extra):g} kg) on the way down"
        )
    elif protocol == "beyond_failure":
        suggested = low = high = w
        basis = "your working weight (6-10 reps to failure)"
        reps = (
            f"6-10 full reps, then {int(catalog.value('negatives_count', 'min_negatives'))}-"
            f"{int(catalog.value('negatives_count', 'max_negatives'))} assisted negatives"
        )
    elif protocol == "pullup_negative":
        suggested = low = high = w
        basis = "body weight" + (f" + {w:g} kg" if w else "")
        sets = f"{int(catalog.value('pullup_progression', 'sets'))}"
        reps = (
            f"{int(catalog.value('pullup_progression', 'controlled_reps'))}; at 3 x 10 "
            "controlled, start full pull-ups"
        )
        notes.append("start motionless at the top and lower to a dead hang")
    else:  # tempo, negative_emphasized: the sources give no load change
        suggested = low = high = w
        basis = "your working weight (the sources give no change)"

    if last_set_faded:
        cut = v("fade_reduction")
        suggested *= 1 - cut
        low = min(low, suggested)
        notes.insert(0, f"control faded in the last set: {cut:.0%} lighter than planned")

    return LoadPlan(
        protocol=protocol,
        load_kg=_kg(suggested),
        load_min_kg=_kg(low),
        load_max_kg=_kg(high),
        basis=basis,
        sets=sets,
        reps=reps,
        descent=descent,
        rest_s=rest,
        notes=notes,
        sources=sources,
    )
