"""The session report: ``report.html`` with tables, charts and advice, plus PNGs and a PDF.

>>> path = write_report(["bench.csv"], "out", protocol="tempo")   # doctest: +SKIP
"""

from __future__ import annotations

import base64
import os
import re
import textwrap
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from .. import __version__
from .. import columns as C
from ..analysis import distinct_sensor_rate_hz
from . import _html as H
from .charts import set_summary_chart, target_text, tempo_chart
from .moments import descent_targets

__all__ = ["ReportedRecording", "load_scored", "write_report", "write_scored_report", "REPORT_FILE", "PDF_FILE"]

REPORT_FILE = "report.html"
PDF_FILE = "report.pdf"


@dataclass
class ReportedRecording:
    """One recording of the report and the chart files written for it."""

    name: str
    scored: Any
    prefix: str = ""  # chart file-name prefix ("" when the report has one recording)
    charts: dict[int, dict[str, Path]] = field(default_factory=dict)


def load_scored(
    path: str | os.PathLike[str],
    *,
    protocol: str = "tempo",
    exercise: str | None = None,
    format_name: str | None = None,
    rule_overrides: Sequence[str] = (),
    rules_file: str | os.PathLike[str] | None = None,
) -> Any:
    """Read, analyse and score one recording (through :func:`eccentric_sense.workflow.analyze_file`)."""
    from ..scoring import ScoredAnalysis, load_catalog, score
    from ..workflow import analyze_file

    result = analyze_file(
        path, exercise=exercise, protocol=protocol, format_name=format_name,
        rule_overrides=rule_overrides, rules_file=rules_file,
    )
    if not isinstance(result, ScoredAnalysis):  # a workflow that stops at the analysis
        catalog = load_catalog(rules_file, overrides=list(rule_overrides) or None)
        result = score(result, protocol=protocol, catalog=catalog, exercise=exercise)
    return result


