"""A methodology version as a spreadsheet, in the spirit of XLSForm (docs/methodology-spreadsheet.md): a `settings`
sheet, a `questions` sheet (type, name, label, relevant, ...) and a `choices` sheet of named lists of answers, plus
optional `factors`, `parts`, `sections` and `bands` sheets.

`read_definition` turns a workbook into a definition (surveys.services.methodology) or a list of every problem found
(sheet, row, column, reason); it never writes. `write_definition` writes a definition as such a workbook; reading
it back gives the same definition. Workbooks are opened only after sipas.tabular's size guard (zip bombs).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.utils.translation import gettext as _

from sipas.cells import FORMULA_STARTS, inert
from sipas.tabular import CELL_MAX_CHARS, UnreadableFile, cell_text, check_xlsx_sizes, normalise_header
from surveys.models import IndexRule, QuestionKind, QuestionRole, Scoring
from surveys.models.campaigns import LEVEL_OF_KIND
from surveys.services.methodology import CODE, OPTION_CODE, SKIP_SOURCE_KINDS, VERSION_CODE

SCALE_LIST = "scale5"  # the list in the choices sheet that words the 5-level scale
MAX_ROWS = 5000  # rows read per sheet: a questionnaire has a few hundred at most
SHEETS = {
    "settings": ("code", "name", "name_en", "scoring", "positive_min", "index", "weights_note"),
    "questions": ("type", "name", "label", "label_en", "role", "factor", "section", "relevant", "max_choices",
                  "agency_kinds"),
    "choices": ("list_name", "name", "label", "label_en"),
    "factors": ("code", "name", "name_en", "part"),
    "parts": ("code", "name", "name_en", "weight"),
    "sections": ("code", "title", "title_en"),
    "bands": ("min", "label", "label_en"),
}  # fmt: skip
REQUIRED_SHEETS = ("settings", "questions", "choices")
TYPE_OF_KIND = {
    QuestionKind.SCALE5: "scale5",
    QuestionKind.TEXT: "text",
    QuestionKind.YES_NO: "yes_no",
    QuestionKind.SINGLE: "select_one",
    QuestionKind.MULTI: "select_multiple",
    QuestionKind.PRIORITY3: "priority3",
}
KIND_OF_TYPE = {value: key for key, value in TYPE_OF_KIND.items()}
LISTED_KINDS = (QuestionKind.YES_NO, QuestionKind.SINGLE, QuestionKind.MULTI, QuestionKind.PRIORITY3)
FACTOR_ROLES = (QuestionRole.CRITERION, QuestionRole.FACTOR_SATISFACTION)
# XLSForm's `relevant`, the forms this portal supports: ${PA} = '1', or several answers of one question joined by or.
RELEVANT_TERM = re.compile(r"^\$\{([A-Za-z0-9_]+)\}\s*=\s*'([^']*)'$")


@dataclass(frozen=True)
class SheetError:
    sheet: str
    row: int | None  # as the spreadsheet numbers it (row 1 is the header); None for the sheet as a whole
    column: str
    message: str

    def __str__(self) -> str:
        where = self.sheet if self.row is None else f"{self.sheet}, {_('row')} {self.row}"
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.message}"


class SpreadsheetRejected(Exception):
    """Nothing was imported; `errors` lists every problem found."""

    def __init__(self, message: str, errors: list[SheetError] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []


# --- reading ------------------------------------------------------------------------------------------------------


def read_sheets(source: IO[bytes]) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """Each sheet of the workbook by its normalised name: its non-empty rows as (row number, {column: value}).
    Raises UnreadableFile for a file that is not a workbook, is too big once expanded, or is damaged."""
    from openpyxl import load_workbook

    check_xlsx_sizes(source)
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except (SyntaxError, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(_("The file is not a valid Excel workbook (.xlsx).")) from exc
    try:
        return {normalise_header(sheet.title): list(_rows(sheet)) for sheet in workbook.worksheets}
    except (SyntaxError, ValueError, KeyError) as exc:
        raise UnreadableFile(_("A sheet of the workbook is damaged and cannot be read.")) from exc
    finally:
        workbook.close()


def _rows(sheet) -> Iterator[tuple[int, dict[str, Any]]]:
    rows = sheet.iter_rows(values_only=True)
    header = [normalise_header(cell) for cell in next(rows, None) or ()]
    for number, cells in enumerate(rows, start=2):
        if number > MAX_ROWS:
            raise UnreadableFile(
                _("The sheet %(sheet)s has more than %(count)s rows.") % {"sheet": sheet.title, "count": MAX_ROWS}
            )
        if not cells or all(cell is None or str(cell).strip() == "" for cell in cells):
            continue
        if any(isinstance(cell, str) and len(cell) > CELL_MAX_CHARS for cell in cells):
            raise UnreadableFile(
                _("A cell of the sheet %(sheet)s is longer than a cell can be.") % {"sheet": sheet.title}
            )
        yield number, {key: cells[i] if i < len(cells) else None for i, key in enumerate(header) if key}


def read_definition(source: IO[bytes]) -> tuple[dict | None, list[SheetError]]:
    """The definition the workbook describes, or None and every problem found."""
    return _Reader(read_sheets(source)).definition()


class _Reader:
    def __init__(self, sheets: dict[str, list[tuple[int, dict[str, Any]]]]):
        self.sheets = sheets
        self.errors: list[SheetError] = []

    def error(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.errors.append(SheetError(sheet, row, column, message))

    def rows(self, sheet: str) -> list[tuple[int, dict[str, str]]]:
        return [(n, {k: _text(v) for k, v in row.items()}) for n, row in self.sheets.get(sheet, [])]

    def definition(self) -> tuple[dict | None, list[SheetError]]:
        for sheet in REQUIRED_SHEETS:
            if sheet not in self.sheets:
                self.error(sheet, None, "", _("The workbook has no sheet named %(sheet)s.") % {"sheet": sheet})
        if self.errors:
            return None, self.errors
        settings = self.settings()
        lists = self.choices()
        parts = self.parts()
        factors = self.factors({p["code"] for p in parts})
        questions = self.questions(lists, {f["code"] for f in factors})
        definition = {
            **settings,
            "scale": lists.get(SCALE_LIST, []),
            "parts": parts,
            "bands": self.bands(),
            "sections": self.sections(),
            "factors": factors,
            "questions": questions,
        }
        if settings.get("index_rule") == IndexRule.PARTS and not parts:
            self.error("parts", None, "", _("An index combined from parts needs the parts sheet with their weights."))
        if any(q["kind"] == QuestionKind.SCALE5 for q in questions) and [o["code"] for o in definition["scale"]] != [
            "1", "2", "3", "4", "5",
        ]:  # fmt: skip
            self.error(
                "choices", None, "list_name",
                _("The list %(list)s must word the five levels 1 to 5 of the scale.") % {"list": SCALE_LIST},
            )  # fmt: skip
        if self.errors:
            return None, self.errors
        return definition, []

    def settings(self) -> dict:
        rows = self.rows("settings")
        if not rows:
            self.error("settings", 2, "", _("Row 2 must hold the version's code, name and scoring."))
            return {}
        number, row = rows[0]
        code, name = row.get("code", ""), row.get("name", "")
        if not VERSION_CODE.match(code):
            self.error("settings", number, "code", _("Write a version code of letters, digits, dots and dashes."))
        if not name:
            self.error("settings", number, "name", _("Required: this cell may not be empty."))
        scoring = row.get("scoring") or Scoring.SHARE_POSITIVE
        if scoring not in Scoring.values:
            self.error(
                "settings", number, "scoring", _("Write one of %(choices)s.") % {"choices": ", ".join(Scoring.values)}
            )
        index_rule = row.get("index") or IndexRule.FACTOR_SATISFACTION
        if index_rule not in IndexRule.values:
            self.error(
                "settings", number, "index", _("Write one of %(choices)s.") % {"choices": ", ".join(IndexRule.values)}
            )
        positive = row.get("positive_min") or "4"
        if positive not in {"1", "2", "3", "4", "5"}:
            self.error("settings", number, "positive_min", _("Write a level from 1 to 5."))
        return {
            "code": code, "name": name, "name_en": row.get("name_en", ""), "scoring": scoring,
            "positive_min": int(positive) if positive.isdigit() else 4, "index_rule": index_rule,
            "weights_note": row.get("weights_note", ""),
        }  # fmt: skip

    def choices(self) -> dict[str, list[dict]]:
        lists: dict[str, list[dict]] = {}
        for number, row in self.rows("choices"):
            name, code, label = row.get("list_name", ""), row.get("name", ""), row.get("label", "")
            if not OPTION_CODE.match(name):
                self.error("choices", number, "list_name", _("Write the list's name in letters, digits and _."))
                continue
            if not OPTION_CODE.match(code):
                self.error("choices", number, "name", _("Write the answer's code in letters, digits and _."))
            elif any(o["code"] == code for o in lists.get(name, [])):
                self.error(
                    "choices",
                    number,
                    "name",
                    _("Duplicate code %(code)s in the list %(list)s.") % {"code": code, "list": name},
                )
            if not label:
                self.error("choices", number, "label", _("Required: this cell may not be empty."))
            lists.setdefault(name, []).append({"code": code, "label": label, "label_en": row.get("label_en", "")})
        return lists

    def parts(self) -> list[dict]:
        parts: list[dict] = []
        for number, row in self.rows("parts"):
            code = row.get("code", "")
            if not CODE.match(code):
                self.error("parts", number, "code", _("Write a short code that starts with a letter."))
            elif any(p["code"] == code for p in parts):
                self.error("parts", number, "code", _("Duplicate code %(code)s.") % {"code": code})
            weight = _number(row.get("weight", ""))
            if weight is None or weight <= 0:
                self.error("parts", number, "weight", _("Write the part's weight, a number above 0."))
            parts.append(
                {"code": code, "name": row.get("name", ""), "name_en": row.get("name_en", ""), "weight": weight}
            )
        return parts

    def factors(self, parts: set[str]) -> list[dict]:
        factors: list[dict] = []
        for number, row in self.rows("factors"):
            code, part = row.get("code", ""), row.get("part", "")
            if not CODE.match(code):
                self.error("factors", number, "code", _("Write a short code that starts with a letter."))
            elif any(f["code"] == code for f in factors):
                self.error("factors", number, "code", _("Duplicate code %(code)s.") % {"code": code})
            if not row.get("name"):
                self.error("factors", number, "name", _("Required: this cell may not be empty."))
            if part and part not in parts:
                self.error(
                    "factors", number, "part", _("Unknown part %(part)s: add it to the parts sheet.") % {"part": part}
                )
            factors.append({"code": code, "name": row.get("name", ""), "name_en": row.get("name_en", ""), "part": part})
        return factors

    def sections(self) -> list[dict]:
        return [
            {"code": row.get("code", ""), "title": row.get("title", ""), "title_en": row.get("title_en", "")}
            for _number, row in self.rows("sections")
        ]

    def bands(self) -> list[dict]:
        bands = []
        for number, row in self.rows("bands"):
            bound = _number(row.get("min", ""))
            if bound is None or not 0 <= bound <= 100:
                self.error("bands", number, "min", _("Write the band's lower bound, a number from 0 to 100."))
            elif bands and bands[-1]["min"] is not None and bound >= bands[-1]["min"]:
                self.error("bands", number, "min", _("List the bands best first, each lower than the one above."))
            bands.append({"min": bound, "label": row.get("label", ""), "label_en": row.get("label_en", "")})
        return bands

    def questions(self, lists: dict[str, list[dict]], factors: set[str]) -> list[dict]:
        rows = self.rows("questions")
        position = {row.get("name", ""): i for i, (_n, row) in enumerate(rows)}
        questions: list[dict] = []
        seen: set[str] = set()
        satisfaction_of: set[str] = set()
        for i, (number, row) in enumerate(rows):
            code = row.get("name", "")
            if not CODE.match(code):
                self.error("questions", number, "name", _("Write a short code that starts with a letter, e.g. TC5."))
            elif code in seen:
                self.error("questions", number, "name", _("Duplicate code %(code)s.") % {"code": code})
            seen.add(code)
            kind, options, list_name = self.question_type(number, row.get("type", ""), lists)
            role = row.get("role", "")
            if role not in QuestionRole.values:
                self.error(
                    "questions",
                    number,
                    "role",
                    _("Write one of %(choices)s.") % {"choices": ", ".join(QuestionRole.values)},
                )
            factor = row.get("factor", "") or None
            if factor and factor not in factors:
                self.error(
                    "questions",
                    number,
                    "factor",
                    _("Unknown factor %(code)s: add it to the factors sheet.") % {"code": factor},
                )
            if role == QuestionRole.FACTOR_SATISFACTION and not factor:
                self.error("questions", number, "factor", _("A factor's satisfaction question belongs to a factor."))
            if role in (*FACTOR_ROLES, QuestionRole.OVERALL) and kind and kind != QuestionKind.SCALE5:
                self.error("questions", number, "type", _("Criteria and satisfaction questions use the 5-level scale."))
            if role == QuestionRole.FACTOR_SATISFACTION and factor:
                if factor in satisfaction_of:
                    self.error(
                        "questions",
                        number,
                        "role",
                        _("Factor %(code)s has a satisfaction question already.") % {"code": factor},
                    )
                satisfaction_of.add(factor)
            if not row.get("label"):
                self.error("questions", number, "label", _("Required: this cell may not be empty."))
            shown_if = self.relevant(number, i, code, row.get("relevant", ""), rows, position)
            self.check_kinds(number, row.get("agency_kinds", ""))
            max_choices = _number(row.get("max_choices", "")) if kind == QuestionKind.MULTI else None
            questions.append({
                "code": code, "kind": kind, "text": row.get("label", ""), "text_en": row.get("label_en", ""),
                "role": role, "factor": factor, "section": row.get("section", "") or factor or role,
                "options": options, "choice_list": list_name, "max_choices": int(max_choices) if max_choices else None,
                "shown_if": shown_if, "agency_kinds": row.get("agency_kinds", "").split(),
            })  # fmt: skip
        overall = [n for n, row in rows if row.get("role") == QuestionRole.OVERALL]
        for number in overall[1:]:
            self.error("questions", number, "role", _("The version has an overall satisfaction question already."))
        self.check_skip_sources(rows, questions)
        return questions

    def question_type(self, number: int, text: str, lists) -> tuple[str, list[dict], str]:
        words = text.split()
        kind = KIND_OF_TYPE.get(words[0]) if words else None
        if kind is None:
            self.error(
                "questions", number, "type",
                _("Unknown type %(type)s: write scale5, text, yes_no LIST, select_one LIST, select_multiple LIST or "
                  "priority3 LIST.") % {"type": text},
            )  # fmt: skip
            return "", [], ""
        if kind not in LISTED_KINDS:
            if len(words) > 1:
                self.error("questions", number, "type", _("%(type)s takes no list of answers.") % {"type": words[0]})
            return kind, [], ""
        if len(words) != 2:
            self.error(
                "questions", number, "type", _("Name the list of answers after the type, e.g. select_one yes_no.")
            )
            return kind, [], ""
        if words[1] not in lists:
            self.error(
                "questions",
                number,
                "type",
                _("Unknown list %(list)s: add it to the choices sheet.") % {"list": words[1]},
            )
            return kind, [], words[1]
        options = lists[words[1]]
        if len(options) < 2:
            self.error(
                "questions", number, "type", _("The list %(list)s needs at least two answers.") % {"list": words[1]}
            )
        return kind, options, words[1]

    def check_kinds(self, number: int, text: str) -> None:
        unknown = sorted(set(text.split()) - set(LEVEL_OF_KIND))
        if unknown:
            self.error(
                "questions",
                number,
                "agency_kinds",
                _("Unknown kinds of agency: %(kinds)s.") % {"kinds": ", ".join(unknown)},
            )

    def relevant(self, number: int, index: int, code: str, text: str, rows, position) -> dict | None:
        if not text:
            return None
        terms = [RELEVANT_TERM.match(term.strip()) for term in re.split(r"\s+or\s+", text)]
        sources = {term.group(1) for term in terms if term}
        if not all(terms) or len(sources) != 1:
            self.error(
                "questions", number, "relevant",
                _("Write the condition as ${PA} = '1', or several answers of one question joined by or."),
            )  # fmt: skip
            return None
        source = sources.pop()
        if source not in position:
            self.error("questions", number, "relevant", _("Unknown question %(code)s.") % {"code": source})
            return None
        if position[source] >= index:
            if self._leads_back(source, code, rows, position):
                message = _("Skip logic goes in a cycle: %(code)s depends on %(source)s, which depends on it.")
            else:
                message = _(
                    "Skip logic points at %(source)s, a question that comes later: it must come before %(code)s."
                )
            self.error("questions", number, "relevant", message % {"code": code, "source": source})
            return None
        return {"question": source, "values": [term.group(2) for term in terms]}

    def _leads_back(self, start: str, target: str, rows, position) -> bool:
        seen, current = set(), start
        while current and current not in seen:
            if current == target:
                return True
            seen.add(current)
            term = RELEVANT_TERM.match((rows[position[current]][1].get("relevant") or "").split(" or ")[0].strip())
            current = term.group(1) if term and term.group(1) in position else None
        return False

    def check_skip_sources(self, rows, questions: list[dict]) -> None:
        by_code = {q["code"]: q for q in questions}
        for (number, _row), question in zip(rows, questions, strict=True):
            condition = question["shown_if"]
            if not condition:
                continue
            source = by_code[condition["question"]]
            if source["kind"] and source["kind"] not in SKIP_SOURCE_KINDS:
                self.error(
                    "questions",
                    number,
                    "relevant",
                    _("Skip logic follows the answers to a yes/no or single-choice question."),
                )
            elif source["options"] and not set(condition["values"]) <= {o["code"] for o in source["options"]}:
                self.error(
                    "questions", number, "relevant",
                    _("%(code)s has no such answer: choose among %(codes)s.")
                    % {"code": source["code"], "codes": ", ".join(o["code"] for o in source["options"])},
                )  # fmt: skip


def _text(value: Any) -> str:
    """A cell as text, without the apostrophe write_definition puts before text a spreadsheet would take for a
    formula (sipas.cells.inert)."""
    text = cell_text(value)
    return text[1:] if text.startswith("'") and text[1:2] in FORMULA_STARTS else text


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return int(value) if value.is_integer() else value


# --- writing ------------------------------------------------------------------------------------------------------


def write_definition(definition: dict, target: IO[bytes]) -> None:
    """Write the definition as a workbook of the documented layout; text cells are made inert (sipas.cells)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    lists: dict[str, list[dict]] = {SCALE_LIST: definition["scale"]}
    questions = []
    for q in definition["questions"]:
        type_ = TYPE_OF_KIND[q["kind"]]
        if q["kind"] in LISTED_KINDS:
            name = q["choice_list"] or q["code"]
            if name in lists and lists[name] != q["options"]:
                name = q["code"]  # two different lists under one name: each question keeps its own
            lists[name] = q["options"]
            type_ = f"{type_} {name}"
        condition = q["shown_if"]
        relevant = (
            " or ".join(f"${{{condition['question']}}} = '{v}'" for v in condition["values"]) if condition else ""
        )
        questions.append([
            type_, q["code"], q["text"], q["text_en"], q["role"], q["factor"] or "", q["section"], relevant,
            q["max_choices"] or "", " ".join(q["agency_kinds"]),
        ])  # fmt: skip
    rows = {
        "settings": [[definition[k] for k in ("code", "name", "name_en", "scoring", "positive_min")]
                     + [definition["index_rule"], definition["weights_note"]]],
        "questions": questions,
        "choices": [[name, o["code"], o["label"], o["label_en"]] for name, options in lists.items() for o in options],
        "factors": [[f["code"], f["name"], f["name_en"], f["part"]] for f in definition["factors"]],
        "parts": [[p["code"], p["name"], p["name_en"], p["weight"]] for p in definition["parts"]],
        "sections": [[s["code"], s["title"], s["title_en"]] for s in definition["sections"]],
        "bands": [[b["min"], b["label"], b["label_en"]] for b in definition["bands"]],
    }  # fmt: skip
    for name, header in SHEETS.items():
        sheet = workbook.create_sheet(name)
        sheet.append(list(header))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows[name]:
            sheet.append([inert(value) for value in row])
        sheet.freeze_panes = "A2"
    workbook.save(target)
