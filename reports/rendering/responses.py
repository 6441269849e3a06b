"""A campaign's raw responses, anonymised, as a workbook: one row per response with its agency, respondent type,
channel, day, whether the index counted it, and one column per question code (question text in the second
header row). Nothing that could identify a respondent is written: no ids, keys, hashes of dossier codes or
addresses, devices or times of day. Written in openpyxl's write-only mode from a server-side cursor, so memory
does not grow with the number of responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from reports.models import IndexRun
from reports.presentation import Questionnaire, rule_label
from sipas.cells import inert
from surveys.models import Channel, Response

CHUNK = 5000
PROGRESS_EVERY = 50_000


def render_responses_xlsx(
    run: IndexRun, out: BinaryIO, *, language: str | None = None, progress: Callable[[int, int], None] | None = None
) -> int:
    """Write the campaign's responses as of now (those the run counted, and those it excluded, marked) to
    `out`, a binary file; returns how many. Calls `progress(done, total)` every PROGRESS_EVERY rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    campaign = run.campaign
    with translation.override(language or settings.LANGUAGE_CODE):
        questions = Questionnaire(campaign.methodology).questions
        codes = [q.code for q in questions]
        book = Workbook(write_only=True)
        sheet = book.create_sheet(pgettext("sheet name", "Responses"))
        fixed = [_("Agency code"), _("Agency"), _("Respondent type"), _("Channel"), _("Day"), _("Counted"),
                 _("Reason for the exclusion")]  # fmt: skip
        widths = [12, 30, 14, 12, 11, 9, 24]
        from openpyxl.utils import get_column_letter

        for i, width in enumerate([*widths, *([8] * len(codes))], start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        sheet.freeze_panes = "C3"
        sheet.sheet_properties.pageSetUpPr.fitToPage = True  # written with the sheet's head, before any row
        bold = Font(bold=True)
        wrap = Alignment(wrap_text=True, vertical="top")

        def header(values):
            cells = []
            for value in values:
                cell = WriteOnlyCell(sheet, value=inert(value))
                cell.font, cell.alignment = bold, wrap
                cells.append(cell)
            return cells

        sheet.append(header([*fixed, *codes]))
        sheet.append(header([*[""] * len(fixed), *[q.label for q in questions]]))
        sheet.print_title_rows = "1:2"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = "9"  # A4
        sheet.page_setup.fitToHeight = 0
        channels = dict(Channel.choices)
        types = {"individual": _("Individual"), "organization": _("Organisation")}
        yes, no = _("Yes"), _("No")
        responses = Response.objects.filter(campaign_id=campaign.pk).order_by("agency__path", "submitted_at", "pk")
        total = responses.count()
        rows = responses.values_list(
            "agency__code", "agency__name", "respondent_type", "channel", "submitted_at", "excluded",
            "decision_rule", "answers",
        ).iterator(chunk_size=CHUNK)  # fmt: skip
        done = 0
        for code, name, kind, channel, submitted, excluded, rule, answers in rows:
            values = [
                inert(code), inert(name), str(types.get(kind, kind)), str(channels.get(channel, channel)),
                _day(sheet, submitted), no if excluded else yes,
                rule_label(rule) if excluded and rule else "",
            ]  # fmt: skip
            for question in codes:
                value = answers.get(question)
                if isinstance(value, list):
                    value = "|".join(map(str, value))
                values.append(inert(value) if isinstance(value, str) else value)
            sheet.append(values)
            done += 1
            if progress and done % PROGRESS_EVERY == 0:
                progress(done, total)
        if codes:
            sheet.auto_filter.ref = f"A2:{get_column_letter(len(fixed) + len(codes))}{done + 2}"
        book.save(out)
    return done


def _day(sheet, moment):
    from openpyxl.cell import WriteOnlyCell

    if moment is None:
        return None
    cell = WriteOnlyCell(sheet, value=timezone.localtime(moment).date())
    cell.number_format = "dd/mm/yyyy"
    return cell
