"""The session report (API and command line) on a simulated recording."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
import shutil
from pathlib import Path

import pytest

from eccentric_sense import columns as C
from eccentric_sense.cli import main
from eccentric_sense.report import write_report


def _images(page: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', page)


@pytest.fixture(scope="module")
def report_dir(bench_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "nested" / "out"  # created by write_report
    path = write_report([bench_csv], out, protocol="tempo", exercise="bench")
    assert path == out / "report.html"
    return out


def test_report_references_existing_pngs_named_after_the_sets(report_dir: Path, scored):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    images = _images(page)
    expected = [f"set-{int(n)}-{kind}.png" for n in scored.sets[C.SET] for kind in ("tempo", "summary")]
    assert images == expected
    for name in images:
        data = (report_dir / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", name


class _TagBalance(HTMLParser):
    """Collects mismatched end tags (void elements need none)."""

    VOID = {"meta", "img", "br", "hr", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.mismatched: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.mismatched.append(tag)


def test_report_is_self_contained(report_dir: Path):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    balance = _TagBalance()
    balance.feed(page)
    assert balance.mismatched == [] and balance.open == []
    assert "<script" not in page.lower()
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "<style>" in page and 'name="viewport"' in page


def test_report_holds_metadata_set_tables_and_advice(report_dir: Path, scored):
    page = html.unescape((report_dir / "report.html").read_text(encoding="utf-8"))
    assert "report-test-sensor" in page  # recording metadata
    assert scored.catalog.protocol("tempo").name in page
    for _, rep in scored.reps.iterrows():
        row = re.search(rf"<tr[^>]*><td>{int(rep[C.REP])}</td><td>{re.escape(rep[C.TEMPO])}</td>"
                        rf"<td>{rep[C.ECC_DURATION_S]:.1f}</td>", page)
        assert row, f"rep {rep[C.REP]} missing from the set table"
    assert scored.advice, "the scorer gives at least the time-under-load item"
    for item in scored.advice:
        assert item.text in page and item.rule in page


def test_pdf_and_several_recordings_through_the_command_line(bench_csv: Path, scored, tmp_path: Path, capsys):
    second = tmp_path / "second.csv"
    shutil.copy(bench_csv, second)
    out = tmp_path / "cli-report"
    code = main(["report", str(bench_csv), str(second), "--protocol", "tempo", "--exercise", "bench",
                 "--out", str(out), "--pdf"])
    assert code == 0
    assert str(out / "report.html") in capsys.readouterr().out
    page = (out / "report.html").read_text(encoding="utf-8")
    images = _images(page)
    n_sets = len(scored.sets)
    assert len(images) == len(set(images)) == 2 * 2 * n_sets  # two recordings, two charts per set
    assert {name.split("-set-")[0] for name in images} == {"bench_tempo", "second"}
    assert all((out / name).is_file() for name in images)
    pdf = (out / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert pages >= 2 * 2 * n_sets + 1  # a text page with the tables and advice, then every chart


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["report", "--out", "{tmp}/o"], "report needs at least one recording FILE"),
        (["report", "{csv}", "--history", "--out", "{tmp}/o"], "give no recording files with it"),
        (["report", "{csv}", "--db", "{tmp}/x.sqlite3", "--out", "{tmp}/o"], "--db is only used with --history"),
        (["report", "{tmp}/missing.csv", "--out", "{tmp}/o"], "missing.csv"),
        (["report", "{csv}", "--rule", "no_such_rule.x=1", "--out", "{tmp}/o"], "no_such_rule"),
    ],
)
def test_bad_usage_is_one_clear_line(argv, message, bench_csv, tmp_path, capsys):
    argv = [a.format(tmp=tmp_path, csv=bench_csv) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.startswith("eccentric-sense: error:") and "\n" not in err
    assert not (tmp_path / "o" / "report.html").exists()


def test_a_recording_without_reps_still_gets_a_report(tmp_path: Path):
    import numpy as np

    from eccentric_sense.io import write_recording
    from eccentric_sense.recording import Recording

    rng = np.random.default_rng(0)
    t = np.arange(0, 15, 0.01)
    still = Recording(time_s=t, acc_mps2=np.array([0.0, 0.0, 9.80665]) + rng.normal(0, 0.02, (t.size, 3)),
                      gyr_rads=rng.normal(0, 0.001, (t.size, 3)))
    write_recording(still, tmp_path / "still.csv")
    page = write_report([tmp_path / "still.csv"], tmp_path / "out").read_text(encoding="utf-8")
    assert "No reps were found" in page
    assert not _images(page) and not list((tmp_path / "out").glob("*.png"))


def test_embedded_charts_make_a_single_file_page(bench_csv: Path, scored, tmp_path: Path):
    import base64

    page = write_report([bench_csv], tmp_path, protocol="tempo", exercise="bench", embed=True).read_text()
    sources = _images(page)
    assert len(sources) == 2 * len(scored.sets)
    for source in sources:
        assert source.startswith("data:image/png;base64,")
        assert base64.b64decode(source.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "set-1-tempo.png").is_file()


def test_the_sensor_rate_is_shown_when_the_analysis_runs_at_another(tmp_path: Path):
    # The bundled 200 Hz deadlift is analysed at 100 Hz; the bench recording
    # of the other tests is analysed at its own rate and shows one rate only.
    sample = Path(__file__).resolve().parents[2] / "sample_recordings" / "deadlift_5reps_200hz.csv"
    page = write_report([sample], tmp_path / "out", protocol="tempo").read_text(encoding="utf-8")
    assert re.search(r">sensor rate</td><td[^>]*>200 Hz<", page)
    assert re.search(r">analysis rate</td><td[^>]*>100 Hz<", page)


def test_one_rate_when_the_sensor_is_analysed_at_its_own(report_dir: Path):
    page = (report_dir / "report.html").read_text(encoding="utf-8")
    assert ">analysis rate<" in page and ">sensor rate<" not in page
