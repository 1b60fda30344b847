"""Determinism, invariances, transport effects, suites and the committed sample recordings."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eccentric_sense import columns as C
from eccentric_sense.io.canonical import read_recording, write_recording
from eccentric_sense.simulate import (
    IDEAL,
    SetSpec,
    Transport,
    benchmark_suite,
    heldout_suite,
    robustness_suite,
    simulate_from_spec,
    simulate_session,
    simulate_set,
)
from eccentric_sense.simulate.make_samples import regenerate_bytes, sha256_of

SAMPLES = Path(__file__).resolve().parents[2] / "sample_recordings"
SPEC = [SetSpec("squat", "tempo", n_reps=3, flaws={1: ["drop"]})]


def _truth_numbers(sim):
    return sim.truth_reps[list(C.REP_TABLE_NUMERIC)].to_numpy(dtype=float)


def test_same_seed_same_recording_and_different_seed_differs():
    a = simulate_session(SPEC, seed=21, sample_rate_hz=50)
    b = simulate_session(SPEC, seed=21, sample_rate_hz=50)
    c = simulate_session(SPEC, seed=22, sample_rate_hz=50)
    np.testing.assert_array_equal(a.recording.acc_mps2, b.recording.acc_mps2)
    np.testing.assert_array_equal(a.recording.time_s, b.recording.time_s)
    pd.testing.assert_frame_equal(a.truth_reps, b.truth_reps)
    assert a.spec == b.spec
    assert a.recording.n_samples != c.recording.n_samples or not np.array_equal(a.recording.acc_mps2, c.recording.acc_mps2)



def test_changing_the_sensor_keeps_the_motion_and_the_transport():
    # benchmarks/error_budget.py records each case again with a perfect
    # sensor and attributes the difference to the sensor alone.
    from dataclasses import replace

    from eccentric_sense.simulate.sensor import sensor_preset

    real = sensor_preset("mpu6050")
    perfect = replace(IDEAL, bandwidth_fraction=real.bandwidth_fraction, max_bandwidth_hz=real.max_bandwidth_hz)
    transport = Transport(clock="host", loss_fraction=0.03, glitch_fraction=0.002)
    a = simulate_session(SPEC, seed=24, sample_rate_hz=50, sensor="mpu6050", transport=transport)
    b = simulate_session(SPEC, seed=24, sample_rate_hz=50, sensor=perfect, transport=transport)
    pd.testing.assert_frame_equal(a.truth_reps, b.truth_reps)
    np.testing.assert_array_equal(a.recording.time_s, b.recording.time_s)  # same losses, same stamps
    assert a.spec["realised"]["transport"] == b.spec["realised"]["transport"]
    assert not np.allclose(a.recording.acc_mps2, b.recording.acc_mps2, atol=0.05)  # the sensor's errors differ

def test_spec_is_json_and_regenerates_the_recording():
    sim = simulate_session(SPEC, seed=23, sample_rate_hz=60, transport=Transport(clock="host", loss_fraction=0.02))
    again = simulate_from_spec(json.loads(json.dumps(sim.spec)))
    np.testing.assert_array_equal(sim.recording.time_s, again.recording.time_s)
    np.testing.assert_array_equal(sim.recording.gyr_rads, again.recording.gyr_rads)


def test_truth_does_not_depend_on_sensor_mounting_or_rate():
    base = simulate_session(SPEC, seed=24, sensor="bmi270", sample_rate_hz=100, mounting="random")
    for kwargs in (
        {"sensor": "mpu6050"},
        {"mounting": "flat"},
        {"mounting": [30.0, -70.0, 145.0]},
        {"sample_rate_hz": 25},
        {"sample_rate_hz": 200},
        {"gyroscope": False},
    ):
        other = simulate_session(SPEC, seed=24, **{"sensor": "bmi270", "sample_rate_hz": 100, "mounting": "random", **kwargs})
        np.testing.assert_allclose(_truth_numbers(other), _truth_numbers(base), atol=1e-12, err_msg=str(kwargs))
        assert other.truth_reps[C.FLAGS].tolist() == base.truth_reps[C.FLAGS].tolist()


def test_mounting_rotates_the_reading_but_keeps_its_magnitude():
    flat = simulate_session(SPEC, seed=25, sensor=IDEAL, mounting="flat")
    tilted = simulate_session(SPEC, seed=25, sensor=IDEAL, mounting=[80.0, 20.0, -120.0])
    assert not np.allclose(flat.recording.acc_mps2, tilted.recording.acc_mps2, atol=0.1)
    np.testing.assert_allclose(
        np.linalg.norm(flat.truth.specific_force_mps2, axis=1),
        np.linalg.norm(tilted.truth.specific_force_mps2, axis=1),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        np.linalg.norm(flat.truth.gyro_rads, axis=1), np.linalg.norm(tilted.truth.gyro_rads, axis=1), atol=1e-12
    )


def test_accelerometer_only_recording_has_no_gyro():
    sim = simulate_set(SPEC[0], seed=26, gyroscope=False, sample_rate_hz=50)
    assert sim.recording.gyr_rads is None
    assert sim.recording.metadata["sample_rate_hz"] == "50"


def test_host_clock_jitter_losses_duplicates_and_glitches():
    transport = Transport(
        clock="host", jitter_ms=4.0, connection_interval_ms=30.0, loss_fraction=0.05, loss_run_mean=5.0,
        duplicate_fraction=0.01, glitch_fraction=0.002,
    )
    sim = simulate_session(SPEC, seed=27, sample_rate_hz=50, sensor="mpu6050", transport=transport)
    t = sim.recording.time_s
    steps = np.diff(t)
    assert np.all(steps >= 0)
    assert (steps == 0).sum() == sim.spec["realised"]["transport"]["duplicated_rows"] > 0
    positive = steps[steps > 0]
    assert positive.std() > 0.004  # jittery, batched host stamps
    assert positive.max() > 4 / 50  # a lost run leaves a gap
    lost = sim.spec["realised"]["transport"]["lost_samples"]
    assert 0.02 < lost / (t[-1] * 50) < 0.1
    # Glitches: some rows read exactly zero, or a spike far beyond any lift.
    acc = sim.recording.acc_g
    assert np.any(np.all(acc == 0.0, axis=1)) or np.any(np.abs(acc) > 3.0)
    # The truth is expressed on the host time axis: reps lie within the recording.
    assert sim.truth_reps[C.ECC_START_S].min() > t[0]
    assert sim.truth_reps[C.CON_END_S].max() < t[-1]


def test_device_clock_error_stretches_the_time_axis():
    fast = simulate_session(SPEC, seed=28, sample_rate_hz=100, transport=Transport(clock_ppm=500.0))
    exact = simulate_session(SPEC, seed=28, sample_rate_hz=100)
    ratio = fast.truth_reps[C.ECC_END_S].iloc[-1] / exact.truth_reps[C.ECC_END_S].iloc[-1]
    assert ratio == pytest.approx(1.0005, abs=2e-5)


def test_written_recording_reads_back(tmp_path):
    sim = simulate_session(SPEC, seed=29, sample_rate_hz=100)
    path = write_recording(sim.recording, tmp_path / "sim.csv")
    back = read_recording(path)
    np.testing.assert_allclose(back.acc_mps2, sim.recording.acc_mps2, atol=1e-6)
    np.testing.assert_allclose(back.gyr_rads, sim.recording.gyr_rads, atol=1e-6)
    assert back.metadata["exercise"] == "squat"


def test_bad_specs_get_clear_errors():
    with pytest.raises(ValueError, match="unknown exercise 'benchpress'"):
        SetSpec("benchpress")
    with pytest.raises(ValueError, match="unknown flaw"):
        SetSpec("bench", flaws={0: ["wobbly"]})
    with pytest.raises(ValueError, match="needs exercise 'pullup'"):
        SetSpec("bench", "pullup_negative")
    with pytest.raises(ValueError, match="unknown sensor"):
        simulate_session(SPEC, sensor="lsm6dso")
    with pytest.raises(ValueError, match="rest_s needs 1 values"):
        simulate_session(SPEC * 2, rest_s=[30.0, 40.0])


def test_benchmark_suite_composition():
    cases = benchmark_suite(0)
    assert sum(c.n_sets for c in cases) >= 60
    assert len({c.name for c in cases}) == len(cases)
    rates = {float(c.condition["rate"]) for c in cases}
    assert min(rates) == 25 and max(rates) == 1000
    assert {c.condition["sensor"] for c in cases} == {"mpu6050", "bmi270", "icm42688"}
    exercises = {c.condition["exercise"] for c in cases}
    assert {"bench", "squat", "deadlift", "rdl", "curl", "press", "row", "pullup", "dip"} <= exercises
    protocols = {c.condition["protocol"] for c in cases}
    assert {"normal", "tempo", "negative_only", "negative_emphasized", "heavy_negatives", "pullup_negative"} <= protocols
    assert {c.condition["transport"] for c in cases} == {"clean", "lossy", "host"}
    for c in cases:
        if c.n_sets > 1:
            assert c.kwargs["rest_s"] >= 20.0
    assert benchmark_suite(0)[5].kwargs == cases[5].kwargs
    assert benchmark_suite(1)[5].kwargs["seed"] != cases[5].kwargs["seed"]


def test_robustness_and_heldout_suites():
    robust = robustness_suite(0)
    groups = {c.condition["group"] for c in robust}
    assert groups == {"deadlift", "mixed"}
    for c in robust:
        assert 30 <= c.kwargs["sample_rate_hz"] <= 60
        assert c.kwargs["transport"].clock == "host"
    mixed = [c for c in robust if c.condition["group"] == "mixed"]
    assert {s.exercise for c in mixed for s in c.kwargs["sets"]} == {"curl", "press", "row", "squat", "rdl"}
    assert any(s.continuous for c in robust for s in c.kwargs["sets"])
    assert [c.name for c in heldout_suite(5, 4)] == [c.name for c in heldout_suite(5, 4)]
    assert [c.kwargs["seed"] for c in heldout_suite(5, 4)] != [c.kwargs["seed"] for c in heldout_suite(6, 4)]


def test_a_robustness_case_simulates_with_walkouts_and_rotation():
    case = robustness_suite(0)[1]
    sim = case.simulate()
    intended = sum(len(s["reps"]) for s in sim.spec["realised"]["sets"])
    assert len(sim.truth_reps) == intended
    assert any(e["kind"] == "walkout" for e in sim.spec["realised"]["events"]) or case.condition["group"] == "deadlift"


def test_sample_manifest_checksums_and_regeneration():
    manifest = json.loads((SAMPLES / "manifest.json").read_text())
    files = manifest["files"]
    assert "bench_tempo_2sets.csv" in {e["file"] for e in files}
    total = 0
    for entry in files:
        path = SAMPLES / entry["file"]
        assert sha256_of(path) == entry["sha256"], entry["file"]
        total += path.stat().st_size
        assert len(entry["truth_reps"]) > 0
    assert total < 5e6
    for entry in files:
        assert hashlib.sha256(regenerate_bytes(entry)).hexdigest() == entry["sha256"], entry["file"]


def test_demo_sample_is_what_the_docs_promise():
    rec = read_recording(SAMPLES / "bench_tempo_2sets.csv")
    assert rec.has_gyroscope and rec.exercise == "bench"
    assert rec.sample_rate_hz == 100
    entry = next(e for e in json.loads((SAMPLES / "manifest.json").read_text())["files"] if e["file"] == "bench_tempo_2sets.csv")
    sets = [r["set"] for r in entry["truth_reps"]]
    assert sets.count(1) == 5 and sets.count(2) == 5
    assert all(r["ecc_duration_s"] >= 3.0 for r in entry["truth_reps"])
