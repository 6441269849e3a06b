"""Text written into the cells of spreadsheets and CSV files the portal produces, made inert.

A cell whose text starts with =, +, -, @, a tab or a carriage return is taken as a formula by Excel and
LibreOffice (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`): agency names, campaign names and citizens' comments
come from uploads and forms, so such text is written with a leading apostrophe, as OWASP's guidance on CSV
injection advises. Numbers are written as numbers and are never changed."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value: Any) -> Any:
    """`value` itself, or for text that a spreadsheet would read as a formula, the text behind an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
