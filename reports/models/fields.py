"""JSON stored for reading whole: a run's results and a campaign's tally of counts."""

from __future__ import annotations

import json

import orjson
from django.db import models


class JSONTextField(models.JSONField):
    """Stored as PostgreSQL's `json` (the text as written, checked to be valid JSON) rather than `jsonb` (parsed
    into a binary form on every write, and printed back to text on every read); other databases as JSONField.
    For JSON written once and only ever read whole: parsing into jsonb was most of the time of writing a run's
    thousand AgencyResult rows, and printing jsonb most of reading a tally (bench/compute_index.py). jsonb's
    operators do not apply to `json`: no lookup into these fields (contains, has_key, a key's value...) and no
    equality on them in SQL (filter, distinct, group by)."""

    def db_type(self, connection):
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def select_format(self, compiler, sql, params):
        # Read as text, which JSONField.from_db_value decodes, as it does jsonb's text; psycopg would otherwise
        # decode a json column itself, with no regard to the field's decoder.
        if compiler.connection.vendor == "postgresql":
            return f"({sql})::text", params
        return super().select_format(compiler, sql, params)


class IntegerJSONDecoder(json.JSONDecoder):
    """Decodes by orjson, three times as fast as json on a tally's megabyte of integers, to the same values (an
    integer beyond 64 bits, which orjson refuses, is left to json). For JSON without floats only: orjson is not
    held to json's parsing of every float."""

    def decode(self, s, *args, **kwargs):
        try:
            return orjson.loads(s)
        except orjson.JSONDecodeError:
            return super().decode(s, *args, **kwargs)
