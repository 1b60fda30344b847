"""MEMS sensor and transport models.

Numbers come from the datasheet excerpts in
``shared/research/algorithms-and-accuracy.md`` section 3.4 (noise densities,
offsets, sensitivity and cross-axis tolerances, ranges); bias drift and the
transport effects are documented assumptions (see ``docs/simulator.md``).

Signal chain, per axis, on the dense simulation grid::

    true -> (I + cross-axis) diag(1 + scale) -> + turn-on bias (+ gyro g-sensitivity)
         -> + white noise (one-sided density ND, sigma = ND * sqrt(f_dense / 2))
         -> analog saturation at the full-scale range
         -> anti-alias low-pass (2nd-order Butterworth, causal, at the bandwidth)
         -> sampled at the device's own (slightly wrong) clock
         -> + Gauss-Markov bias drift -> 16-bit quantisation and clipping

so the output noise is ``ND * sqrt(ENBW)`` of the chosen bandwidth, as on a
real part.  Transport then loses runs of samples, time-stamps them (device
clock, or host arrival times with connection-interval batching and jitter),
duplicates rows and injects single-sample glitches.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
from scipy.signal import butter, lfilter, sosfilt

from ..constants import STANDARD_GRAVITY

__all__ = [
    "SensorModel",
    "Transport",
    "MPU6050",
    "BMI270",
    "ICM42688",
    "IDEAL",
    "SENSORS",
    "sensor_preset",
    "sample_sensor",
    "apply_transport",
]


@dataclass(frozen=True)
class SensorModel:
    """Error model of a 6-axis MEMS IMU (per-axis errors are drawn per recording).

    Attributes
    ----------
    name
        Preset name.
    acc_noise_ug_rthz, gyr_noise_mdps_rthz
        White-noise densities (datasheet).
    acc_bias_mg, gyr_bias_dps
        Standard deviation of the turn-on bias per axis.
    acc_bias_max_mg, gyr_bias_max_dps
        Clip of the drawn biases (datasheet tolerance).
    acc_scale, gyr_scale
        Standard deviation of the per-axis sensitivity error (fraction).
    scale_max
        Clip of the sensitivity errors (fraction).
    cross_axis
        Standard deviation of each off-diagonal cross-axis term (fraction).
    acc_drift_mg, gyr_drift_dps, drift_tau_s
        Gauss-Markov bias drift: stationary sigma and correlation time.
    gyr_g_sensitivity_dps_per_g
        Gyro output per g of specific force (linear-acceleration sensitivity).
    acc_range_g, gyr_range_dps, bits
        Full-scale ranges and ADC resolution (saturation and quantisation).
    bandwidth_fraction, max_bandwidth_hz
        Anti-alias bandwidth as a fraction of the output rate, capped.
    """

    name: str
    acc_noise_ug_rthz: float
    gyr_noise_mdps_rthz: float
    acc_bias_mg: float
    gyr_bias_dps: float
    acc_bias_max_mg: float
    gyr_bias_max_dps: float
    acc_scale: float
    gyr_scale: float
    scale_max: float
    cross_axis: float
    acc_drift_mg: float = 0.5
    gyr_drift_dps: float = 0.03
    drift_tau_s: float = 100.0
    gyr_g_sensitivity_dps_per_g: float = 0.0
    acc_range_g: float = 16.0
    gyr_range_dps: float = 2000.0
    bits: int = 16
    bandwidth_fraction: float = 0.4
    max_bandwidth_hz: float = 260.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


#: InvenSense MPU-6050 (PS-MPU-6000A-00 rev 3.4): 400 ug/rtHz, 5 mdps/rtHz,
#: offsets +-50/80 mg, ZRO +-20 dps (we draw a few dps), sensitivity +-3 %, cross-axis +-2 %.
MPU6050 = SensorModel(
    name="mpu6050",
    acc_noise_ug_rthz=400.0,
    gyr_noise_mdps_rthz=5.0,
    acc_bias_mg=25.0,
    gyr_bias_dps=2.5,
    acc_bias_max_mg=70.0,
    gyr_bias_max_dps=8.0,
    acc_scale=0.015,
    gyr_scale=0.015,
    scale_max=0.03,
    cross_axis=0.008,
    acc_drift_mg=1.0,
    gyr_drift_dps=0.05,
    gyr_g_sensitivity_dps_per_g=0.1,
    acc_range_g=8.0,
    gyr_range_dps=2000.0,
    max_bandwidth_hz=260.0,
)
#: Bosch BMI270: 160 ug/rtHz, 7 mdps/rtHz (performance mode); offsets not in the
#: excerpt we read, so MEMS-typical 20 mg and ~0.5-3 dps are assumed.
BMI270 = SensorModel(
    name="bmi270",
    acc_noise_ug_rthz=160.0,
    gyr_noise_mdps_rthz=7.0,
    acc_bias_mg=20.0,
    gyr_bias_dps=1.0,
    acc_bias_max_mg=60.0,
    gyr_bias_max_dps=3.0,
    acc_scale=0.012,
    gyr_scale=0.01,
    scale_max=0.03,
    cross_axis=0.005,
    acc_drift_mg=0.5,
    gyr_drift_dps=0.03,
    acc_range_g=16.0,
    gyr_range_dps=2000.0,
    max_bandwidth_hz=740.0,
)
#: TDK ICM-42688-P: 70 ug/rtHz, 2.8 mdps/rtHz; offsets assumed 10 mg / 0.5 dps.
ICM42688 = SensorModel(
    name="icm42688",
    acc_noise_ug_rthz=70.0,
    gyr_noise_mdps_rthz=2.8,
    acc_bias_mg=10.0,
    gyr_bias_dps=0.5,
    acc_bias_max_mg=40.0,
    gyr_bias_max_dps=2.0,
    acc_scale=0.006,
    gyr_scale=0.005,
    scale_max=0.02,
    cross_axis=0.004,
    acc_drift_mg=0.2,
    gyr_drift_dps=0.01,
    acc_range_g=16.0,
    gyr_range_dps=2000.0,
    max_bandwidth_hz=1000.0,
)
#: A perfect sensor (for tests of the truth and of the physics).
IDEAL = SensorModel(
    name="ideal",
    acc_noise_ug_rthz=0.0,
    gyr_noise_mdps_rthz=0.0,
    acc_bias_mg=0.0,
    gyr_bias_dps=0.0,
    acc_bias_max_mg=0.0,
    gyr_bias_max_dps=0.0,
    acc_scale=0.0,
    gyr_scale=0.0,
    scale_max=0.0,
    cross_axis=0.0,
    acc_drift_mg=0.0,
    gyr_drift_dps=0.0,
    bits=0,
    acc_range_g=1e6,
    gyr_range_dps=1e9,
    bandwidth_fraction=0.45,
    max_bandwidth_hz=1e9,
)
SENSORS = {s.name: s for s in (MPU6050, BMI270, ICM42688, IDEAL)}


def sensor_preset(sensor: str | SensorModel | dict[str, Any]) -> SensorModel:
    """A preset by name, a :class:`SensorModel`, or a dict of its fields."""
    if isinstance(sensor, SensorModel):
        return sensor
    if isinstance(sensor, dict):
        return SensorModel(**sensor)
    try:
        return SENSORS[str(sensor).lower().replace("-", "")]
    except KeyError:
        raise ValueError(f"unknown sensor {sensor!r}; presets: {', '.join(SENSORS)}") from None


@dataclass(frozen=True)
class Transport:
    """How samples reach the file.

    Attributes
    ----------
    clock
        ``"device"``: time stamps from the sensor's own clock (off by
        ``clock_ppm``); ``"host"``: arrival times on the host, i.e. sample time
        + latency, batched by the BLE connection interval, plus OS jitter.
    clock_ppm
        Device clock error (its true rate is ``rate * (1 + ppm 1e-6)``).
    latency_ms, connection_interval_ms, jitter_ms
        Host-clock model.
    loss_fraction
        Fraction of samples lost, in runs.
    loss_run_mean
        Mean length of a lost run, samples (geometric).
    duplicate_fraction
        Fraction of rows written twice (same time stamp, same values).
    glitch_fraction
        Fraction of samples replaced by a glitch (a spike on one axis, or zeros).
    """

    clock: str = "device"
    clock_ppm: float = 0.0
    latency_ms: float = 25.0
    connection_interval_ms: float = 15.0
    jitter_ms: float = 2.0
    loss_fraction: float = 0.0
    loss_run_mean: float = 4.0
    duplicate_fraction: float = 0.0
    glitch_fraction: float = 0.0

    def __post_init__(self) -> None:
        if self.clock not in ("device", "host"):
            raise ValueError("clock must be 'device' or 'host'")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_(self, **changes: Any) -> "Transport":
        return replace(self, **changes)


def _draw(rng: np.random.Generator, sd: float, limit: float, size: Any) -> np.ndarray:
    return np.clip(rng.normal(0.0, sd, size), -limit, limit) if sd > 0 else np.zeros(size)


def _gauss_markov(rng: np.random.Generator, n: int, rate_hz: float, sigma: float, tau_s: float) -> np.ndarray:
    """First-order Gauss-Markov process (stationary sigma), vectorised with lfilter."""
    if sigma <= 0 or n == 0:
        return np.zeros((n, 3))
    phi = np.exp(-1.0 / (rate_hz * tau_s))
    drive = rng.normal(0.0, sigma * np.sqrt(1 - phi**2), (n, 3))
    drive[0] = rng.normal(0.0, sigma, 3)
    return lfilter([1.0], [1.0, -phi], drive, axis=0)


def _quantise(values: np.ndarray, full_scale: float, bits: int) -> np.ndarray:
    if bits <= 0:
        return values
    lsb = 2.0 * full_scale / 2**bits
    counts = np.clip(np.round(values / lsb), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return counts * lsb


def sample_sensor(
    dense_time_s: np.ndarray,
    specific_force_mps2: np.ndarray,
    angular_rate_rads: np.ndarray,
    *,
    sensor: SensorModel,
    sample_rate_hz: float,
    sample_times_s: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Turn ideal dense signals into sensor readings at ``sample_times_s`` (true times).

    Returns accelerometer (g) and gyroscope (deg/s) readings, shape ``(m, 3)``,
    and the drawn per-recording errors.
    """
    dense_rate = 1.0 / float(np.median(np.diff(dense_time_s)))
    n = dense_time_s.size
    acc_g = specific_force_mps2 / STANDARD_GRAVITY
    gyr_dps = np.rad2deg(angular_rate_rads)
    errors: dict[str, Any] = {}
    outputs = []
    for kind, signal, noise, bias_sd, bias_max, scale_sd, full_scale, drift in (
        ("acc", acc_g, sensor.acc_noise_ug_rthz * 1e-6, sensor.acc_bias_mg * 1e-3, sensor.acc_bias_max_mg * 1e-3,
         sensor.acc_scale, sensor.acc_range_g, sensor.acc_drift_mg * 1e-3),
        ("gyr", gyr_dps, sensor.gyr_noise_mdps_rthz * 1e-3, sensor.gyr_bias_dps, sensor.gyr_bias_max_dps,
         sensor.gyr_scale, sensor.gyr_range_dps, sensor.gyr_drift_dps),
    ):
        bias = _draw(rng, bias_sd, bias_max, 3)
        scale = _draw(rng, scale_sd, sensor.scale_max, 3)
        cross = _draw(rng, sensor.cross_axis, 2.5 * sensor.cross_axis + 1e-12, (3, 3))
        np.fill_diagonal(cross, 0.0)
        matrix = (np.eye(3) + cross) @ np.diag(1.0 + scale)
        measured = signal @ matrix.T + bias
        if kind == "gyr" and sensor.gyr_g_sensitivity_dps_per_g:
            measured = measured + sensor.gyr_g_sensitivity_dps_per_g * acc_g
        if noise > 0:
            measured = measured + rng.normal(0.0, noise * np.sqrt(dense_rate / 2.0), (n, 3))
        measured = np.clip(measured, -full_scale, full_scale)
        bandwidth = min(sensor.bandwidth_fraction * sample_rate_hz, sensor.max_bandwidth_hz, 0.45 * dense_rate)
        sos = butter(2, bandwidth, fs=dense_rate, output="sos")
        # Start the causal filter settled on the first value (no power-on transient).
        filtered = sosfilt(sos, measured - measured[0], axis=0) + measured[0]
        sampled = np.column_stack([np.interp(sample_times_s, dense_time_s, filtered[:, k]) for k in range(3)])
        sampled = sampled + _gauss_markov(rng, sampled.shape[0], sample_rate_hz, drift, sensor.drift_tau_s)
        sampled = _quantise(np.clip(sampled, -full_scale, full_scale), full_scale, sensor.bits)
        outputs.append(sampled)
        errors[kind] = {
            "bias": bias.tolist(),
            "scale": scale.tolist(),
            "cross_axis": cross.tolist(),
            "bandwidth_hz": float(bandwidth),
        }
    return outputs[0], outputs[1], errors


