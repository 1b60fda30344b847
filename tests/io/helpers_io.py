"""Small generated fixture files for the io tests (no downloaded data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CANONICAL_HEADER = "time_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps"


def canonical_text(n: int = 5, *, metadata: dict[str, str] | None = None, rate_hz: float = 100.0) -> str:
    """A valid canonical recording of ``n`` samples."""
    lines = ["# eccentric-sense recording v1"]
    lines += [f"# {k}: {v}" for k, v in (metadata or {"sample_rate_hz": "100", "exercise": "bench"}).items()]
    lines.append(CANONICAL_HEADER)
    for i in range(n):
        t = i / rate_hz
        lines.append(f"{t:.6f},{0.01 * i:.4f},{-0.02 * i:.4f},{1 + 0.001 * i:.4f},{0.5 * i:.3f},{-0.25 * i:.3f},{i:.3f}")
    return "\n".join(lines) + "\n"


def write(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


METABASE_ACC_HEADER = "epoch (ms),time (01:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)"
METABASE_GYR_HEADER = "epoch (ms),time (01:00),elapsed (s),x-axis (deg/s),y-axis (deg/s),z-axis (deg/s)"
EPOCH0_MS = 1547219408270  # 2019-01-11T15:10:08.270Z


def metabase_rows(epoch_ms: np.ndarray, values: np.ndarray) -> str:
    first = epoch_ms[0]
    out = []
    for t, (x, y, z) in zip(epoch_ms, values):
        seconds = (t - first) / 1000
        out.append(f"{int(t)},2019-01-11T16.10.{8.27 + seconds:06.3f},{seconds:.3f},{x:.3f},{y:.3f},{z:.3f}")
    return "\n".join(out) + "\n"


def write_metabase_pair(directory: Path, *, with_gyro: bool = True, stem: str = "A-bench_MetaWear_2019-01-11T16.10.08.270_C42732BE255C") -> tuple[Path, Path | None]:
    """An accelerometer export at 12.5 Hz and (optionally) a gyroscope export at 25 Hz, as MetaBase names them.

    The gyroscope's x rate is a ramp of 10 deg/s per second so that
    interpolated values are known exactly.
    """
    acc_t = EPOCH0_MS + 80 * np.arange(20)
    acc_v = np.column_stack([np.full(20, 0.01), np.linspace(0, 0.19, 20), np.full(20, 0.98)])
    acc = write(directory / f"{stem}_Accelerometer_12.500Hz_1.4.4.csv", METABASE_ACC_HEADER + "\n" + metabase_rows(acc_t, acc_v))
    if not with_gyro:
        return acc, None
    gyr_t = EPOCH0_MS - 20 + 40 * np.arange(45)  # starts 20 ms before and ends after the accelerometer
    ramp = (gyr_t - gyr_t[0]) / 1000 * 10.0
    gyr_v = np.column_stack([ramp, -ramp, np.full(45, 0.5)])
    gyr = write(directory / f"{stem}_Gyroscope_25.000Hz_1.4.4.csv", METABASE_GYR_HEADER + "\n" + metabase_rows(gyr_t, gyr_v))
    return acc, gyr


# WitMotion: the four header spellings found in the wild (see docs/recording-format.md)
WITMOTION_NEW_HEADER = "\t".join(
    [
        "Time", "Device name", "Chip Time()",
        "Acceleration X(g)", "Acceleration Y(g)", "Acceleration Z(g)",
        "Angular velocity X(°/s)", "Angular velocity Y(°/s)", "Angular velocity Z(°/s)",
        "Angle X(°)", "Angle Y(°)", "Angle Z(°)",
    ]
)
WITMOTION_OLD_HEADER = "\t".join(
    ["Time(s)", "ChipTime", "ax(g)", "ay(g)", "az(g)", "wx(deg/s)", "wy(deg/s)", "wz(deg/s)", "AngleX(deg)", "AngleY(deg)", "AngleZ(deg)", "T(°)"]
)


def witmotion_new_text(n: int = 6, device: str = "WT901BLE67(d0:1c:1b:3a:ee:9d)") -> str:
    rows = []
    for i in range(n):
        stamp = f"2024-3-5 10:11:12:{i * 20}"  # unpadded fields, milliseconds after a colon
        rows.append("\t".join([stamp, device, stamp, "0.010", "0.020", "1.000", f"{2.0 * i:.1f}", "0.0", "-1.0", "1.5", "2.5", "3.5"]))
    return WITMOTION_NEW_HEADER + "\n" + "\n".join(rows) + "\n"


def witmotion_old_text(n: int = 6) -> str:
    rows = []
    for i in range(n):
        rows.append("\t".join([f"{i * 0.005:.3f}", f"2021-06-01 12:00:00.{i * 5:03d}", "0.0", "0.0", "1.0", f"{i * 1.0:.1f}", "0.2", "0.3", "1", "2", "3", "25.1"]))
    return WITMOTION_OLD_HEADER + "\n" + "\n".join(rows) + "\n"


def arduino_text(n: int = 6, header: str = "tMillis,ax,ay,az,gx,gy,gz", az: float = 0.99) -> str:
    rows = [f"{1000 + 5 * i},0.00,0.10,{az},{i},2,3" for i in range(n)]
    return header + "\n" + "\n".join(rows) + "\n"
