"""A province's report on one run, as a PDF (WeasyPrint, templates/reports/pdf/) and as an Excel workbook
(openpyxl), with the parts listed in sipas-methodology.md, "What a province's report contains".

Both read a run through load_report (a fixed handful of queries, whatever the number of agencies) and never
change it. Figures are stored at full precision; the PDF rounds them for display (2 decimals, in the
report's language: "85,50" in Vietnamese), the workbook keeps them as numbers with a 2-decimal format.
Reports are written in the portal's default language unless a language is given.
"""

from reports.rendering.pdf import _css_string, pdf_context, render_pdf
from reports.rendering.report import (
    LEVELS,
    Report,
    count,
    interval,
    level_title,
    load_report,
    number,
    rank_change_text,
    ranking_note,
    rule_label,
    signed,
    uncertainty_note,
)
from reports.rendering.xlsx import render_xlsx, sheet_title

__all__ = [
    "LEVELS", "Report", "_css_string", "count", "interval", "level_title", "load_report", "number", "pdf_context",
    "rank_change_text", "ranking_note", "render_pdf", "render_xlsx", "rule_label", "sheet_title", "signed",
    "uncertainty_note",
]  # fmt: skip
