"""The API's JSON parser: DRF's, with a body nested too deeply to decode answered as a 400 like any malformed
JSON (Python's decoder raises RecursionError past about a thousand levels, which DRF does not catch)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as BaseJSONParser


class JSONParser(BaseJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(_("JSON parse error: the data is nested too deeply.")) from exc
