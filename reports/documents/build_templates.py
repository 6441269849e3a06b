"""Builds the default DOCX templates that ship with the portal (reports/documents/templates/<kind>.<language>.docx)
with python-docx, so they can be regenerated and reviewed as code:

    python manage.py shell -c "from reports.documents.build_templates import build; build()"

Each is a Word document in the form of Decree 30/2020/NĐ-CP (A4, margins 20/20/30/15 mm, Times New Roman 14 pt,
page numbers centred at the top from page 2) whose fixed wording is written out (a province edits it in Word)
and whose figures are docxtpl (Jinja) tags reading reports.documents.context: {{ ... }} for a value, {%p %} for
a paragraph that repeats, {%tr %} for a table row, {%tc %} for a table column."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

FOLDER = Path(__file__).resolve().parent / "templates"
KINDS = ("report", "decision", "card")
FONT = "Times New Roman"


def template_path(kind: str, language: str) -> Path:
    return FOLDER / f"{kind}.{language}.docx"


def build() -> list[Path]:
    """Write every default template, in every language of the portal."""
    FOLDER.mkdir(exist_ok=True)
    written = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for kind, builder in (("report", _report), ("decision", _decision), ("card", _card)):
                path = template_path(kind, language)
                document = _document(size=13, after=3) if kind == "card" else _document()
                builder(document)
                document.core_properties.title = kind
                document.core_properties.author = "SIPAS"
                document.save(path)
                written.append(path)
    return written


# --- Pieces -------------------------------------------------------------------------------------------------


def _document(size: int = 14, after: int = 6):
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(size)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    style.paragraph_format.space_after = Pt(after)
    style.paragraph_format.line_spacing = 1.15
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.different_first_page_header_footer = True
    _page_number(section.header.paragraphs[0])
    return document


def _page_number(paragraph) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _p(container, text: str = "", *, bold=False, italic=False, align=None, size=None, indent=True, after=None):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Mm, Pt

    paragraph = container.add_paragraph()
    alignment = {
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }
    paragraph.alignment = alignment.get(align, WD_ALIGN_PARAGRAPH.JUSTIFY)
    if indent and align is None:
        paragraph.paragraph_format.first_line_indent = Mm(10)
    if after is not None:
        paragraph.paragraph_format.space_after = Pt(after)
    if text:
        run = paragraph.add_run(text)
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
    return paragraph


def _tag(container, tag: str):
    """A paragraph holding only a docxtpl block tag ({%p ... %}): it disappears when the template renders."""
    return _p(container, tag, indent=False, after=0)


def _no_borders(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _widths(table, millimetres: list[float]) -> None:
    """Fixed column widths, in the grid (what LibreOffice reads) and in every cell (what Word reads)."""
    from docx.shared import Mm

    table.autofit = False
    for column, width in zip(table.columns, millimetres, strict=False):
        column.width = Mm(width)
    for row in table.rows:
        for cell, width in zip(row.cells, millimetres, strict=False):
            cell.width = Mm(width)


def _letterhead(document) -> None:
    from docx.shared import Pt

    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [62, 103])
    left, right = table.rows[0].cells
    left.paragraphs[0].add_run("{{ letterhead.parent }}").font.size = Pt(13)
    left.paragraphs[0].alignment = 1
    _p(left, "{{ letterhead.body }}", bold=True, align="center", after=0, size=13)
    _p(left, "―――――", align="center", after=0)
    _p(left, "{{ letterhead.number }}", align="center", size=13)
    right.paragraphs[0].alignment = 1
    nation = right.paragraphs[0].add_run(_("Socialist Republic of Vietnam").upper())
    nation.bold, nation.font.size = True, Pt(12.5)  # Decree 30: 12–13 pt
    _p(right, _("Independence – Freedom – Happiness"), bold=True, align="center", after=0)
    _p(right, "――――――――――――", align="center", after=0)
    _p(right, "{{ letterhead.place_date }}", italic=True, align="center")
    for cell in (left, right):
        for paragraph in cell.paragraphs:
            paragraph.paragraph_format.space_after = 0
    _p(document, "{% if status %}" + "{{ status }}" + "{% endif %}", italic=True, align="center", size=12)


def _signature(document) -> None:
    from docx.shared import Pt

    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [80, 85])
    left, right = table.rows[0].cells
    run = left.paragraphs[0].add_run(_("Recipients:"))
    run.bold = run.italic = True
    run.font.size = Pt(12)
    _tag(left, "{%p for line in recipients %}")
    _p(left, "- {{ line }}", align="left", size=11, after=0)
    _tag(left, "{%p endfor %}")
    right.paragraphs[0].text = ""
    _tag(right, "{%p for line in signer.lines %}")
    _p(right, "{{ line }}", bold=True, align="center", after=0)
    _tag(right, "{%p endfor %}")
    for _blank in range(3):
        _p(right, "", align="center")
    _p(right, "{{ signer.name }}", bold=True, align="center")


def _table(document, headers: list[str], cells: list[str], *, loop: str, widths: list[float] | None = None, size=12):
    """A bordered table: a header row, then one row per item of `loop` ("row in rows") whose cells are
    `cells`; a header or cell "{%tc ...%}" repeats a column."""
    from docx.shared import Pt

    table = document.add_table(rows=3, cols=len(cells))
    table.style = "Table Grid"
    for row, texts in zip(table.rows, (headers, [f"{{%tr for {loop} %}}"] + [""] * (len(cells) - 1), cells),
                          strict=True):  # fmt: skip
        for i, (cell, text) in enumerate(zip(row.cells, texts, strict=True)):
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(text)
            run.font.size = Pt(size)
            run.bold = row is table.rows[0]
            paragraph.alignment = (
                1 if row is table.rows[0] else (2 if i and "label" not in text and "name" not in text else 0)
            )
            paragraph.paragraph_format.space_after = 0
    end = table.add_row()
    end.cells[0].paragraphs[0].add_run("{%tr endfor %}")
    if widths:
        _widths(table, widths)
    return table


def _heading(document, text: str, level: int = 1) -> None:
    _p(document, text, bold=level < 3, italic=level == 3)


# --- The documents ------------------------------------------------------------------------------------------


def _report(document) -> None:
    _letterhead(document)
    _p(document, _("Report").upper(), bold=True, align="center", after=0)
    _p(document, "{{ subject_title }}", bold=True, align="center", after=0)
    _p(document, "―――――", align="center")
    _p(document, _("To:"), align="center", after=0)
    _tag(document, "{%p for line in addressees %}")
    _p(document, "- {{ line }}{% if loop.last %}.{% else %};{% endif %}", align="center", after=0)
    _tag(document, "{%p endfor %}")
    _p(document, "")
    _p(document, "{{ opening }}")
    _heading(document, "I. " + _("GENERAL"))
    _heading(document, "1. " + _("Legal basis"), 2)
    _tag(document, "{%p for basis in general.bases %}")
    _p(document, "- {{ basis }};")
    _tag(document, "{%p endfor %}")
    _heading(document, "2. " + _("Purpose"), 2)
    _p(document, "{{ general.purpose }}")
    _heading(document, "3. " + _("Scope and subjects"), 2)
    _p(document, "{{ general.scope }}")
    _p(document, "{{ general.subjects }}")
    _heading(document, "4. " + _("Method"), 2)
    _p(document, "{{ general.method_text }}")
    _p(document, "{{ general.sample_text }}")
    _tag(document, "{%p for line in general.method.samples %}")
    _p(document, "- {{ line }}")
    _tag(document, "{%p endfor %}")
    _p(document, _("Channels: %(channels)s.") % {"channels": "{{ general.method.channels_allowed }}"})
    _table(document, [_("Channel"), _("Responses counted"), _("Share")], ["{{ c[0] }}", "{{ c[1] }}", "{{ c[2] }}"],
           loop="c in general.method.channels", widths=[85, 40, 40])  # fmt: skip
    _p(document, _("Paper forms: %(issued)s issued, %(returned)s returned, %(valid)s valid.") % {
        "issued": "{{ general.method.paper.issued }}", "returned": "{{ general.method.paper.returned }}",
        "valid": "{{ general.method.paper.valid }}"})  # fmt: skip
    _tag(document, "{%p if general.method.exclusions %}")
    _p(document, _("Responses excluded, by the rule that flagged them:"))
    _tag(document, "{%p for rule in general.method.exclusions %}")
    _p(document, "- {{ rule[0] }}: {{ rule[1] }};")
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p endif %}")

    _heading(document, "II. " + _("RESULTS"))
    _heading(document, "1. " + _("Results of the province"), 2)
    _p(document, "{{ overall.text }}")
    _heading(document, "2. " + _("Results and ranking per level"), 2)
    _tag(document, "{%p for item in levels %}")
    _heading(document, "2.{{ loop.index }}. {{ item.title }}", 3)
    _p(document, "{{ item.text }}")
    _tag(document, "{%p if item.top %}")
    _p(
        document,
        _("Highest ranked:")
        + " {% for row in item.top %}{{ row.name }} ({{ row.sipas.text }}){% if not loop.last %}; {% endif %}{% endfor %}.",
    )
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if item.bottom %}")
    _p(
        document,
        _("Lowest ranked:")
        + " {% for row in item.bottom %}{{ row.name }} ({{ row.sipas.text }}){% if not loop.last %}; {% endif %}{% endfor %}.",
    )
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if item.weakest %}")
    _p(
        document,
        _("Weakest criteria:")
        + " {% for c in item.weakest %}{{ c.label }} ({{ c.index.text }}){% if not loop.last %}; {% endif %}{% endfor %}.",
    )
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if item.change_text %}")
    _p(document, "{{ item.change_text }}")
    _tag(document, "{%p endif %}")
    _tag(document, "{%p endfor %}")
    _p(
        document,
        _("The full ranking of each level, with the 95% intervals, the sample and the change, is in Appendix I."),
    )
    _heading(document, "3. " + _("Results per factor"), 2)
    _tag(document, "{%p for table in tables %}")
    _tag(document, "{%p if table.title %}")
    _heading(document, "{{ table.title }}", 3)
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if table.part_rows %}")
    _table(document, [_("Part"), "{%tc for column in table.columns %}", "{{ column }}", "{%tc endfor %}"],
           ["{{ row.label }}", "{%tc for cell in row.cells %}", "{{ cell }}", "{%tc endfor %}"],
           loop="row in table.part_rows", widths=[75, 30, 30, 30])  # fmt: skip
    _p(document, "")
    _tag(document, "{%p endif %}")
    _p(document, "{% if table.has_satisfaction %}" + _("Satisfaction with the factor") + "{% else %}"
       + _("Evaluation of the criteria") + "{% endif %}", italic=True, indent=False)  # fmt: skip
    _table(document, [_("Factor"), "{%tc for column in table.columns %}", "{{ column }}", "{%tc endfor %}"],
           ["{{ row.label }}", "{%tc for cell in row.cells %}", "{{ cell }}", "{%tc endfor %}"],
           loop="row in table.factor_rows", widths=[75, 30, 30, 30])  # fmt: skip
    _tag(document, "{%p endfor %}")
    _heading(document, "4. " + _("Facts reported by respondents"), 2)
    _tag(document, "{%p for line in facts_text %}")
    _p(document, "- {{ line }}")
    _tag(document, "{%p endfor %}")
    _heading(document, "5. " + _("Needs and expectations"), 2)
    _p(document, "{{ expectations_text }}")
    _heading(document, "6. " + _("Comments by theme"), 2)
    _p(document, _("Respondents wrote %(total)s comments; each is sorted into themes by a published list of keywords.")
       % {"total": "{{ comments.total }}"})  # fmt: skip
    _tag(document, "{%p for theme in comments.themes %}")
    _p(document, "- {{ theme.label }}: {{ theme.count }} ({{ theme.share }}).")
    _tag(document, "{%p endfor %}")

    _heading(document, "III. " + _("OVERALL ASSESSMENT"))
    _tag(document, "{%p for paragraph in assessment %}")
    _p(document, "{{ paragraph }}")
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p if appraisal_note %}")
    _p(
        document,
        _("Appraisal of the results (%(date)s):") % {"date": "{{ appraised_on }}"} + " {{ appraisal_note|join(' ') }}",
    )
    _tag(document, "{%p endif %}")
    _heading(document, "IV. " + _("RECOMMENDATIONS"))
    _tag(document, "{%p for paragraph in recommendations %}")
    _p(document, "{{ paragraph }}")
    _tag(document, "{%p endfor %}")
    _p(document, "{{ closing }}")
    _signature(document)

    _appendix(document, _("APPENDIX I"), _("Ranking per level, %(campaign)s") % {"campaign": "{{ campaign }}"})
    _tag(document, "{%p for item in levels %}")
    _heading(document, "{{ loop.index }}. {{ item.title }}", 2)
    _table(document, [_("Rank"), _("Agency"), _("Responses"), "SIPAS", _("95% interval"), _("Enough responses"),
                      _("Meets the target"), _("Grade"), _("Change"), _("Rank change")],
           ["{{ row.rank }}", "{{ row.name }}", "{{ row.n }}", "{{ row.sipas }}", "{{ row.interval }}",
            "{{ row.sample }}", "{{ row.target }}", "{{ row.grade }}", "{{ row.change }}", "{{ row.rank_change }}"],
           loop="row in item.rows", widths=[10, 40, 14, 13, 22, 15, 12, 13, 13, 13], size=10)  # fmt: skip
    _tag(document, "{%p endfor %}")
    _p(document, "{{ general.method.ranking_note }} {{ targets_text }}", size=12)
    _appendix(document, _("APPENDIX II"), _("Factors and criteria per level"))
    _tag(document, "{%p for table in tables %}")
    _tag(document, "{%p if table.title %}")
    _heading(document, "{{ table.title }}", 2)
    _tag(document, "{%p endif %}")
    _table(document, [_("Code"), _("Criterion"), "{%tc for column in table.columns %}", "{{ column }}",
                      "{%tc endfor %}"],
           ["{{ row.code }}", "{{ row.label }}", "{%tc for cell in row.cells %}", "{{ cell }}", "{%tc endfor %}"],
           loop="row in table.criteria_rows", widths=[12, 63, 30, 30, 30], size=11)  # fmt: skip
    _tag(document, "{%p endfor %}")
    _appendix(document, _("APPENDIX III"), _("Facts reported and expectations (share of respondents, %)"))
    _tag(document, "{%p for table in tables %}")
    _tag(document, "{%p if table.title %}")
    _heading(document, "{{ table.title }}", 2)
    _tag(document, "{%p endif %}")
    _table(document, [_("Question and answer"), "{%tc for column in table.columns %}", "{{ column }}",
                      "{%tc endfor %}"],
           ["{{ row.label }}", "{%tc for cell in row.cells %}", "{{ cell }}", "{%tc endfor %}"],
           loop="row in table.fact_rows + table.rating_rows", widths=[75, 30, 30, 30], size=11)  # fmt: skip
    _tag(document, "{%p if table.expectation_rows %}")
    _p(document, "{{ table.expectations_question }}", italic=True, indent=False)
    _table(document, [_("Improvement wanted"), "{%tc for column in table.columns %}", "{{ column }}",
                      "{%tc endfor %}"],
           ["{{ row.label }}", "{%tc for cell in row.cells %}", "{{ cell }}", "{%tc endfor %}"],
           loop="row in table.expectation_rows", widths=[75, 30, 30, 30], size=11)  # fmt: skip
    _tag(document, "{%p endif %}")
    _tag(document, "{%p endfor %}")
    _appendix(document, _("APPENDIX IV"), _("Method and data"))
    _table(document, [_("Item"), _("Value")], ["{{ item[0] }}", "{{ item[1] }}"], loop="item in run", widths=[60, 105])
    _p(document, _("Inputs checksum (SHA-256)") + ": {{ checksum }}", size=11, indent=False)
    _p(document, "{{ general.method.uncertainty_note }}", size=12)


def _appendix(document, title: str, subtitle: str) -> None:
    from docx.enum.text import WD_BREAK

    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _p(document, title, bold=True, align="center", after=0)
    _p(document, subtitle, italic=True, align="center")


def _decision(document) -> None:
    _letterhead(document)
    _p(document, _("Decision").upper(), bold=True, align="center", after=0)
    _p(document, _("Approving and announcing the results of %(subject)s") % {"subject": "{{ subject }}"}, bold=True,
       align="center", after=0)  # fmt: skip
    _p(document, "―――――", align="center")
    _p(document, "{{ authority_upper }}", bold=True, align="center")
    _tag(document, "{%p for basis in bases %}")
    _p(document, _("Pursuant to %(basis)s;") % {"basis": "{{ basis }}"}, italic=True)
    _tag(document, "{%p endfor %}")
    _p(document, _("At the proposal of the Head of the Division in charge of administrative reform,"), italic=True)
    _p(document, _("Decides:").upper(), bold=True, align="center")
    paragraph = _p(document, _("Article 1.") + " ", bold=True)
    paragraph.add_run("{{ article1 }}")
    _tag(document, "{%p if article2 %}")
    paragraph = _p(document, _("Article 2.") + " ", bold=True)
    paragraph.add_run("{{ article2 }}")
    _tag(document, "{%p endif %}")
    paragraph = _p(document, "{% if article2 %}" + _("Article 3.") + "{% else %}" + _("Article 2.") + "{% endif %} ",
                   bold=True)  # fmt: skip
    paragraph.add_run("{{ article3 }}")
    _signature(document)
    _appendix(document, _("APPENDIX"), _("Results per level (attached to the decision %(number)s)") % {
        "number": "{{ letterhead.reference }}"})  # fmt: skip
    _tag(document, "{%p for item in levels %}")
    _heading(document, "{{ loop.index }}. {{ item.title }}", 2)
    _table(document, [_("Rank"), _("Agency"), _("Responses"), "SIPAS", _("95% interval"), _("Enough responses"),
                      _("Meets the target")],
           ["{{ row.rank }}", "{{ row.name }}", "{{ row.n }}", "{{ row.sipas }}", "{{ row.interval }}",
            "{{ row.sample }}", "{{ row.target }}"], loop="row in item.rows",
           widths=[12, 58, 16, 15, 26, 20, 18], size=11)  # fmt: skip
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p if below %}")
    _heading(document, _("Agencies under the target, to submit action plans"), 2)
    _table(document, [_("Agency"), _("Level"), "SIPAS"], ["{{ row.name }}", "{{ row.level }}", "{{ row.sipas }}"],
           loop="row in below", widths=[80, 60, 25], size=11)  # fmt: skip
    _tag(document, "{%p endif %}")


def _card(document) -> None:
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt

    _tag(document, "{%p for card in cards %}")
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _widths(table, [62, 103])
    left, right = table.rows[0].cells
    left.paragraphs[0].add_run("{{ card.letterhead.parent }}").font.size = Pt(12)
    left.paragraphs[0].alignment = 1
    _p(left, "{{ card.letterhead.body }}", bold=True, align="center", after=0, size=12)
    right.paragraphs[0].alignment = 1
    nation = right.paragraphs[0].add_run(_("Socialist Republic of Vietnam").upper())
    nation.bold, nation.font.size = True, Pt(12.5)  # Decree 30: 12–13 pt
    _p(right, _("Independence – Freedom – Happiness"), bold=True, align="center", after=0)
    _p(right, "{{ card.letterhead.place_date }}", italic=True, align="center")
    _p(document, "{% if card.status %}{{ card.status }}{% endif %}", italic=True, align="center", size=12)
    _p(document, _("Results card").upper(), bold=True, align="center", after=0)
    _p(document, "{{ card.subject_title }}", bold=True, align="center")
    _p(document, _("To:") + " " + _("The head of %(agency)s") % {"agency": "{{ card.agency }}"}, align="center")
    _p(document, "{{ card.agency }} — {{ card.level }}", bold=True, indent=False)
    _p(document, "{% if card.has_satisfaction %}"
       + _("SIPAS %(sipas)s %% (95%% interval %(interval)s); overall satisfaction %(hl)s %%; %(n)s responses; %(rank)s.")
       % {"sipas": "{{ card.row.sipas.text }}", "interval": "{{ card.row.sipas.interval_text }}",
          "hl": "{{ card.row.hl.text }}", "n": "{{ card.row.n_text }}", "rank": "{{ card.rank }}"}
       + "{% else %}{{ card.headline }}; "
       + _("%(n)s responses; %(rank)s.") % {"n": "{{ card.row.n_text }}", "rank": "{{ card.rank }}"}
       + "{% endif %}")  # fmt: skip
    _tag(document, "{%p if card.details %}")
    _p(document, "{{ card.details }}.")
    _tag(document, "{%p endif %}")
    _tag(document, "{%p if card.change %}")
    _p(document, "{{ card.change }}")
    _tag(document, "{%p endif %}")
    _table(document, [_("Factor"), "{%tc for column in card.factor_columns %}", "{{ column }}", "{%tc endfor %}"],
           ["{{ f.label }}", "{%tc for cell in f.cells %}", "{{ cell }}", "{%tc endfor %}"],
           loop="f in card.factor_rows", widths=[85, 27, 27, 26], size=12)  # fmt: skip
    _p(document, _("Weakest criteria:"), bold=True, indent=False)
    _tag(document, "{%p for c in card.weakest %}")
    _p(document, "- {{ c.code }}. {{ c.label }}: {{ c.index.text }}")
    _tag(document, "{%p endfor %}")
    _tag(document, "{%p for line in card.facts %}")
    _p(document, "- {{ line }}")
    _tag(document, "{%p endfor %}")
    _p(document, "{{ card.expectations }}")
    _p(document, "{{ card.action }}", bold=True)
    _tag(document, "{%p if not loop.last %}")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _tag(document, "{%p endif %}")
    _tag(document, "{%p endfor %}")
