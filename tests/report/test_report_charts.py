"""Chart content, checked on the matplotlib artists (not on pixels)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from eccentric_sense import columns as C
from eccentric_sense.report import rep_label, set_summary_chart, tempo_chart
from eccentric_sense.report import _style as S


def _set_reps(scored, number: int) -> pd.DataFrame:
    return scored.reps[scored.reps[C.SET] == number].sort_values(C.REP)


def _by_gid(figure, prefix: str) -> dict:
    return {a.get_gid(): a for a in figure.findobj(lambda a: (a.get_gid() or "").startswith(prefix))}


def _axes(figure, gid: str):
    (ax,) = [ax for ax in figure.axes if ax.get_gid() == gid]
    return ax


def _phase_spans(ax) -> dict:
    return {p.get_gid(): p for p in ax.patches if (p.get_gid() or "").startswith("phase-")}


def _x_extent(patch) -> tuple[float, float]:
    """Data x-range of an axvspan (a Rectangle in recent matplotlib, a Polygon before 3.9)."""
    if hasattr(patch, "get_width"):
        return patch.get_x(), patch.get_x() + patch.get_width()
    x = np.asarray(patch.get_xy())[:, 0]
    return float(x.min()), float(x.max())


def _expected_phases(reps: pd.DataFrame) -> dict[str, tuple[float, float]]:
    out = {}
    for _, rep in reps.iterrows():
        for kind, start, end in (("eccentric", C.ECC_START_S, C.ECC_END_S), ("concentric", C.CON_START_S, C.CON_END_S)):
            if np.isfinite(rep[start]) and np.isfinite(rep[end]):
                out[f"phase-{kind}-rep-{int(rep[C.REP])}"] = (float(rep[start]), float(rep[end]))
    return out


@pytest.fixture(scope="module")
def tempo_figure(scored):
    return tempo_chart(scored, 1)


@pytest.fixture(scope="module")
def strict_tempo_figure(strict_scored):
    return tempo_chart(strict_scored, 1)


def test_one_shaded_span_per_phase_on_both_panels(scored, tempo_figure):
    expected = _expected_phases(_set_reps(scored, 1))
    assert len(expected) >= 3
    for panel in ("velocity", "displacement"):
        spans = _phase_spans(_axes(tempo_figure, panel))
        assert set(spans) == set(expected), panel
        for gid, (start, end) in expected.items():
            assert _x_extent(spans[gid]) == pytest.approx((start, end)), gid
    colours = {gid.split("-")[1]: spans[gid].get_facecolor()[:3] for gid in spans}
    assert colours["eccentric"] != colours["concentric"]


def test_target_drawn_from_each_descent_start_with_the_catalog_length(scored, strict_scored, tempo_figure,
                                                                       strict_tempo_figure):
    for result, figure in ((scored, tempo_figure), (strict_scored, strict_tempo_figure)):
        target = result.catalog.rule("ecc_too_fast").params["tempo"].value
        lines = _by_gid(figure, "target-rep-")
        reps = _set_reps(result, 1)
        assert set(lines) == {f"target-rep-{int(r)}" for r in reps[C.REP]}
        for _, rep in reps.iterrows():
            x = np.asarray(lines[f"target-rep-{int(rep[C.REP])}"].get_xdata(), dtype=float)
            assert x[0] == pytest.approx(rep[C.ECC_START_S])
            assert x[-1] - x[0] == pytest.approx(target)
    # the override reached the chart: 30 s instead of the catalog's default
    assert strict_scored.catalog.rule("ecc_too_fast").params["tempo"].value == 30
    assert scored.catalog.rule("ecc_too_fast").params["tempo"].value != 30


def test_rep_labels_show_the_rep_table_descent_and_tempo(scored, tempo_figure):
    labels = _by_gid(tempo_figure, "rep-label-")
    reps = _set_reps(scored, 1)
    assert len(labels) == len(reps)
    for _, rep in reps.iterrows():
        text = " ".join(labels[f"rep-label-{int(rep[C.REP])}"].get_text().split())
        assert text == f"{rep[C.ECC_DURATION_S]:.1f} s {rep[C.TEMPO]}"


def test_rep_label_format():
    assert rep_label(4.06, "4-1-1-0") == "4.1 s  4-1-1-0"
    assert rep_label(float("nan"), "0-0-1-0") == "no descent  0-0-1-0"


def test_flag_markers_carry_the_rule_ids(strict_scored, strict_tempo_figure):
    reps = _set_reps(strict_scored, 1)
    expected = {f"flag-{rule}-rep-{int(rep)}" for rep, flags in zip(reps[C.REP], reps[C.FLAGS]) for rule in flags}
    # every rep breaks both overridden rules, so there is something to mark
    assert {"ecc_too_fast", "hard_bottom"} <= {g.split("-")[1] for g in expected}
    lane = _axes(strict_tempo_figure, "flags")
    markers = {line.get_gid() for line in lane.lines}
    assert markers == expected
    lane_names = {tick.get_text() for tick in lane.get_yticklabels()}
    assert lane_names == {g.split("-")[1] for g in expected}
    # each marker sits on the lane named after its rule
    for line in lane.lines:
        rule = line.get_gid().split("-")[1]
        assert lane.get_yticklabels()[int(line.get_ydata()[0])].get_text() == rule
    trace_marks = {line.get_gid() for line in _axes(strict_tempo_figure, "velocity").lines
                   if (line.get_gid() or "").startswith("flag-trace-")}
    assert trace_marks == {g.replace("flag-", "flag-trace-", 1) for g in expected}


def test_no_flags_no_flag_lane(scored):
    from eccentric_sense.scoring import score

    lenient = score(scored.analysis, protocol="tempo", exercise="bench", overrides=[
        "ecc_too_fast.tempo=0.01", "hard_bottom.max_decel_m_s2=1000", "uncontrolled_descent.acc_g=50",
        "late_braking.speed_ratio=1000", "short_rom.min_fraction_of_median=0.001",
    ])
    assert not any(len(f) for f in lenient.reps[C.FLAGS])
    figure = tempo_chart(lenient, 1)
    assert [ax.get_gid() for ax in figure.axes] == ["velocity", "displacement"]
    assert not _by_gid(figure, "flag-")


def test_every_axis_has_units(tempo_figure, scored):
    summary = set_summary_chart(scored, 1)
    for figure in (tempo_figure, summary):
        for ax in figure.axes:
            if ax.get_gid() == "flags":
                continue
            label = ax.get_ylabel()
            assert any(unit in label for unit in (" s", "m/s", "m", "0-100")), label
        bottom = figure.axes[-1].get_xlabel()
        assert bottom in ("time in the recording, s", "rep")


def test_png_is_phone_sized(tempo_figure, tmp_path):
    path = tmp_path / "tempo.png"
    tempo_figure.savefig(path)
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")
    assert width == 1080 and 600 <= height <= 1400


def test_summary_chart_bars_colours_and_limits(strict_scored):
    figure = set_summary_chart(strict_scored, 1)
    reps = _set_reps(strict_scored, 1)
    descent, decel, score_bars = (_by_gid(figure, p) for p in ("descent-rep-", "decel-rep-", "score-rep-"))
    assert len(descent) == len(decel) == len(score_bars) == len(reps)
    targets = _by_gid(figure, "target-rep-")
    for _, rep in reps.iterrows():
        n = int(rep[C.REP])
        assert descent[f"descent-rep-{n}"].get_height() == pytest.approx(rep[C.ECC_DURATION_S])
        assert decel[f"decel-rep-{n}"].get_height() == pytest.approx(rep[C.BOTTOM_PEAK_DECEL])
        assert score_bars[f"score-rep-{n}"].get_height() == pytest.approx(rep[C.CONTROL_SCORE])
        failed = "ecc_too_fast" in rep[C.FLAGS]
        colour = descent[f"descent-rep-{n}"].get_facecolor()
        import matplotlib.colors as mcolors

        assert mcolors.to_hex(colour) == (S.FAIL_COLOUR if failed else S.PASS_COLOUR).lower()
        assert (descent[f"descent-rep-{n}"].get_hatch() == "//") == failed  # not colour alone
        assert targets[f"target-rep-{n}"].get_ydata()[0] == pytest.approx(30.0)
    limit = _by_gid(figure, "hard-bottom-limit")["hard-bottom-limit"]
    assert limit.get_ydata()[0] == pytest.approx(strict_scored.catalog.value("hard_bottom", "max_decel_m_s2"))
    lift = _by_gid(figure, "lift-speed")["lift-speed"]
    np.testing.assert_allclose(lift.get_ydata(), reps[C.CON_MEAN_VELOCITY].to_numpy(float))


def test_summary_passes_are_green(scored):
    from eccentric_sense.scoring import score
    import matplotlib.colors as mcolors

    easy = score(scored.analysis, protocol="tempo", exercise="bench", overrides=["ecc_too_fast.tempo=0.05"])
    bars = _by_gid(set_summary_chart(easy, 1), "descent-rep-")
    assert {mcolors.to_hex(b.get_facecolor()) for b in bars.values()} == {S.PASS_COLOUR.lower()}


def test_unknown_set_is_a_clear_error(scored):
    with pytest.raises(KeyError, match="no set 99"):
        tempo_chart(scored, 99)


def test_report_package_does_not_import_matplotlib_or_pyplot():
    code = (
        "import sys, eccentric_sense.report\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported at package import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_drawing_does_not_use_pyplot(tempo_figure):
    # (other tests in the same process may import pyplot, so look at the source and the canvas)
    from pathlib import Path

    import eccentric_sense.report as report

    for source in Path(report.__file__).parent.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "matplotlib.pyplot" not in text and "import pyplot" not in text, source.name
    assert tempo_figure.canvas.__class__.__name__ == "FigureCanvasAgg"
