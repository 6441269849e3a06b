"""A province's report on one run, as a PDF (WeasyPrint, templates/reports/pdf/) and as an Excel workbook
(openpyxl), with the parts listed in sipas-methodology.md, "What a province's report contains".

Both render the rows of reports.presentation, read through load_report (a fixed handful of queries, whatever
the number of agencies), and never change the run. Figures are stored at full precision; the PDF prints them
as the rows read in the report's language (2 decimals: "85,50" in Vietnamese), the workbook keeps them as
numbers with a 2-decimal format. Reports are written in the portal's default language unless a language is
given.
"""

from reports.presentation import rank_change_text, uncertainty_note
from reports.rendering.pdf import _css_string, pdf_context, render_pdf
from reports.rendering.report import Report, load_report
from reports.rendering.xlsx import render_xlsx, sheet_title

__all__ = [
    "Report", "_css_string", "load_report", "pdf_context", "rank_change_text", "render_pdf", "render_xlsx",
    "sheet_title", "uncertainty_note",
]  # fmt: skip
