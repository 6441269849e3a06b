"""The tables of a run's report that put groups side by side (factors, parts, criteria, facts, expectations): one
table per version, each with the levels that answered it as columns, and the whole campaign first where every
level answered the one version. Rows are matched by code, never by position, so a column without a row shows "—"."""

from __future__ import annotations

from django.utils.translation import gettext as _

from reports.presentation import Figures, count


def version_tables(presentation) -> list[dict]:
    """The tables of factors, criteria, facts and expectations, one per version, each with its levels as columns
    (and the whole campaign first where every level answered the one version)."""
    default = presentation.versions[0]
    groups: dict[str, list] = {code: [] for code in presentation.versions}
    for level in presentation.levels:
        groups.setdefault(presentation.version_of(level.key), []).append(level.group)
    tables = []
    for code, levels in groups.items():
        shown = levels if presentation.mixed else [presentation.overall, *levels]
        columns = [(group, presentation.group_figures(group.key)) for group in shown]
        questionnaire = presentation.questionnaire_for(code)
        first = columns[0][1] if columns else questionnaire.figures({}, None)
        tables.append(
            {
                "version": code,
                "name": questionnaire.methodology.label,
                "title": _("Questionnaire %(version)s: %(levels)s")
                % {"version": code, "levels": ", ".join(g.title for g in levels)}
                if presentation.mixed
                else "",
                "default": code == default,
                "has_satisfaction": first.has_satisfaction,
                "columns": [group.column for group, _figures in columns],
                "part_rows": _part_rows(columns),
                "factor_rows": [
                    {**row, "cells": row["satisfaction"] if first.has_satisfaction else row["evaluation"]}
                    for row in _factor_rows(columns)
                ],
                "criteria_rows": _criteria_rows(columns),
                "fact_rows": _fact_rows(columns, "facts"),
                "rating_rows": _fact_rows(columns, "ratings"),
                "expectation_rows": _expectation_rows(columns),
                "expectations_question": first.expectations_question,
                "figures": first,
            }
        )
    return tables


def _part_rows(columns) -> list[dict]:
    if not columns:
        return []
    return [
        {"label": f"{part.label} ({_('weight')} {part.weight_text})",
         "cells": [next((p.index.text for p in figures.parts if p.code == part.code), "—") for _g, figures in columns]}
        for part in columns[0][1].parts
    ]  # fmt: skip


def _cell(rows, code: str, read) -> str:
    """The text of the row with `code` among `rows` ("—" where a column's figures have no such row)."""
    return next((read(row) for row in rows if row.code == code), "—")


def _factor_rows(columns) -> list[dict]:
    if not columns:
        return []
    return [
        {"label": f"{factor.code}. {factor.label}",
         "evaluation": [_cell(figures.factors, factor.code, lambda f: f.evaluation.text) for _g, figures in columns],
         "satisfaction": [_cell(figures.factors, factor.code, lambda f: f.satisfaction.text) for _g, figures in columns]}
        for factor in columns[0][1].factors
    ]  # fmt: skip


def _criteria_rows(columns) -> list[dict]:
    if not columns:
        return []
    first: Figures = columns[0][1]
    rows = []
    for factor in first.factors:
        rows.append({"group": True, "code": factor.code, "label": factor.label, "cells": []})
        for criterion in first.criteria:
            if criterion.factor_code == factor.code:
                cells = [_cell(figures.criteria, criterion.code, lambda c: c.index.text) for _g, figures in columns]
                rows.append({"group": False, "code": criterion.code, "label": criterion.label, "cells": cells})
    return rows


def _fact_rows(columns, kind: str = "facts") -> list[dict]:
    if not columns:
        return []
    rows = []
    for fact in getattr(columns[0][1], kind):
        found = [next((f for f in getattr(figures, kind) if f.code == fact.code), None) for _g, figures in columns]
        answered = [count(f.answered) if f else "—" for f in found]
        rows.append({"group": True, "label": f"{fact.code}. {fact.label}", "cells": ["n = " + n for n in answered]})
        for option in fact.options:
            rows.append({"group": False, "label": option.label,
                         "cells": [_cell(f.options, option.code, lambda o: o.share.text) if f else "—"
                                   for f in found]})  # fmt: skip
    return rows


def _expectation_rows(columns) -> list[dict]:
    if not columns:
        return []
    shares = [{e.code: e.share.text for e in figures.expectations} for _group, figures in columns]
    return [{"label": option.label, "cells": [column.get(option.code, "—") for column in shares]}
            for option in columns[0][1].expectations_ranked]  # fmt: skip
