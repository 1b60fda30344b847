"""Shared fixtures of the report tests: one simulated recording, analysed and scored once."""

from __future__ import annotations

from pathlib import Path

import pytest

from eccentric_sense.io import write_recording
from eccentric_sense.report import load_scored
from eccentric_sense.simulate import SetSpec, simulate_session


@pytest.fixture(scope="session")
def bench_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated bench set (tempo protocol, 4 reps, the second one dropped) as canonical CSV."""
    sim = simulate_session(
        [SetSpec(exercise="bench", protocol="tempo", n_reps=4, ecc_s=3.5, flaws={1: ["drop"]}, setup=False)],
        seed=11, lead_in_s=2.0, tail_s=2.0, metadata={"device": "report-test-sensor"},
    )
    path = tmp_path_factory.mktemp("recordings") / "bench_tempo.csv"
    write_recording(sim.recording, path)
    return path


@pytest.fixture(scope="session")
def scored(bench_csv: Path):
    """The recording read, analysed and scored through the same path the report uses."""
    result = load_scored(bench_csv, protocol="tempo", exercise="bench")
    assert len(result.reps) >= 2, "the simulated set should give reps to chart"
    return result


@pytest.fixture(scope="session")
def strict_scored(scored):
    """The same analysis scored with thresholds every rep breaks (deterministic flags)."""
    from eccentric_sense.scoring import score

    return score(
        scored.analysis, protocol="tempo", exercise="bench",
        overrides=["ecc_too_fast.tempo=30", "hard_bottom.max_decel_m_s2=0.001"],
    )