def apply_transport(
    true_times_s: np.ndarray,
    acc_g: np.ndarray,
    gyr_dps: np.ndarray,
    *,
    transport: Transport,
    sample_rate_hz: float,
    acc_range_g: float,
    gyr_range_dps: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Time-stamp, lose, duplicate and corrupt samples.

    Returns the recorded time stamps, accelerometer and gyroscope rows, and a
    summary including the affine map from true time to recording time
    (``time_offset_s + time_scale * t_true``) used to express the truth on the
    recording's time axis.
    """
    m = true_times_s.size
    t0 = float(true_times_s[0])
    info: dict[str, Any] = {}
    if transport.clock == "device":
        stamps = (np.arange(m) / sample_rate_hz).astype(float)
        # The device believes it samples at the nominal rate; true instants were
        # t0 + n / (rate (1 + ppm)), so recording time = (t_true - t0) (1 + ppm).
        scale = 1.0 + transport.clock_ppm * 1e-6
        info["time_scale"] = scale
        info["time_offset_s"] = -t0 * scale
    else:
        latency = transport.latency_ms * 1e-3
        interval = transport.connection_interval_ms * 1e-3
        arrival = true_times_s + latency
        if interval > 0:
            phase = rng.uniform(0, interval)
            arrival = np.ceil((arrival - phase) / interval) * interval + phase
        arrival = arrival + np.abs(rng.normal(0.0, transport.jitter_ms * 1e-3, m))
        # Host stamps are taken in arrival order: never decreasing, and a
        # batch of samples gets stamps a little apart as they are processed.
        # s_k = max(arrival_k, s_{k-1} + 0.1 ms), in closed form.
        step = 1e-4
        index = np.arange(m) * step
        stamps = index + np.maximum.accumulate(arrival - index)
        stamps = np.round(stamps, 6)
        origin = float(stamps[0])
        stamps = stamps - origin
        info["time_scale"] = 1.0
        # Truth on the host axis: the mean delay of a sample (latency, half a
        # connection interval, mean jitter) is part of the recording's time axis.
        mean_delay = latency + interval / 2 + transport.jitter_ms * 1e-3 * np.sqrt(2 / np.pi)
        info["time_offset_s"] = mean_delay - origin
    keep = np.ones(m, dtype=bool)
    if transport.loss_fraction > 0:
        n_runs = rng.binomial(m, transport.loss_fraction / max(transport.loss_run_mean, 1.0))
        starts = rng.integers(1, max(m - 1, 2), n_runs)
        lengths = rng.geometric(1.0 / max(transport.loss_run_mean, 1.0), n_runs)
        for start, length in zip(starts, lengths):  # a handful of runs, not per-sample work
            keep[start : start + length] = False
        keep[0] = True
    info["lost_samples"] = int((~keep).sum())
    acc = acc_g.copy()
    gyr = gyr_dps.copy()
    if transport.glitch_fraction > 0:
        n_glitch = rng.binomial(m, transport.glitch_fraction)
        rows = rng.integers(1, m, n_glitch)
        zero_rows = rows[: n_glitch // 3]
        spike_rows = rows[n_glitch // 3 :]
        acc[zero_rows] = 0.0
        gyr[zero_rows] = 0.0
        axes = rng.integers(0, 3, spike_rows.size)
        acc[spike_rows, axes] = rng.uniform(-1, 1, spike_rows.size) * acc_range_g
        info["glitch_rows"] = int(n_glitch)
    stamps, acc, gyr = stamps[keep], acc[keep], gyr[keep]
    if transport.duplicate_fraction > 0:
        repeat = np.ones(stamps.size, dtype=int)
        repeat[rng.random(stamps.size) < transport.duplicate_fraction] = 2
        stamps, acc, gyr = np.repeat(stamps, repeat), np.repeat(acc, repeat, axis=0), np.repeat(gyr, repeat, axis=0)
        info["duplicated_rows"] = int((repeat == 2).sum())
    return stamps, acc, gyr, info
