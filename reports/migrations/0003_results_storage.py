"""How PostgreSQL stores the figures and counts of results: a run of a thousand agencies writes about 6 MB of
JSON. lz4 compresses it several times faster than pglz, and a toast_tuple_target near the page size keeps a
result's compressed JSON in its row rather than in the TOAST table (measured: the write of such a run fell
from 0.31 s to 0.13 s; bench/compute_index.py)."""

from django.db import migrations

COLUMNS = [("reports_agencyresult", "figures"), ("reports_agencyresult", "counts"),
           ("reports_groupresult", "figures"), ("reports_groupresult", "counts")]  # fmt: skip
TABLES = ["reports_agencyresult", "reports_groupresult"]


def storage(method: str, target: int):
    def apply(apps, schema_editor):
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} SET (toast_tuple_target = {target})")
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND %s = ANY(enumvals)", [method]
            )
            if cursor.fetchone() is None:  # a server built without lz4 keeps pglz
                return
        for table, column in COLUMNS:
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}")

    return apply


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_count_tally")]

    operations = [migrations.RunPython(storage("lz4", 8160), storage("pglz", 2032))]
