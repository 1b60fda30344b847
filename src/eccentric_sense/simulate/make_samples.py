"""Write the canonical sample recordings and their manifest.

Usage::

    python -m eccentric_sense.simulate.make_samples [--out sample_recordings]

Every file is simulated from a fixed spec and seed; ``manifest.json`` lists,
per file, the generator inputs (``simulate_from_spec`` regenerates it byte
for byte), the truth rep table and the SHA-256 of the CSV.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from ..io.canonical import write_recording
from .sensor import Transport
from .session import SimulatedRecording, simulate_from_spec, simulate_session
from .specs import SetSpec

__all__ = ["SAMPLES", "build_sample", "write_samples", "main", "sha256_of"]

#: name -> simulate_session arguments
SAMPLES: dict[str, dict[str, Any]] = {
    "bench_tempo_2sets.csv": dict(
        sets=[SetSpec("bench", "tempo", n_reps=5, roll_deg=10.0), SetSpec("bench", "tempo", n_reps=5, roll_deg=10.0)],
        rest_s=75.0,
        sensor="bmi270",
        sample_rate_hz=100.0,
        mounting="random",
        seed=20240,
    ),
    "pullup_negative_5reps.csv": dict(
        sets=[SetSpec("pullup", "pullup_negative", n_reps=5, swing_m=0.015)],
        sensor="bmi270",
        sample_rate_hz=100.0,
        mounting="random",
        seed=20241,
    ),
    "deadlift_5reps_200hz.csv": dict(
        sets=[SetSpec("deadlift", "normal", n_reps=5, roll_deg=20.0, flaws={4: ["hard_bottom"]})],
        sensor="mpu6050",
        sample_rate_hz=200.0,
        mounting="random",
        seed=20242,
    ),
    "squat_accel_only_50hz_host_clock.csv": dict(
        sets=[SetSpec("squat", "tempo", n_reps=5, roll_deg=30.0, flaws={2: ["drop"]})],
        sensor="mpu6050",
        sample_rate_hz=50.0,
        mounting="random",
        gyroscope=False,
        transport=Transport(clock="host", latency_ms=30.0, connection_interval_ms=15.0, jitter_ms=3.0,
                            loss_fraction=0.02, loss_run_mean=4.0),
        seed=20243,
    ),
    "bench_negative_only_flaws.csv": dict(
        sets=[SetSpec("bench", "negative_only", n_reps=4, unsteady_handoff=True,
                      flaws={1: ["drop"], 2: ["late_braking"], 3: ["too_fast"]})],
        sensor="icm42688",
        sample_rate_hz=100.0,
        mounting="sleeve",
        seed=20244,
    ),
}


def sha256_of(path: str | os.PathLike[str]) -> str:
    """SHA-256 hex digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def build_sample(name: str) -> SimulatedRecording:
    """Simulate one of :data:`SAMPLES`."""
    return simulate_session(**SAMPLES[name])


def _write(sim: SimulatedRecording, path: Path) -> dict[str, Any]:
    write_recording(sim.recording, path, overwrite=True)
    reps = sim.truth_reps.astype(object).where(sim.truth_reps.notna(), None).to_dict(orient="records")
    return {
        "file": path.name,
        "sha256": sha256_of(path),
        "bytes": path.stat().st_size,
        "seed": sim.spec["inputs"]["seed"],
        "spec": sim.spec["inputs"],
        "truth_reps": _clean(json.loads(json.dumps(reps, default=float))),
    }


def write_samples(out: str | os.PathLike[str] = "sample_recordings") -> dict[str, Any]:
    """Write every sample CSV and ``manifest.json`` into ``out``; return the manifest."""
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    entries = [_write(build_sample(name), directory / name) for name in SAMPLES]
    manifest = {
        "generator": "python -m eccentric_sense.simulate.make_samples",
        "regenerate": "eccentric_sense.simulate.simulate_from_spec(entry['spec'])",
        "files": entries,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def regenerate_bytes(entry: dict[str, Any]) -> bytes:
    """The CSV bytes that ``entry['spec']`` produces (for checking the committed files)."""
    sim = simulate_from_spec(entry["spec"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / entry["file"]
        write_recording(sim.recording, path, overwrite=True)
        return path.read_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eccentric_sense.simulate.make_samples", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="sample_recordings", help="output directory (default: sample_recordings)")
    args = parser.parse_args(argv)
    manifest = write_samples(args.out)
    total = sum(entry["bytes"] for entry in manifest["files"])
    for entry in manifest["files"]:
        print(f"{entry['file']}: {entry['bytes'] / 1e6:.2f} MB, {len(entry['truth_reps'])} reps")
    print(f"total {total / 1e6:.2f} MB -> {args.out}/manifest.json")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