def write_report(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    protocol: str = "tempo",
    exercise: str | None = None,
    pdf: bool = False,
    embed: bool = False,
    format_name: str | None = None,
    rule_overrides: Sequence[str] = (),
    rules_file: str | os.PathLike[str] | None = None,
) -> Path:
    """Analyse recordings and write the session report into ``out_dir``.

    Parameters
    ----------
    paths
        One or more recording files (any layout :func:`eccentric_sense.io.read_any` reads).
    out_dir
        Created if missing.  Receives ``report.html``, one ``set-N-tempo.png``
        and ``set-N-summary.png`` per set (prefixed with the recording's name
        when there are several recordings) and, with ``pdf=True``, ``report.pdf``.
    protocol, exercise
        What was trained (the protocol's targets come from the criteria catalog).
    embed
        Also put the charts inside ``report.html`` (base64 ``data:`` URIs), so
        the page alone can be sent around; the PNG files are written anyway.
    format_name, rule_overrides, rules_file
        As for ``eccentric-sense analyze`` (``--format``, ``--rule``, ``--rules``).

    Returns
    -------
    Path
        The ``report.html`` written.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    scored = [
        load_scored(p, protocol=protocol, exercise=exercise, format_name=format_name,
                    rule_overrides=rule_overrides, rules_file=rules_file)
        for p in paths
    ]
    return write_scored_report(scored, out_dir, names=[Path(p).name for p in paths], pdf=pdf, embed=embed)


def _slug(name: str) -> str:
    stem = Path(name).stem if name else "recording"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.") or "recording"


def _prefixes(names: Sequence[str]) -> list[str]:
    if len(names) == 1:
        return [""]
    out: list[str] = []
    for name in names:
        slug, k = _slug(name), 2
        candidate = slug
        while f"{candidate}-" in out:
            candidate, k = f"{slug}-{k}", k + 1
        out.append(f"{candidate}-")
    return out


def write_scored_report(
    scored: Sequence[Any],
    out_dir: str | os.PathLike[str],
    *,
    names: Sequence[str] | None = None,
    pdf: bool = False,
    embed: bool = False,
    title: str = "eccentric-sense session report",
) -> Path:
    """Write the report for analyses already scored (:func:`eccentric_sense.scoring.score`).

    See :func:`write_report` for what is written; returns the ``report.html`` path.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if names is None:
        names = [getattr(getattr(s, "recording", None), "source", None) or f"recording {k + 1}"
                 for k, s in enumerate(scored)]
    items = [ReportedRecording(str(n), s, p) for n, s, p in zip(names, scored, _prefixes(list(names)))]
    pdf_pages = None
    if pdf:
        from matplotlib.backends.backend_pdf import PdfPages

        pdf_pages = PdfPages(out / PDF_FILE)
        for page in _text_pages(items, title):
            pdf_pages.savefig(page)
    try:
        for item in items:
            for set_number in item.scored.sets[C.SET].astype(int):
                files: dict[str, Path] = {}
                for kind, draw in (("tempo", tempo_chart), ("summary", set_summary_chart)):
                    figure = draw(item.scored, int(set_number))
                    files[kind] = out / f"{item.prefix}set-{int(set_number)}-{kind}.png"
                    figure.savefig(files[kind])
                    if pdf_pages is not None:
                        pdf_pages.savefig(figure)
                item.charts[int(set_number)] = files
    finally:
        if pdf_pages is not None:
            pdf_pages.close()
    path = out / REPORT_FILE
    path.write_text(H.page(title, _body(items, title, pdf, embed)), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------- PDF text pages

_LINES_PER_PAGE = 58


def _summary_lines(items: list[ReportedRecording], title: str) -> list[str]:
    """The report's tables and advice as plain text lines (for the PDF)."""
    lines = [title, ""]
    for item in items:
        scored = item.scored
        lines += [f"== {item.name}", f"   protocol {scored.protocol}, {target_text(scored)}; "
                  f"exercise {scored.exercise or 'not given'}"]
        for _, row in scored.sets.iterrows():
            number = int(row[C.SET])
            lines.append("")
            lines += textwrap.wrap(f"Set {number}: {_set_summary_text(row)}", 96, subsequent_indent="   ")
            lines.append(f"   {'rep':>3} {'tempo':>9} {'descent s':>9} {'score':>5}  flags")
            for _, rep in scored.reps[scored.reps[C.SET] == number].sort_values(C.REP).iterrows():
                flags = ", ".join(rep[C.FLAGS]) or "ok"
                lines.append(f"   {int(rep[C.REP]):>3} {rep[C.TEMPO]:>9} {H.fmt(rep[C.ECC_DURATION_S], 1):>9} "
                             f"{H.fmt(rep[C.CONTROL_SCORE], 0):>5}  {flags}")
        lines += ["", "Advice:"]
        for advice in getattr(scored, "advice", []) or []:
            lines += textwrap.wrap(str(advice), 96, initial_indent="  - ", subsequent_indent="    ")
        lines.append("")
    return lines


def _text_pages(items: list[ReportedRecording], title: str) -> list[Any]:
    from . import _style as S

    lines = _summary_lines(items, title)
    pages = []
    for start in range(0, len(lines), _LINES_PER_PAGE):
        figure = S.new_figure(11.69, width_in=8.27)  # A4 portrait
        figure.set_layout_engine("none")
        figure.text(0.06, 0.96, "\n".join(lines[start:start + _LINES_PER_PAGE]), va="top", ha="left",
                    family="monospace", fontsize=8.5)
        pages.append(figure)
    return pages


# ----------------------------------------------------------------------------- HTML body

def _metadata_rows(item: ReportedRecording) -> list[tuple[str, str]]:
    scored = item.scored
    recording = getattr(scored, "recording", None)
    rows: list[tuple[str, str]] = [("file", item.name)]
    if recording is not None:
        rows += [
            ("duration", f"{recording.duration_s:.1f} s"),
            ("samples", str(recording.n_samples)),
            ("gyroscope", "yes" if recording.has_gyroscope else "no"),
        ]
    kin = getattr(scored, "kinematics", None)
    if kin is not None:
        sensor = distinct_sensor_rate_hz(getattr(scored, "diagnostics", None) or {}, kin.sample_rate_hz)
        if sensor is not None:
            rows.append(("sensor rate", f"{sensor:.0f} Hz"))
        rows.append(("analysis rate", f"{kin.sample_rate_hz:.0f} Hz"))
    rows.append(("exercise", str(scored.exercise or "not given")))
    try:
        protocol = scored.catalog.protocol(scored.protocol)
        rows.append(("protocol", f"{protocol.id}: {protocol.name}"))
    except Exception:
        rows.append(("protocol", str(scored.protocol)))
    rows.append(("descent target", target_text(scored)))
    catalog = getattr(scored, "catalog", None)
    if catalog is not None:
        rows.append(("criteria catalog", f"version {catalog.version}"
                     + (f" (changed: {', '.join(catalog.overridden)})" if catalog.overridden else "")))
    if recording is not None:
        for key, value in sorted(recording.metadata.items()):
            rows.append((f"metadata: {key}", str(value)))
    return rows


_REP_HEADER = ("rep", "tempo", "descent s", "target s", "down m/s", "peak down m/s", "stop m/s\u00b2",
               "up m/s", "ROM m", "pause bottom s", "pause top s", "score", "flags")


def _rep_rows(scored: Any, set_number: int) -> tuple[list[list[str]], list[str]]:
    targets = pd.Series(descent_targets(scored), index=scored.reps.index)
    reps = scored.reps[scored.reps[C.SET] == set_number].sort_values(C.REP)
    rows, classes = [], []
    for index, rep in reps.iterrows():
        flags = list(rep[C.FLAGS] or [])
        rows.append([
            str(int(rep[C.REP])), str(rep[C.TEMPO]), H.fmt(rep[C.ECC_DURATION_S], 1), H.fmt(targets[index], 1),
            H.fmt(rep[C.ECC_MEAN_VELOCITY], 3), H.fmt(rep[C.ECC_PEAK_VELOCITY], 3),
            H.fmt(rep[C.BOTTOM_PEAK_DECEL], 1), H.fmt(rep[C.CON_MEAN_VELOCITY], 2), H.fmt(rep[C.ROM], 2),
            H.fmt(rep[C.PAUSE_BOTTOM_S], 1), H.fmt(rep[C.PAUSE_TOP_S], 1), H.fmt(rep[C.CONTROL_SCORE], 0),
            ", ".join(flags) if flags else "ok",
        ])
        classes.append("flagged" if flags else "")
    return rows, classes


def _set_summary(row: pd.Series) -> str:
    return "<p>" + H.esc(_set_summary_text(row)) + "</p>"


def _set_summary_text(row: pd.Series) -> str:
    flags = list(row[C.SET_FLAGS] or [])
    parts = [
        f"{int(row[C.SET_REPS])} reps ({row[C.SET_FIRST_PHASE]} first)",
        f"{H.fmt(row[C.SET_START_S], 1)}-{H.fmt(row[C.SET_END_S], 1)} s",
        f"time under load {H.fmt(row[C.SET_TIME_UNDER_LOAD_S], 1)} s",
        f"mean descent {H.fmt(row[C.SET_MEAN_ECC_DURATION_S], 1)} s",
        f"velocity loss {H.fmt(row[C.SET_VELOCITY_LOSS_PCT], 0)} %",
        "set flags: " + (", ".join(flags) if flags else "none"),
    ]
    return "; ".join(parts)


_READING_GUIDE = (
    "<details><summary>How to read the charts</summary><ul>"
    "<li><b>Tempo chart:</b> bar speed (top, up positive) and height (bottom) against time. "
    "Blue spans are the lowering phases, orange the lifting phases. Above each descent: its duration "
    "and the rep's tempo (lowering-pause-lifting-pause, whole seconds), red when it was shorter than the "
    "target. The purple bracket starts with each descent and is as long as the protocol's target: "
    "a blue span that ends before its bracket was too fast. Red triangles mark flagged moments, one "
    "row per rule (the rule id is on the left); the same moments are circled on the speed trace.</li>"
    "<li><b>Set summary:</b> descent time per rep against the target (green met, red hatched short), "
    "how hard each descent was stopped at the bottom against the limit, the control score "
    "(100 = no rule broken), and the lifting speed across the set.</li></ul></details>"
)


def _image_source(path: Path, embed: bool) -> str:
    if not embed:
        return path.name
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _body(items: list[ReportedRecording], title: str, pdf: bool, embed: bool) -> str:
    created = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f"<h1>{H.esc(title)}</h1>",
             f'<p class="muted">Made by eccentric-sense {H.esc(__version__)} on {H.esc(created)}. '
             "Speeds are positive magnitudes; times are on each recording's own time axis."
             + (f' Charts also in <a href="{PDF_FILE}">{PDF_FILE}</a>.' if pdf else "") + "</p>",
             _READING_GUIDE]
    for item in items:
        scored = item.scored
        parts.append(f"<h2>{H.esc(item.name)}</h2>")
        parts.append(H.table(("recording", "value"), _metadata_rows(item), text_columns=(0, 1), css_class="meta"))
        advice = list(getattr(scored, "advice", []) or [])
        if scored.sets.empty:
            parts.append("<p>No reps were found in this recording.</p>")
        for _, row in scored.sets.iterrows():
            number = int(row[C.SET])
            parts.append(f'<h3 id="{H.esc(item.prefix)}set-{number}">Set {number}</h3>')
            parts.append(_set_summary(row))
            rows, classes = _rep_rows(scored, number)
            parts.append(H.table(_REP_HEADER, rows, text_columns=(len(_REP_HEADER) - 1,),
                                 row_classes=classes, css_class="reps"))
            set_advice = [a for a in advice if a.set == number]
            parts.append("<p><b>Advice for this set</b></p>" + H.advice_list(set_advice))
            for kind, alt in (("tempo", "tempo chart"), ("summary", "set summary chart")):
                chart = item.charts.get(number, {}).get(kind)
                if chart is not None:
                    parts.append(f'<img src="{H.esc(_image_source(chart, embed))}" alt="Set {number} {alt}" '
                                 'width="1080" loading="lazy">')
        general = [a for a in advice if a.set is None]
        if general:
            parts.append("<h3>General advice</h3>" + H.advice_list(general))
    return "\n".join(parts)
