"""Write the example notebooks (run: ``python notebooks/make_notebooks.py``).

The notebooks are generated so that they stay small and hold no outputs;
``tests/report/test_notebooks.py`` executes them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

FIND_SAMPLES = '''\
from pathlib import Path

def find_samples() -> Path | None:
    """The repository's sample_recordings/ folder, looked for upwards from here."""
    for folder in [Path.cwd(), *Path.cwd().parents]:
        if (folder / "sample_recordings").is_dir():
            return folder / "sample_recordings"
    return None
'''

GETTING_STARTED = [
    new_markdown_cell(
        "# Getting started with eccentric-sense\n\n"
        "Load a recording of a bar-mounted motion sensor, find the reps, see how each descent "
        "(the eccentric phase) went, and export the results.\n\n"
        "The recording used here is `sample_recordings/bench_tempo_2sets.csv` from the repository "
        "(a simulated bench press session: two sets of tempo reps). If the folder is not there "
        "(e.g. an installed package), the same kind of recording is simulated instead."
    ),
    new_code_cell(
        FIND_SAMPLES + '''
import tempfile

import eccentric_sense as es
from eccentric_sense.io import write_recording

work = Path(tempfile.mkdtemp(prefix="eccentric-sense-notebook-"))
samples = find_samples()
if samples is not None and (samples / "bench_tempo_2sets.csv").exists():
    path = samples / "bench_tempo_2sets.csv"
else:
    from eccentric_sense.simulate import SetSpec, simulate_session

    sim = simulate_session([SetSpec(exercise="bench", protocol="tempo", n_reps=5)] * 2, rest_s=60, seed=1)
    path = work / "bench_tempo_2sets.csv"
    write_recording(sim.recording, path)
print("recording:", path)'''
    ),
    new_markdown_cell(
        "## Read and look at the raw data\n\n"
        "A `Recording` holds the time stamps, the accelerometer (m/s²) and gyroscope (rad/s) "
        "samples and the file's metadata."
    ),
    new_code_cell(
        '''recording = es.read_recording(path)
print(f"{recording.n_samples} samples, {recording.duration_s:.1f} s, gyroscope: {recording.has_gyroscope}")
recording.metadata'''
    ),
    new_markdown_cell(
        "## Analyse and score\n\n"
        "`load_scored` reads the file, finds the sets, reps and phases, measures every rep and "
        "scores it against the coaching rules of the chosen protocol (here `tempo`: at least "
        "3 s per descent; the numbers come from the criteria catalog)."
    ),
    new_code_cell(
        '''from eccentric_sense.report import load_scored

scored = load_scored(path, protocol="tempo", exercise="bench")
scored.reps[["set", "rep", "tempo", "ecc_duration_s", "ecc_mean_velocity_m_s", "rom_m",
             "bottom_peak_decel_m_s2", "control_score", "flags"]].round(2)'''
    ),
    new_code_cell('''scored.sets.round(2)'''),
    new_code_cell(
        '''for item in scored.advice:
    print(item)'''
    ),
    new_markdown_cell(
        "## Plot\n\n"
        "The tempo chart shows the bar speed and height against time with the lowering (blue) and "
        "lifting (orange) phases shaded, the protocol's descent target drawn from the start of each "
        "descent, and every flagged moment. The summary chart compares the reps of the set."
    ),
    new_code_cell(
        '''from IPython.display import Image, display

from eccentric_sense.report import set_summary_chart, tempo_chart

first_set = int(scored.sets["set"].iloc[0])
tempo_png = work / f"set-{first_set}-tempo.png"
tempo_chart(scored, first_set).savefig(tempo_png)
display(Image(filename=str(tempo_png), width=720))'''
    ),
    new_code_cell(
        '''summary_png = work / f"set-{first_set}-summary.png"
set_summary_chart(scored, first_set).savefig(summary_png)
display(Image(filename=str(summary_png), width=720))'''
    ),
    new_markdown_cell(
        "## Export\n\n"
        "The rep table as CSV, the whole analysis as the JSON document of the rep-table contract, "
        "and the HTML report (the same as `eccentric-sense report FILE --out DIR`)."
    ),
    new_code_cell(
        '''import json

from eccentric_sense.report import write_scored_report

