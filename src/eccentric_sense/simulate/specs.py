"""What to simulate: set and rep specifications, exercise and protocol priors.

Priors come from ``shared/research/algorithms-and-accuracy.md`` section 3 and
the OpenBarbell linear-position-transducer summaries in ``shared/data``
(concentric mean velocity bench ~0.43 m/s, squat ~0.61, deadlift ~0.49,
press ~0.74; ROM bench ~0.27-0.45 m, squat ~0.63, deadlift ~0.45; within-set
velocity CV 5-9 %).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from ..constants import BOTTOM_START_EXERCISES, EXERCISES

__all__ = [
    "RepSpec",
    "SetSpec",
    "ExerciseProfile",
    "EXERCISE_PROFILES",
    "PROTOCOLS",
    "FLAWS",
    "ECC_TARGET",
    "realise_reps",
    "starts_at_top",
]

#: Rep flaws the simulator can produce.
FLAWS = ("drop", "late_braking", "hard_bottom", "too_fast", "short_rom", "stall", "waver")

#: Protocol ids understood by the simulator ("normal" = ordinary reps, no eccentric target).
PROTOCOLS = (
    "normal",
    "tempo",
    "negative_only",
    "negative_emphasized",
    "heavy_negatives",
    "pullup_negative",
    "beyond_failure",
    "forced_positive",
    "forced_negative",
)

#: Eccentric target per protocol (criteria.md): seconds, or ("ratio", r) = ecc >= r * con.
ECC_TARGET: dict[str, float | tuple[str, float]] = {
    "tempo": 3.0,
    "negative_only": 10.0,
    "negative_emphasized": ("ratio", 2.0),
    "heavy_negatives": 3.0,
    "pullup_negative": 3.0,
    "beyond_failure": 6.0,
    "forced_positive": 6.0,
    "forced_negative": 5.0,
}


@dataclass(frozen=True)
class ExerciseProfile:
    """Priors of one exercise (ranges are uniform draws per set)."""

    rom_m: tuple[float, float]
    con_velocity_m_s: tuple[float, float]
    peak_fraction: tuple[float, float]  # where the concentric speed peaks
    horizontal_m: tuple[float, float]  # amplitude of the coupled horizontal path
    path: str  # "j" (monotone with depth) or "arc" (out and back)
    body: bool = False  # sensor on the body (belt): swing instead of bar roll
    floor: bool = False  # the bar rests on the floor between reps
    normal_ecc_s: tuple[float, float] = (0.8, 1.5)
    con_skew: float = 0.5  # concentric push shape (see concentric_shape)
    sticking: float = 0.0  # bench-press sticking region


EXERCISE_PROFILES: dict[str, ExerciseProfile] = {
    # Concentric shapes give peak/mean speed ratios near the OpenBarbell medians
    # (bench ~1.3-1.4 with a sticking region, squat ~1.8, deadlift ~1.85, press ~1.55).
    "bench": ExerciseProfile((0.28, 0.45), (0.33, 0.55), (0.65, 0.8), (0.02, 0.06), "j", normal_ecc_s=(0.6, 1.3),
                             con_skew=0.3, sticking=0.15),
    "squat": ExerciseProfile((0.52, 0.68), (0.46, 0.70), (0.65, 0.85), (0.01, 0.03), "j", normal_ecc_s=(0.9, 1.6),
                             con_skew=0.65),
    "deadlift": ExerciseProfile((0.42, 0.56), (0.38, 0.56), (0.6, 0.8), (0.02, 0.05), "j", floor=True,
                                normal_ecc_s=(0.7, 1.4), con_skew=0.72),
    "rdl": ExerciseProfile((0.35, 0.50), (0.45, 0.70), (0.55, 0.75), (0.02, 0.05), "j", normal_ecc_s=(1.0, 1.8)),
    "curl": ExerciseProfile((0.35, 0.46), (0.45, 0.75), (0.5, 0.7), (0.10, 0.16), "arc", normal_ecc_s=(0.9, 1.6)),
    "press": ExerciseProfile((0.42, 0.60), (0.50, 0.85), (0.35, 0.55), (0.03, 0.06), "arc", normal_ecc_s=(0.8, 1.4),
                             con_skew=0.45),
    "row": ExerciseProfile((0.22, 0.35), (0.55, 0.90), (0.5, 0.7), (0.03, 0.08), "j", normal_ecc_s=(0.7, 1.3)),
    "pullup": ExerciseProfile((0.45, 0.60), (0.35, 0.60), (0.5, 0.7), (0.0, 0.0), "j", body=True, normal_ecc_s=(1.0, 2.0)),
    "dip": ExerciseProfile((0.30, 0.45), (0.35, 0.60), (0.5, 0.7), (0.0, 0.0), "j", body=True, normal_ecc_s=(0.9, 1.6)),
}


@dataclass
class RepSpec:
    """One rep as it will be simulated (all durations are movement times).

    The truth (rep table) is measured on the resulting motion with the
    0.02 m/s phase definition, so its durations are slightly shorter than
    these movement times.

    Attributes
    ----------
    ecc_s, con_s
        Movement time of the lowering and the lifting, s.
    rom_m
        Vertical range of this rep, m.
    pause_bottom_s
        Hold between the lowering and the next lift, s.
    pause_top_s
        Hold at the top (lockout, hand-off hold) before the next descent, s.
    peak_fraction
        Where the concentric speed peaks within the lift.
    accel_fraction, brake_fraction, brake_peak_position
        Eccentric shape (see ``eccentric_shape``).
    flaws
        Flaw names from :data:`FLAWS`.
    unsteady
        Hand-off hold with motion (negative-only / pull-up negatives).
    natural_waver
        Gentle (8-18 %) speed modulations of a long descent, not a flaw.
    """

    ecc_s: float
    con_s: float
    rom_m: float
    pause_bottom_s: float = 0.3
    pause_top_s: float = 1.0
    peak_fraction: float = 0.7
    accel_fraction: float = 0.2
    brake_fraction: float = 0.25
    brake_peak_position: float = 0.5
    flaws: list[str] = field(default_factory=list)
    unsteady: bool = False
    natural_waver: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SetSpec:
    """One set to simulate; ``None`` fields are drawn from the priors.

    Attributes
    ----------
    exercise
        One of ``bench squat deadlift rdl curl press row pullup dip``.
    protocol
        One of :data:`PROTOCOLS`.
    n_reps
        Number of reps (ignored when ``reps`` is given).
    reps
        Explicit reps; overrides every per-rep draw.
    ecc_s
        Typical eccentric movement time, s.
    con_velocity_m_s
        Mean concentric velocity of the first rep, m/s.
    velocity_loss
        Fractional concentric velocity loss from the first to the last rep.
    rom_m
        The lifter's range of motion, m.
    flaws
        ``{rep index (0-based): [flaw, ...]}``.
    continuous
        No pauses at all between and within reps (touch and go).
    setup
        Unrack / walkout / rerack (or stepping on and off for pull-ups and dips).
    walkout_m
        Horizontal distance of the walkout, m (None = exercise default).
    roll_deg
        Bar roll about its axis reached at the bottom of each rep, degrees.
    spins
        Sleeve spins (fast rotations of 180-720 degrees) during the set's setup.
    swing_m
        Pull-ups / dips: horizontal swing amplitude of the body, m.
    unsteady_handoff
        Negative-only / pull-up negatives: the hold before each descent moves.
    impacts
        Impacts and plate ringing when the bar is set down.
    grip_adjust
        Grip adjustments (small jiggles and roll) before the first rep.
    """

    exercise: str = "bench"
    protocol: str = "normal"
    n_reps: int = 5
    reps: list[RepSpec] | None = None
    ecc_s: float | None = None
    con_velocity_m_s: float | None = None
    velocity_loss: float | None = None
    rom_m: float | None = None
    flaws: dict[int, list[str]] = field(default_factory=dict)
    continuous: bool = False
    setup: bool = True
    walkout_m: float | None = None
    roll_deg: float = 15.0
    spins: int = 0
    swing_m: float | None = None
    unsteady_handoff: bool = False
    impacts: bool = True
    grip_adjust: bool = False

    def __post_init__(self) -> None:
        if self.exercise not in EXERCISE_PROFILES:
            known = ", ".join(EXERCISE_PROFILES)
            raise ValueError(f"unknown exercise {self.exercise!r}; known: {known}")
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {self.protocol!r}; known: {', '.join(PROTOCOLS)}")
        if self.protocol == "pullup_negative" and self.exercise != "pullup":
            raise ValueError("protocol 'pullup_negative' needs exercise 'pullup'")
        for index, names in self.flaws.items():
            unknown = [n for n in names if n not in FLAWS]
            if unknown:
                raise ValueError(f"unknown flaw(s) {unknown} for rep {index}; known: {', '.join(FLAWS)}")
        if self.reps is not None:
            self.reps = [r if isinstance(r, RepSpec) else RepSpec(**r) for r in self.reps]

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["reps"] = None if self.reps is None else [r.to_dict() for r in self.reps]
        out["flaws"] = {str(k): list(v) for k, v in self.flaws.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SetSpec":
        data = dict(data)
        data["flaws"] = {int(k): list(v) for k, v in (data.get("flaws") or {}).items()}
        return cls(**data)


def starts_at_top(exercise: str, protocol: str) -> bool:
    """Whether a set's first rep phase is a descent (rep-table pairing order)."""
    # "every negative-only set" starts at the top (rep-table contract); heavy
    # negatives follow the exercise (a spotter-assisted press still starts low).
    if protocol in ("negative_only", "pullup_negative"):
        return True
    return exercise not in BOTTOM_START_EXERCISES


