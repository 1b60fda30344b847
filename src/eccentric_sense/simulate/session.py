"""Simulate recordings: :func:`simulate_session` and :func:`simulate_set`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..constants import STANDARD_GRAVITY
from ..recording import Recording
from .motion import build_motion
from .orientation import ideal_imu, mounting_rotation
from .sensor import SensorModel, Transport, apply_transport, sample_sensor, sensor_preset
from .specs import SetSpec, realise_reps
from .truth import SetContext, truth_tables

__all__ = ["SimulatedRecording", "TrueKinematics", "simulate_session", "simulate_set", "simulate_from_spec"]

#: Rate of the internal dense simulation for output rates up to 250 Hz.
DENSE_RATE_HZ = 1000.0
SIMULATOR_VERSION = "1"

# Independent random streams, so that e.g. changing the sensor leaves the motion unchanged.
_STREAM_MOTION, _STREAM_SENSOR, _STREAM_TRANSPORT, _STREAM_MOUNT = 1, 2, 3, 4


@dataclass(frozen=True)
class TrueKinematics:
    """Dense true kinematics of the recorded window (recording time axis).

    ``z_m``, ``v_m_s``, ``a_m_s2`` are the vertical position, velocity and
    acceleration of the tracked point (the bar axis, or the belt for
    pull-ups and dips); ``a_lp_m_s2`` is ``a_m_s2`` after the rep-table's
    10 Hz zero-phase low-pass; ``horizontal_m_s2`` the magnitude of the
    horizontal acceleration; ``rotation_quat`` the sensor-to-world
    orientation ``[x, y, z, w]``; ``gyro_rads`` the ideal angular rate
    (sensor frame) and ``specific_force_mps2`` the ideal accelerometer.
    """

    time_s: np.ndarray
    true_time_s: np.ndarray
    rate_hz: float
    z_m: np.ndarray
    v_m_s: np.ndarray
    a_m_s2: np.ndarray
    a_lp_m_s2: np.ndarray
    horizontal_m_s2: np.ndarray
    rotation_quat: np.ndarray
    gyro_rads: np.ndarray
    specific_force_mps2: np.ndarray


@dataclass(frozen=True)
class SimulatedRecording:
    """A simulated recording and its exact truth.

    Attributes
    ----------
    recording
        What the sensor and transport produced (an :class:`~eccentric_sense.Recording`).
    truth_reps
        Rep table (``columns.REP_TABLE_COLUMNS``; ``control_score`` NaN,
        ``flags`` the rule ids the truth can decide).
    truth_sets
        Set table (``columns.SET_TABLE_COLUMNS``).
    truth
        Dense true kinematics (:class:`TrueKinematics`).
    spec
        JSON-able description: the inputs (enough to regenerate the
        recording exactly with :func:`simulate_from_spec`) and what was
        realised (reps, sensor errors, transport effects, events).
    """

    recording: Recording
    truth_reps: pd.DataFrame
    truth_sets: pd.DataFrame
    truth: TrueKinematics
    spec: dict[str, Any]

    @property
    def intended_flaws(self) -> list[list[str]]:
        """Flaws requested per simulated rep (in set order), for reference."""
        return [rep["flaws"] for s in self.spec["realised"]["sets"] for rep in s["reps"]]


def _dense_rate(sample_rate_hz: float) -> float:
    if sample_rate_hz <= 250:
        return DENSE_RATE_HZ
    return float(np.ceil(4 * sample_rate_hz / 1000.0) * 1000.0)


def simulate_session(
    sets: Sequence[SetSpec | dict[str, Any]],
    *,
    rest_s: float | Sequence[float] = 60.0,
    sensor: str | SensorModel | dict[str, Any] = "bmi270",
    sample_rate_hz: float = 100.0,
    mounting: Any = "random",
    transport: Transport | dict[str, Any] | None = None,
    gyroscope: bool = True,
    lever_arm_m: float = 0.0,
    start_mid_motion: bool = False,
    lead_in_s: float = 3.0,
    tail_s: float = 3.0,
    seed: int = 0,
    metadata: dict[str, str] | None = None,
) -> SimulatedRecording:
    """Simulate one recording of one or more sets.

    Parameters
    ----------
    sets
        :class:`SetSpec` (or dicts of its fields), in order.
    rest_s
        Rest between consecutive sets, s (one value, or one per gap).  The
        rep-table contract splits sets at 20 s of rest, so values below 20
        merge sets in the truth.
    sensor
        Sensor preset name (``mpu6050``, ``bmi270``, ``icm42688``, ``ideal``),
        a :class:`SensorModel` or a dict of its fields.
    sample_rate_hz
        Output data rate of the sensor (25-1000 Hz).
    mounting
        Sensor orientation on the bar: ``"random"``, ``"flat"``, ``"sleeve"``,
        a quaternion ``[x, y, z, w]``, xyz Euler degrees, or a scipy Rotation.
    transport
        :class:`Transport` (time stamps, losses, duplicates, glitches);
        ``None`` = device clock, nothing lost.
    gyroscope
        ``False`` for an accelerometer-only recording.
    lever_arm_m
        Distance of the sensor from the bar axis, m (sleeve clips: 0.02-0.05);
        bar roll and spins then add centripetal/tangential acceleration.
    start_mid_motion
        Start the recording half-way through the first rep's first phase.
    lead_in_s, tail_s
        Still time before the first set and after the last.
    seed
        Seed of every random draw (same inputs + seed = identical output).
    metadata
        Extra recording metadata.

    Returns
    -------
    SimulatedRecording
    """
    set_specs = [s if isinstance(s, SetSpec) else SetSpec.from_dict(s) for s in sets]
    if not set_specs:
        raise ValueError("simulate_session needs at least one set")
    if not 1.0 <= sample_rate_hz <= 4000.0:
        raise ValueError("sample_rate_hz must be between 1 and 4000")
    rests = [float(rest_s)] * (len(set_specs) - 1) if np.isscalar(rest_s) else [float(r) for r in rest_s]  # type: ignore[arg-type]
    if len(rests) != len(set_specs) - 1:
        raise ValueError(f"rest_s needs {len(set_specs) - 1} values, got {len(rests)}")
    model = sensor_preset(sensor)
    transport_model = transport if isinstance(transport, Transport) else Transport(**(transport or {}))
    inputs = {
        "simulator_version": SIMULATOR_VERSION,
        "sets": [s.to_dict() for s in set_specs],
        "rest_s": rests,
        "sensor": model.to_dict(),
        "sample_rate_hz": float(sample_rate_hz),
        "mounting": mounting if isinstance(mounting, (str, type(None))) else np.asarray(
            mounting.as_quat() if hasattr(mounting, "as_quat") else mounting, dtype=float
        ).tolist(),
        "transport": transport_model.to_dict(),
        "gyroscope": bool(gyroscope),
        "lever_arm_m": float(lever_arm_m),
        "start_mid_motion": bool(start_mid_motion),
        "lead_in_s": float(lead_in_s),
        "tail_s": float(tail_s),
        "seed": int(seed),
        "metadata": dict(metadata or {}),
    }
    rng_motion = np.random.default_rng([seed, _STREAM_MOTION])
    rng_mount = np.random.default_rng([seed, _STREAM_MOUNT])
    lifter: dict[str, float] = {}
    realised = [realise_reps(s, rng_motion, lifter) for s in set_specs]
    motion = build_motion(set_specs, realised, rests, rng_motion, lead_in_s=lead_in_s, tail_s=tail_s)

    # Dense truth grid over the whole session.
    dense_rate = _dense_rate(sample_rate_hz)
    n_dense = int(np.floor(motion.duration_s * dense_rate)) + 1
    t_dense = np.arange(n_dense) / dense_rate
    evaluated = motion.evaluate(t_dense)
    mount = mounting_rotation(mounting, rng_mount)
    heading = float(rng_mount.uniform(-np.pi, np.pi))
    lever = np.array([0.0, 0.0, 0.0])
    if lever_arm_m:
        angle = rng_mount.uniform(-np.pi, np.pi)
        lever = np.array([0.0, lever_arm_m * np.cos(angle), lever_arm_m * np.sin(angle)])
    imu = ideal_imu(evaluated, heading_rad=heading, mount=mount, lever_arm_m=lever)

    # The recorded window (true time).
    t_lo = 0.0
    if start_mid_motion and motion.intended:
        first = motion.intended[0]
        t_lo = 0.5 * (first.start_s + first.end_s)
    t_hi = motion.duration_s
    period_true = 1.0 / sample_rate_hz / (1.0 + transport_model.clock_ppm * 1e-6)
    sample_times = t_lo + np.arange(int(np.floor((t_hi - t_lo) / period_true)) + 1) * period_true
    sample_times = sample_times[sample_times <= t_dense[-1]]
    rng_sensor = np.random.default_rng([seed, _STREAM_SENSOR])
    acc_g, gyr_dps, errors = sample_sensor(
        t_dense,
        imu["specific_force_mps2"],
        imu["angular_rate_rads"],
        sensor=model,
        sample_rate_hz=sample_rate_hz,
        sample_times_s=sample_times,
        rng=rng_sensor,
    )
    rng_transport = np.random.default_rng([seed, _STREAM_TRANSPORT])
    stamps, acc_g, gyr_dps, transport_info = apply_transport(
        sample_times,
        acc_g,
        gyr_dps,
        transport=transport_model,
        sample_rate_hz=sample_rate_hz,
        acc_range_g=model.acc_range_g,
        gyr_range_dps=model.gyr_range_dps,
        rng=rng_transport,
    )
    offset, scale = transport_info["time_offset_s"], transport_info["time_scale"]

    # Truth on the recorded window.
    window = (t_dense >= t_lo - 1e-12) & (t_dense <= sample_times[-1] + 1e-12)
    z = evaluated["pos"][window, 2]
    v = evaluated["vel"][window, 2]
    a = evaluated["acc"][window, 2]
    # Horizontal acceleration of the tracked point (the heading does not change its magnitude).
    horizontal = np.hypot(evaluated["acc"][window, 0], evaluated["acc"][window, 1])
    contexts = [SetContext(w.start_s, w.end_s, w.spec.exercise, w.spec.protocol, w.top_start) for w in motion.sets]
    unsteady = [(e["t"], e["t"] + e["duration"]) for e in motion.events if e["kind"] == "unsteady_hold"]
    truth_reps, truth_sets, a_lp = truth_tables(
        t_dense[window], z, v, a, horizontal, contexts, to_recording_time=(offset, scale), unsteady_holds=unsteady
    )
    exercise_names = sorted({s.exercise for s in set_specs})
    protocols = sorted({s.protocol for s in set_specs})
    meta = {
        "sample_rate_hz": f"{sample_rate_hz:g}",
        "exercise": exercise_names[0] if len(exercise_names) == 1 else "other",
        "device": f"simulated-{model.name}",
        "protocol": protocols[0] if len(protocols) == 1 else "mixed",
        "simulator": f"eccentric_sense.simulate v{SIMULATOR_VERSION} seed {seed}",
    }
    if transport_model.clock == "host":
        meta["clock"] = "host"
    meta.update({k: str(v) for k, v in (metadata or {}).items()})
    recording = Recording(
        time_s=stamps,
        acc_mps2=acc_g * STANDARD_GRAVITY,
        gyr_rads=np.deg2rad(gyr_dps) if gyroscope else None,
        metadata=meta,
        source=f"simulated:seed={seed}",
    )
    truth = TrueKinematics(
        time_s=offset + scale * t_dense[window],
        true_time_s=t_dense[window],
        rate_hz=dense_rate,
        z_m=z,
        v_m_s=v,
        a_m_s2=a,
        a_lp_m_s2=a_lp,
        horizontal_m_s2=horizontal,
        rotation_quat=imu["rotation"][np.flatnonzero(window)].as_quat(),
        gyro_rads=imu["angular_rate_rads"][window],
        specific_force_mps2=imu["specific_force_mps2"][window],
    )
    realised_info = {
        "duration_s": float(motion.duration_s),
        "window_true_s": [float(t_lo), float(sample_times[-1])],
        "time_map": {"offset_s": float(offset), "scale": float(scale)},
        "heading_rad": heading,
        "mount_quat": mount.as_quat().tolist(),
        "lever_arm_m": lever.tolist(),
        "dense_rate_hz": dense_rate,
        "sets": [w.to_dict() for w in motion.sets],
        "events": motion.events,
        "sensor_errors": errors,
        "transport": {k: v for k, v in transport_info.items() if k not in ("time_offset_s", "time_scale")},
    }
    spec = json.loads(json.dumps({"inputs": inputs, "realised": realised_info}, default=_json_default))
    return SimulatedRecording(recording, truth_reps, truth_sets, truth, spec)


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON-able: {type(value)}")


def simulate_set(spec: SetSpec | dict[str, Any], **kwargs: Any) -> SimulatedRecording:
    """Simulate a recording of a single set (keyword arguments as :func:`simulate_session`)."""
    return simulate_session([spec], **kwargs)


def simulate_from_spec(spec: dict[str, Any]) -> SimulatedRecording:
    """Regenerate a recording from ``SimulatedRecording.spec`` (or its ``inputs``)."""
    inputs = dict(spec.get("inputs", spec))
    version = inputs.pop("simulator_version", SIMULATOR_VERSION)
    if str(version) != SIMULATOR_VERSION:
        raise ValueError(f"spec was made by simulator version {version}, this is {SIMULATOR_VERSION}")
    return simulate_session(**inputs)
