"""Small HTML helpers: escaping, tables, the page shell (no templates, no JS, no network)."""

from __future__ import annotations

import html
import math
from typing import Any, Iterable, Sequence

__all__ = ["esc", "fmt", "table", "page", "advice_list"]

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0 auto;
       max-width: 1100px; padding: 0.8em; line-height: 1.45; color: #111; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.35em; border-bottom: 2px solid #0072B2; padding-bottom: 0.15em; margin-top: 1.6em; }
h3 { font-size: 1.15em; margin-top: 1.3em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.95em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.55em; text-align: right; white-space: nowrap; }
th { background: #eef4fa; }
td.text, th.text { text-align: left; white-space: normal; }
tr.flagged td { background: #fdf0e6; }
img { max-width: 100%; height: auto; display: block; margin: 0.6em 0; border: 1px solid #ddd; }
ul.advice { padding-left: 1.2em; }
ul.advice li { margin: 0.35em 0; }
.sev { display: inline-block; min-width: 4.8em; font-weight: bold; font-size: 0.85em; padding: 0 0.3em;
       border-radius: 3px; color: #fff; text-align: center; }
.sev-critical { background: #D55E00; }
.sev-warning { background: #E69F00; color: #000; }
.sev-info { background: #0072B2; }
.muted { color: #555; font-size: 0.9em; }
code { background: #f3f3f3; padding: 0 0.2em; }
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt(value: Any, digits: int = 2, unit: str = "") -> str:
    """A number for a table cell (``-`` for missing)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "-" if value is None else str(value)
    if not math.isfinite(number):
        return "-"
    return f"{number:.{digits}f}{unit}"


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    text_columns: Sequence[int] = (),
    row_classes: Sequence[str] | None = None,
    css_class: str = "",
) -> str:
    """An HTML table; cells are escaped here."""
    def cell(tag: str, index: int, value: str) -> str:
        klass = ' class="text"' if index in text_columns else ""
        return f"<{tag}{klass}>{esc(value)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = []
    for k, row in enumerate(rows):
        klass = f' class="{esc(row_classes[k])}"' if row_classes and row_classes[k] else ""
        body.append(f"<tr{klass}>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>")
    klass = f' class="{esc(css_class)}"' if css_class else ""
    return (f'<div class="scroll"><table{klass}><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def advice_list(items: Iterable[Any], *, css_class: str = "advice") -> str:
    """Advice items (``scoring.Advice``) as a list with severity badges."""
    lines = []
    for item in items:
        where = ""
        if getattr(item, "rep", None) is not None:
            where = f"rep {item.rep}: "
        elif getattr(item, "set", None) is not None:
            where = f"set {item.set}: "
        detail = f" ({esc(item.detail)})" if getattr(item, "detail", "") else ""
        lines.append(
            f'<li><span class="sev sev-{esc(item.severity)}">{esc(item.severity)}</span> '
            f"{esc(where)}<code>{esc(item.rule)}</code>{detail}: {esc(item.text)}</li>"
        )
    if not lines:
        return '<p class="muted">Nothing to report.</p>'
    return f'<ul class="{esc(css_class)}">' + "".join(lines) + "</ul>"


def page(title: str, body: str) -> str:
    """A complete, self-contained HTML document."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n"
    )
