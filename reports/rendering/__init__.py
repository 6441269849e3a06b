"""A run's documents: the report, the announcement decision and the agency cards as PDF (WeasyPrint) and DOCX
(docxtpl templates a province can edit in Word), the workbook for people and the anonymised raw responses
(openpyxl).

All render the rows of reports.presentation, read through load_report (a fixed handful of queries, whatever
the number of agencies), and never change the run. Figures are stored at full precision; documents print them
as the rows read in the document's language (2 decimals: "85,50" in Vietnamese), the workbooks keep them as
numbers with a 2-decimal format. Documents are written in the portal's default language unless a language is
given.
"""

from reports.presentation import rank_change_text, uncertainty_note
from reports.rendering.docx import render_docx
from reports.rendering.pdf import pdf_context, render_pdf
from reports.rendering.report import Report, load_report
from reports.rendering.responses import render_responses_xlsx
from reports.rendering.xlsx import render_xlsx, sheet_title

__all__ = [
    "Report", "load_report", "pdf_context", "rank_change_text", "render_docx", "render_pdf", "render_responses_xlsx",
    "render_xlsx", "sheet_title", "uncertainty_note",
]  # fmt: skip
