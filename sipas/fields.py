"""JSON stored for reading whole: PostgreSQL's `json` rather than `jsonb`, for the apps that write JSON once.

Used by a run's results and a campaign's tally of counts (reports) and by a response's answers (surveys)."""

from __future__ import annotations

from django.db import models
from django.db.models.fields.json import HasKey, KeyTransform, KeyTransformFactory


class JSONTextField(models.JSONField):
    """Stored as PostgreSQL's `json` (the text as written, checked to be valid JSON) rather than `jsonb` (parsed
    into a binary form on every write, and printed back to text on every read); other databases as JSONField.
    For JSON written once and mostly read whole: parsing into jsonb was most of the time of writing a run's
    thousand AgencyResult rows, of printing a tally (bench/compute_index.py) and the largest single cost of
    copying a million responses in (bench/import_responses.py).

    What is written through Django (save, create, update, bulk_create) is still sent as jsonb, which PostgreSQL
    casts to json: it is refused and normalised as before (no \\u0000, keys in jsonb's order). Text written by
    COPY is kept as written, key order included.

    `json` has no equality and none of jsonb's operators (`?`, `@>`, ...): on PostgreSQL there is no filter,
    distinct or group by on the whole value, nor contains, contained_by, has_keys or has_any_keys. What works:
    has_key (`->` finds the key), and everything on a key's value (`field__key`, `field__key__isnull`,
    `field__key=...`, ordering by it, KT/KeyTextTransform): the value is taken out of the text with `->` and,
    that value alone, parsed into jsonb, so its lookups mean what they meant on jsonb. Each of these reads
    the whole text of every row it looks at (jsonb found a key by a binary search)."""

    def db_type(self, connection):
        return "json" if connection.vendor == "postgresql" else super().db_type(connection)

    def select_format(self, compiler, sql, params):
        # Read as text, which JSONField.from_db_value decodes, as it does jsonb's text; psycopg would otherwise
        # decode a json column itself, with no regard to the field's decoder.
        if compiler.connection.vendor == "postgresql":
            return f"({sql})::text", params
        return super().select_format(compiler, sql, params)

    def get_transform(self, name):
        transform = super().get_transform(name)
        if isinstance(transform, KeyTransformFactory):
            return JSONTextKeyTransformFactory(name)
        return transform


class JSONTextKeyTransform(KeyTransform):
    """A key's value in a JSONTextField: on PostgreSQL taken out of the json text (`->`, `#>`) and parsed into
    jsonb, so that lookups, ordering and grouping on it work as they did on a jsonb column."""

    def as_postgresql(self, compiler, connection):
        sql, params = super().as_postgresql(compiler, connection)
        return f"({sql})::jsonb", params


class JSONTextKeyTransformFactory(KeyTransformFactory):
    def __call__(self, *args, **kwargs):
        return JSONTextKeyTransform(self.key_name, *args, **kwargs)


@JSONTextField.register_lookup
class JSONTextHasKey(HasKey):
    """has_key on PostgreSQL's json, which has no `?`: the key is there when `->` finds it (a JSON null under
    the key is json's 'null', not SQL's NULL), which is what jsonb's `?` says of an object. (Of an array or a
    string, `?` also looked for a string element; `->` with a key finds nothing there, as on SQLite.)"""

    def as_postgresql(self, compiler, connection):
        if isinstance(self.lhs, KeyTransform) or not isinstance(self.rhs, (str, int)):
            return super().as_postgresql(compiler, connection)  # a key's value is jsonb (JSONTextKeyTransform)
        lhs, params = self.process_lhs(compiler, connection)
        return f"({lhs} -> %s) IS NOT NULL", (*params, str(self.rhs))
