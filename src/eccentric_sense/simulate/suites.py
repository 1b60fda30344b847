"""Named simulation suites for benchmarks.

* :func:`benchmark_suite` - a fixed, labelled grid (>= 60 sets) over sample
  rate (25-1000 Hz), sensor, exercise, protocol, mounting, bar roll and sleeve
  spins, packet loss, host-clock jitter and rep flaws.
* :func:`robustness_suite` - recordings that imitate real third-party BLE
  logs: 30-60 Hz host-clock time stamps, dropouts, duplicates and glitches,
  continuous sets, lots of bar rotation, long walkouts; deadlift recordings
  and mixed ones (curl, press, row, squat, rdl).
* :func:`heldout_suite` / :func:`random_case` - freshly drawn cases for any
  seed, so a benchmark can be re-run on data nobody tuned against.

Cases are descriptions; :meth:`BenchmarkCase.simulate` runs the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .sensor import Transport
from .session import SimulatedRecording, simulate_session
from .specs import EXERCISE_PROFILES, SetSpec

__all__ = ["BenchmarkCase", "benchmark_suite", "robustness_suite", "heldout_suite", "random_case"]


@dataclass
class BenchmarkCase:
    """One simulated recording of a suite.

    Attributes
    ----------
    name
        Unique, descriptive name.
    condition
        Labels to break results down by: ``rate``, ``sensor``, ``exercise``,
        ``protocol`` (and e.g. ``group``, ``transport``, ``flaws``).
    kwargs
        Arguments of :func:`simulate_session`.
    """

    name: str
    condition: dict[str, str]
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def n_sets(self) -> int:
        return len(self.kwargs["sets"])

    def simulate(self) -> SimulatedRecording:
        """Run the simulator for this case."""
        return simulate_session(**self.kwargs)


def _case(name: str, sets: list[SetSpec], *, seed: int, rate: float, sensor: str, extra: dict[str, str] | None = None, **kwargs: Any) -> BenchmarkCase:
    exercises = sorted({s.exercise for s in sets})
    protocols = sorted({s.protocol for s in sets})
    transport = kwargs.get("transport")
    condition = {
        "rate": f"{rate:g}",
        "sensor": sensor,
        "exercise": exercises[0] if len(exercises) == 1 else "mixed",
        "protocol": protocols[0] if len(protocols) == 1 else "mixed",
        "transport": "host" if isinstance(transport, Transport) and transport.clock == "host" else (
            "lossy" if isinstance(transport, Transport) and transport.loss_fraction > 0 else "clean"
        ),
        "gyroscope": "yes" if kwargs.get("gyroscope", True) else "no",
    }
    condition.update(extra or {})
    return BenchmarkCase(name, condition, dict(sets=sets, seed=seed, sample_rate_hz=rate, sensor=sensor, **kwargs))


_FLAW_SET = {1: ["drop"], 3: ["late_braking"], 4: ["hard_bottom"], 5: ["too_fast"], 6: ["short_rom"]}


def benchmark_suite(seed: int = 0) -> list[BenchmarkCase]:
    """The labelled benchmark grid (deterministic for a seed)."""
    rng = np.random.default_rng([seed, 101])
    rates = [25, 50, 100, 200, 400, 1000]
    sensors = ["mpu6050", "bmi270", "icm42688"]
    plan: list[tuple[str, str, int, int, dict[str, Any]]] = [
        # exercise, protocol, sets, reps, SetSpec extras
        ("bench", "tempo", 3, 5, {}),
        ("bench", "normal", 2, 6, {}),
        ("bench", "negative_only", 2, 4, {"unsteady_handoff": True}),
        ("bench", "negative_emphasized", 1, 6, {}),
        ("bench", "heavy_negatives", 2, 5, {"flaws": {2: ["late_braking"], 4: ["drop"]}}),
        ("bench", "tempo", 1, 8, {"flaws": _FLAW_SET}),
        ("squat", "normal", 3, 5, {}),
        ("squat", "tempo", 1, 6, {"flaws": {1: ["stall"], 3: ["waver"]}}),
        ("squat", "heavy_negatives", 1, 4, {"flaws": {2: ["drop"]}}),
        ("squat", "tempo", 1, 8, {"flaws": _FLAW_SET}),
        ("deadlift", "normal", 3, 5, {}),
        ("deadlift", "tempo", 1, 5, {}),
        ("deadlift", "normal", 1, 8, {"continuous": True}),
        ("rdl", "tempo", 3, 5, {}),
        ("curl", "negative_only", 2, 4, {"flaws": {1: ["stall"]}}),
        ("curl", "tempo", 1, 8, {"flaws": {2: ["drop"], 5: ["late_braking"]}}),
        ("press", "normal", 3, 5, {}),
        ("press", "negative_emphasized", 1, 6, {}),
        ("row", "normal", 3, 6, {}),
        ("row", "tempo", 1, 6, {"flaws": {3: ["too_fast"]}}),
        ("pullup", "normal", 2, 5, {"swing_m": 0.03}),
        ("pullup", "pullup_negative", 2, 5, {"unsteady_handoff": True}),
        ("pullup", "tempo", 1, 5, {}),
        ("dip", "tempo", 1, 6, {}),
        ("dip", "negative_only", 1, 4, {}),
        ("bench", "tempo", 1, 5, {"roll_deg": 60.0, "spins": 2}),
        ("squat", "normal", 1, 5, {"roll_deg": 45.0, "grip_adjust": True}),
        ("curl", "tempo", 1, 6, {"roll_deg": 60.0}),
        ("bench", "normal", 1, 6, {"continuous": True}),
        ("bench", "forced_negative", 2, 5, {}),
        ("squat", "negative_emphasized", 2, 5, {}),
        ("deadlift", "heavy_negatives", 2, 4, {"flaws": {3: ["late_braking"]}}),
        ("curl", "normal", 2, 8, {}),
        ("press", "negative_only", 1, 4, {}),
        ("dip", "normal", 2, 6, {"swing_m": 0.04}),
        ("press", "heavy_negatives", 1, 5, {}),
        ("squat", "tempo", 2, 5, {}),
        ("press", "tempo", 1, 5, {}),
    ]
    cases: list[BenchmarkCase] = []
    for index, (exercise, protocol, n_sets, n_reps, extras) in enumerate(plan):
        rate = rates[index % len(rates)]
        sensor = sensors[(index // 2) % len(sensors)]
        extras = dict(extras)
        extras.setdefault("roll_deg", float(rng.uniform(0.0, 30.0)))
        extras.setdefault("spins", int(rng.random() < 0.25))
        sets = [SetSpec(exercise, protocol, n_reps=n_reps, **extras) for _ in range(n_sets)]
        kwargs: dict[str, Any] = {
            "mounting": "random" if index % 4 else ("sleeve" if index % 8 else "flat"),
            "rest_s": float(rng.uniform(30.0, 120.0)),
        }
        tag = []
        if index % 5 == 2:
            kwargs["transport"] = Transport(loss_fraction=0.02, loss_run_mean=3.0, clock_ppm=float(rng.uniform(-80, 80)))
            tag.append("loss")
        if index % 7 == 3:
            kwargs["transport"] = Transport(clock="host", jitter_ms=3.0, connection_interval_ms=15.0)
            tag.append("host")
        if index % 9 == 4:
            kwargs["gyroscope"] = False
            tag.append("accel_only")
        if extras.get("spins"):
            kwargs["lever_arm_m"] = 0.03
        if index == len(plan) - 1:
            kwargs["start_mid_motion"] = True
            tag.append("mid_motion")
        name = f"{index:02d}-{exercise}-{protocol}-{n_sets}x{n_reps}-{rate}hz-{sensor}" + ("".join(f"-{t}" for t in tag))
        cases.append(
            _case(
                name,
                sets,
                seed=seed * 1000 + index,
                rate=rate,
                sensor=sensor,
                extra={"flaws": "yes" if extras.get("flaws") else "no", "mounting": kwargs["mounting"]},
                **kwargs,
            )
        )
    return cases


def robustness_suite(seed: int = 0) -> list[BenchmarkCase]:
    """Recordings that imitate third-party BLE logs (host clocks, 30-60 Hz, losses)."""
    rng = np.random.default_rng([seed, 202])
    cases: list[BenchmarkCase] = []
    mixed_plan = [
        ["curl"], ["press"], ["row"], ["squat"], ["rdl"],
        ["curl", "press"], ["row", "rdl"], ["squat", "press"], ["curl", "row"], ["rdl", "squat"],
        ["press", "curl"], ["squat", "row"],
    ]
    for index in range(12):
        cases.append(_robust_case(f"deadlift-{index:02d}", ["deadlift"] * int(rng.integers(1, 3)), rng, seed * 1000 + index, "deadlift"))
    for index, exercises in enumerate(mixed_plan):
        cases.append(_robust_case(f"mixed-{index:02d}-{'+'.join(exercises)}", exercises, rng, seed * 1000 + 100 + index, "mixed"))
    return cases


def _robust_case(name: str, exercises: list[str], rng: np.random.Generator, case_seed: int, group: str) -> BenchmarkCase:
    rate = float(rng.choice([30, 40, 50, 60]))
    sensor = str(rng.choice(["mpu6050", "bmi270"]))
    sets = []
    for exercise in exercises:
        protocol = str(rng.choice(["normal", "normal", "tempo"]))
        sets.append(
            SetSpec(
                exercise,
                protocol,
                n_reps=int(rng.integers(3, 11)),
                continuous=bool(rng.random() < 0.5),
                roll_deg=float(rng.uniform(30.0, 60.0)),
                spins=int(rng.integers(0, 3)),
                walkout_m=float(rng.uniform(0.4, 1.0)) if exercise in ("squat", "press", "rdl", "row", "curl") else None,
                grip_adjust=bool(rng.random() < 0.5),
            )
        )
    transport = Transport(
        clock="host",
        latency_ms=float(rng.uniform(15, 60)),
        connection_interval_ms=float(rng.choice([7.5, 15.0, 30.0])),
        jitter_ms=float(rng.uniform(1.0, 6.0)),
        loss_fraction=float(rng.uniform(0.005, 0.04)),
        loss_run_mean=float(rng.uniform(2, 8)),
        duplicate_fraction=float(rng.uniform(0.0, 0.01)),
        glitch_fraction=float(rng.uniform(0.0, 0.003)),
    )
    return _case(
        f"robust-{name}-{rate:g}hz-{sensor}",
        sets,
        seed=case_seed,
        rate=rate,
        sensor=sensor,
        extra={"group": group},
        transport=transport,
        mounting="random",
        rest_s=float(rng.uniform(25.0, 90.0)),
        gyroscope=bool(rng.random() < 0.7),
        lever_arm_m=float(rng.choice([0.0, 0.03])),
    )


def random_case(rng: np.random.Generator, name: str = "random") -> BenchmarkCase:
    """One freshly drawn case: any exercise, protocol, rate, sensor, transport and flaws."""
    exercise = str(rng.choice(list(EXERCISE_PROFILES)))
    protocols = ["normal", "tempo", "negative_only", "negative_emphasized", "heavy_negatives"]
    if exercise == "pullup":
        protocols.append("pullup_negative")
    protocol = str(rng.choice(protocols))
    n_reps = int(rng.integers(3, 9))
    flaw_names = ["drop", "late_braking", "hard_bottom", "too_fast", "short_rom", "stall", "waver"]
    flaws = {int(i): [str(rng.choice(flaw_names))] for i in range(n_reps) if rng.random() < 0.25}
    n_sets = int(rng.integers(1, 3))
    sets = [
        SetSpec(
            exercise,
            protocol,
            n_reps=n_reps,
            flaws=flaws,
            roll_deg=float(rng.uniform(0, 60)),
            spins=int(rng.integers(0, 2)),
            continuous=bool(protocol == "normal" and rng.random() < 0.3),
            unsteady_handoff=bool(rng.random() < 0.3),
        )
        for _ in range(n_sets)
    ]
    rate = float(rng.choice([25, 50, 60, 100, 200, 400, 1000]))
    sensor = str(rng.choice(["mpu6050", "bmi270", "icm42688"]))
    transport = None
    if rng.random() < 0.3:
        transport = Transport(clock="host", jitter_ms=float(rng.uniform(1, 5)), loss_fraction=float(rng.uniform(0, 0.03)))
    elif rng.random() < 0.3:
        transport = Transport(loss_fraction=float(rng.uniform(0.005, 0.03)), clock_ppm=float(rng.uniform(-100, 100)))
    kwargs: dict[str, Any] = {
        "mounting": "random",
        "rest_s": float(rng.uniform(25, 120)),
        "gyroscope": bool(rng.random() < 0.8),
    }
    if transport is not None:
        kwargs["transport"] = transport
    return _case(
        f"{name}-{exercise}-{protocol}-{rate:g}hz-{sensor}",
        sets,
        seed=int(rng.integers(0, 2**31 - 1)),
        rate=rate,
        sensor=sensor,
        extra={"flaws": "yes" if flaws else "no"},
        **kwargs,
    )


def heldout_suite(seed: int, n_cases: int = 20) -> list[BenchmarkCase]:
    """``n_cases`` freshly drawn cases for ``seed`` (use a seed nobody tuned on)."""
    rng = np.random.default_rng([seed, 303])
    return [random_case(rng, name=f"heldout{seed}-{i:02d}") for i in range(n_cases)]