table = scored.reps.copy()
table["flags"] = table["flags"].map(";".join)
table.to_csv(work / "reps.csv", index=False)
(work / "analysis.json").write_text(json.dumps(scored.to_dict()))
report = write_scored_report([scored], work / "report", names=[path.name])
print("rep table:", work / "reps.csv")
print("JSON:", work / "analysis.json")
print("report:", report)
assert report.exists() and (work / "reps.csv").exists()'''
    ),
]

VALIDATE = [
    new_markdown_cell(
        "# Validate the analysis against ground truth\n\n"
        "The simulator (`eccentric_sense.simulate`) produces a sensor recording together with the "
        "exact rep table of the motion it simulated. Analysing the recording and comparing the two "
        "tables shows how far the measured descent times, ranges and speeds are from the truth."
    ),
    new_code_cell(
        '''import numpy as np
import pandas as pd

from eccentric_sense.analysis import analyze
from eccentric_sense.scoring import score
from eccentric_sense.simulate import SetSpec, simulate_session

sim = simulate_session(
    [
        SetSpec(exercise="bench", protocol="tempo", n_reps=5, ecc_s=4.0),
        SetSpec(exercise="bench", protocol="tempo", n_reps=5, ecc_s=3.0, flaws={3: ["drop"]}),
    ],
    rest_s=60, sensor="bmi270", sample_rate_hz=100, seed=7,
)
truth = sim.truth_reps
print(f"{sim.recording.n_samples} samples, {len(truth)} true reps")'''
    ),
    new_code_cell(
        '''scored = score(analyze(sim.recording, exercise="bench"), protocol="tempo")
found = scored.reps
print(f"found {len(found)} reps in {len(scored.sets)} set(s)")'''
    ),
    new_markdown_cell(
        "## Match the reps\n\n"
        "Each true rep is paired with the measured rep whose descent starts nearest to it "
        "(within 1 s); unmatched reps are misses or false detections."
    ),
    new_code_cell(
        '''def match(truth: pd.DataFrame, found: pd.DataFrame, tolerance_s: float = 1.0) -> pd.DataFrame:
    left = truth.dropna(subset=["ecc_start_s"]).sort_values("ecc_start_s")
    right = found.dropna(subset=["ecc_start_s"]).sort_values("ecc_start_s")
    return pd.merge_asof(left, right, on="ecc_start_s", direction="nearest", tolerance=tolerance_s,
                         suffixes=("_true", "_found"))

pairs = match(truth, found)
matched = pairs.dropna(subset=["ecc_duration_s_found"])
print(f"matched {len(matched)} of {len(truth)} true reps; {len(found) - len(matched)} extra detections")'''
    ),
    new_code_cell(
        '''quantities = ["ecc_duration_s", "ecc_mean_velocity_m_s", "rom_m", "con_duration_s", "bottom_peak_decel_m_s2"]
errors = pd.DataFrame({q: matched[f"{q}_found"] - matched[f"{q}_true"] for q in quantities})
summary = pd.DataFrame({
    "mean error": errors.mean(),
    "mean |error|": errors.abs().mean(),
    "max |error|": errors.abs().max(),
})
summary.round(3)'''
    ),
    new_code_cell(
        '''flags = pd.DataFrame({
    "rep": matched["rep_true"].astype(int),
    "true flags": matched["flags_true"],
    "found flags": matched["flags_found"],
})
flags'''
    ),
    new_markdown_cell("## Measured against true descent time"),
    new_code_cell(
        '''import tempfile
from pathlib import Path

from IPython.display import Image, display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

figure = Figure(figsize=(7, 6), dpi=100, layout="constrained")
FigureCanvasAgg(figure)
ax = figure.subplots()
ax.plot(matched["ecc_duration_s_true"], matched["ecc_duration_s_found"], "o", color="#0072B2", markersize=9)
limits = [0, float(np.nanmax(matched[["ecc_duration_s_true", "ecc_duration_s_found"]].to_numpy())) * 1.1]
ax.plot(limits, limits, "--", color="#888888", label="perfect")
ax.set_xlim(limits)
ax.set_ylim(limits)
ax.set_xlabel("true descent time, s")
ax.set_ylabel("measured descent time, s")
ax.legend()
work = Path(tempfile.mkdtemp(prefix="eccentric-sense-validation-"))
figure.savefig(work / "descent-vs-truth.png")
display(Image(filename=str(work / "descent-vs-truth.png"), width=480))'''
    ),
    new_markdown_cell(
        "## Sample by sample: the trace\n\n"
        "`analysis.trace()` (on the command line `eccentric-sense analyze FILE --trace trace.csv`) is what "
        "the rep table was measured from: per sample the vertical velocity and displacement, and the set, "
        "rep and phase the sample belongs to. Against the simulator's true velocity:"
    ),
    new_code_cell(
        '''trace = scored.analysis.trace()