assert set(EXERCISE_PROFILES) <= set(EXERCISES)


def realise_reps(
    spec: SetSpec, rng: np.random.Generator, lifter: dict[str, float] | None = None
) -> tuple[list[RepSpec], dict[str, float]]:
    """Draw the concrete reps of a set (or validate the explicit ones).

    ``lifter`` caches per-exercise draws (the range of motion) so that sets
    of the same exercise in one session share the lifter's own range.
    Returns the reps and the per-set constants (ROM, coupling amplitudes...).
    """
    profile = EXERCISE_PROFILES[spec.exercise]
    lifter = {} if lifter is None else lifter
    drawn_rom = lifter.setdefault(f"{spec.exercise}.rom_m", float(rng.uniform(*profile.rom_m)))
    rom = spec.rom_m if spec.rom_m is not None else drawn_rom
    constants = {
        "rom_m": rom,
        "horizontal_m": float(rng.uniform(*profile.horizontal_m)) * float(rng.choice([-1.0, 1.0])),
        "roll_rad": float(np.deg2rad(spec.roll_deg)) * float(rng.choice([-1.0, 1.0])),
        "tilt_rad": float(np.deg2rad(rng.uniform(-2.0, 2.0))),
        "swing_m": float(spec.swing_m if spec.swing_m is not None else (rng.uniform(0.005, 0.02) if profile.body else 0.0)),
        "swing_hz": float(rng.uniform(0.45, 0.6)),
        # 5-20 um at 8-11 Hz: 0.01-0.1 m/s^2, physiological tremor damped by a loaded bar.
        "tremor_m": float(rng.uniform(5e-6, 2e-5)),
        "tremor_hz": float(rng.uniform(8.0, 11.0)),
    }
    if spec.reps is not None:
        return [RepSpec(**r.to_dict()) for r in spec.reps], constants
    n = int(spec.n_reps)
    if n < 1:
        raise ValueError("a set needs at least one rep")
    mv0 = spec.con_velocity_m_s if spec.con_velocity_m_s is not None else float(rng.uniform(*profile.con_velocity_m_s))
    loss = spec.velocity_loss if spec.velocity_loss is not None else float(rng.uniform(0.08, 0.25))
    progress = np.arange(n) / max(n - 1, 1)
    mv = mv0 * (1 - loss * progress) * (1 + rng.normal(0, 0.05, n))
    mv = np.clip(mv, 0.12, None)
    rom_each = rom * (1 + rng.normal(0, 0.025, n))
    reps: list[RepSpec] = []
    protocol = spec.protocol
    for i in range(n):
        flaws = list(spec.flaws.get(i, []))
        rep_rom = float(rom_each[i])
        if "short_rom" in flaws:
            rep_rom = max(0.2, rep_rom * rng.uniform(0.6, 0.75))
        con_s = rep_rom / mv[i]
        if protocol == "normal":
            ecc_s = float(rng.uniform(*profile.normal_ecc_s)) if spec.ecc_s is None else spec.ecc_s * rng.uniform(0.9, 1.1)
            pause_bottom = float(rng.uniform(0.0, 0.3))
            pause_top = float(rng.uniform(0.6, 2.0))
        elif protocol in ("negative_only", "heavy_negatives", "pullup_negative"):
            base = {"negative_only": (10.8, 12.5), "heavy_negatives": (3.8, 5.5), "pullup_negative": (3.8, 7.0)}[protocol]
            ecc_s = float(rng.uniform(*base)) if spec.ecc_s is None else spec.ecc_s * rng.uniform(0.95, 1.08)
            # The partner (or a jump) does the lift: quick and smooth.
            con_s = float(rng.uniform(0.6, 0.9)) if protocol == "pullup_negative" else float(rng.uniform(1.0, 2.0))
            pause_bottom = float(rng.uniform(0.8, 1.5)) if protocol == "pullup_negative" else float(rng.uniform(0.3, 1.0))
            pause_top = float(rng.uniform(1.0, 2.5))  # the motionless hand-off hold
        elif protocol == "negative_emphasized":
            ecc_s = con_s * float(rng.uniform(2.8, 4.5)) if spec.ecc_s is None else spec.ecc_s * rng.uniform(0.95, 1.08)
            pause_bottom = float(rng.uniform(0.0, 0.5))
            pause_top = float(rng.uniform(0.6, 1.5))
        else:
            target = ECC_TARGET.get(protocol, 3.0)
            target_s = float(target) if not isinstance(target, tuple) else 3.0
            lo = target_s * 1.18 + 0.3
            ecc_s = float(rng.uniform(lo, lo + 1.2)) if spec.ecc_s is None else spec.ecc_s * rng.uniform(0.95, 1.08)
            pause_bottom = float(rng.uniform(0.2, 1.2))
            pause_top = float(rng.uniform(0.6, 1.5))
        if spec.continuous:
            pause_bottom = 0.0
            pause_top = 0.0
        natural_waver = 0
        if ecc_s >= 6.0 and not flaws and rng.random() < 0.6:
            # Long negatives are rarely perfectly even: the speed wavers gently.
            natural_waver = int(rng.integers(1, 3))
        if ecc_s >= 6.0:
            # Long negatives: the lifter settles into the descent within about a second.
            accel_fraction = float(rng.uniform(0.5, 0.9)) / ecc_s
            brake_fraction = float(rng.uniform(0.7, 1.2)) / ecc_s
        elif ecc_s >= 2.5:
            accel_fraction = float(rng.uniform(0.12, 0.25))
            brake_fraction = float(rng.uniform(0.15, 0.3))
        else:
            accel_fraction = float(rng.uniform(0.35, 0.5))
            brake_fraction = float(rng.uniform(0.35, 0.5))
        brake_peak = float(rng.uniform(0.35, 0.6))
        if "too_fast" in flaws:
            target = ECC_TARGET.get(protocol)
            if isinstance(target, tuple):
                ecc_s = con_s * float(rng.uniform(1.0, 1.5))
            elif target is not None:
                ecc_s = float(target) * float(rng.uniform(0.45, 0.7))
            else:
                ecc_s = float(rng.uniform(0.4, 0.55))
            accel_fraction, brake_fraction = 0.45, 0.45
        if "hard_bottom" in flaws:
            # Braking left to the last ~0.15 s; slow descents must speed up first
            # to be stopped hard (the shape then also brakes late).
            brake_fraction = min(0.15 / ecc_s, 0.3)
            brake_peak = 0.75
        if "drop" in flaws:
            ecc_s = max(ecc_s, 1.6)
            accel_fraction = min(accel_fraction, 0.5 / ecc_s)
            brake_fraction = min(max(brake_fraction, 0.25), 0.6 / ecc_s)
        reps.append(
            RepSpec(
                ecc_s=float(ecc_s),
                con_s=float(con_s),
                rom_m=rep_rom,
                pause_bottom_s=pause_bottom,
                pause_top_s=pause_top,
                peak_fraction=float(rng.uniform(*profile.peak_fraction)),
                accel_fraction=accel_fraction,
                brake_fraction=brake_fraction,
                brake_peak_position=brake_peak,
                flaws=flaws,
                unsteady=bool(spec.unsteady_handoff and protocol in ("negative_only", "pullup_negative")),
                natural_waver=natural_waver,
            )
        )
    return reps, constants
