"""Charts and reports.

matplotlib is imported inside the plotting functions only; importing this
package does not import it.

>>> from eccentric_sense.report import write_report                 # doctest: +SKIP
>>> write_report(["bench.csv"], "bench-report", protocol="tempo")   # doctest: +SKIP
"""

from __future__ import annotations

from .charts import rep_label, set_summary_chart, target_text, tempo_chart
from .moments import descent_targets, flag_moments
from .trends import HISTORY_FILE, set_history, trend_chart, weekly_trends, write_history_report
from .session import PDF_FILE, REPORT_FILE, load_scored, write_report, write_scored_report

__all__ = [
    "HISTORY_FILE",
    "PDF_FILE",
    "REPORT_FILE",
    "descent_targets",
    "flag_moments",
    "load_scored",
    "rep_label",
    "set_summary_chart",
    "target_text",
    "tempo_chart",
    "write_report",
    "write_scored_report",
    "set_history",
    "trend_chart",
    "weekly_trends",
    "write_history_report",
]