true_velocity = np.interp(trace["time_s"], sim.truth.time_s, sim.truth.v_m_s)
measured = ~trace["gap"]
error = (trace["velocity_m_s"] - true_velocity)[measured]
print(f"velocity, mean |error| over the recording: {1000 * error.abs().mean():.1f} mm/s")
phase = trace["phase"].fillna("").replace("", "outside reps")
trace.groupby(phase)["velocity_m_s"].agg(["count", "mean", "min", "max"]).round(3)'''
    ),
    new_markdown_cell(
        "### Against another device\n\n"
        "A linear position transducer or a camera recorded alongside has a clock of its own. "
        "Cross-correlating the two velocity curves finds the offset between the clocks; after that the "
        "comparison is sample by sample, or rep by rep as here (peak lift speed, what velocity trackers "
        "report). The \"reference\" below is the true motion at 50 Hz on a clock 2.35 s late, so the "
        "offset found can be checked."
    ),
    new_code_cell(
        '''from scipy import signal

reference_time = np.arange(sim.truth.time_s[0], sim.truth.time_s[-1], 0.02) + 2.35  # its own clock
reference_velocity = np.interp(reference_time - 2.35, sim.truth.time_s, sim.truth.v_m_s)


def clock_offset(trace: pd.DataFrame, reference_time: np.ndarray, reference_velocity: np.ndarray) -> float:
    """Seconds the reference clock runs ahead of the trace's (cross-correlation of the velocities)."""
    step = float(np.median(np.diff(trace["time_s"])))
    ours = trace["velocity_m_s"].fillna(0.0).to_numpy()
    grid = np.arange(reference_time[0], reference_time[-1], step)
    theirs = np.interp(grid, reference_time, reference_velocity)
    correlation = signal.correlate(ours - ours.mean(), theirs - theirs.mean(), mode="full", method="fft")
    lag = signal.correlation_lags(ours.size, theirs.size, mode="full")[np.argmax(correlation)]
    return float(grid[0] - trace["time_s"].iloc[0] - lag * step)


offset = clock_offset(trace, reference_time, reference_velocity)
print(f"reference clock ahead by {offset:.3f} s (true: 2.350 s)")
aligned = reference_time - offset
peaks = [
    reference_velocity[(aligned >= rep.con_start_s) & (aligned <= rep.con_end_s)].max()
    for rep in scored.reps.itertuples()
]
comparison = pd.DataFrame({
    "set": scored.reps["set"],
    "rep": scored.reps["rep"],
    "reference": peaks,
    "eccentric-sense": scored.reps["con_peak_velocity_m_s"],
})
comparison["difference"] = comparison["eccentric-sense"] - comparison["reference"]
assert abs(offset - 2.35) < 0.02
print(f"peak lift speed, mean |difference|: {comparison['difference'].abs().mean():.3f} m/s")
comparison.round(3)'''
    ),
    new_markdown_cell("The tempo chart of the set with the dropped rep, as the report draws it:"),
    new_code_cell(
        '''from eccentric_sense.report import tempo_chart

last_set = int(scored.sets["set"].iloc[-1])
tempo_chart(scored, last_set).savefig(work / "tempo.png")
display(Image(filename=str(work / "tempo.png"), width=720))
assert len(matched) > 0'''
    ),
]


def build(cells: list, title: str) -> nbformat.NotebookNode:
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.metadata["title"] = title
    return notebook


def main() -> None:
    for name, cells, title in (
        ("getting-started.ipynb", GETTING_STARTED, "Getting started"),
        ("validate-against-ground-truth.ipynb", VALIDATE, "Validate against ground truth"),
    ):
        notebook = build(cells, title)
        nbformat.validate(notebook)
        nbformat.write(notebook, HERE / name)


if __name__ == "__main__":
    main()
