"""An agency result's counts as a list of numbers in the order of its run's `count_names`, rather than an object
that repeats every name for every agency (turned back into objects by 0008_plain_counts). Existing results are
converted both ways, in SQL that reads the `json` columns of 0005: a run's names are the names its results
used ("n" first), and an agency without responses ({"n": 0}) gets []."""

from django.db import migrations, models

TO_LISTS = """
UPDATE reports_indexrun AS run SET count_names = coalesce(
    (SELECT jsonb_agg(name ORDER BY name <> 'n', name) FROM (
        SELECT DISTINCT jsonb_object_keys(result.count_values::jsonb) AS name
        FROM reports_agencyresult AS result WHERE result.run_id = run.id) AS names),
    '[]'::jsonb);
UPDATE reports_agencyresult AS result SET count_values = CASE
    WHEN EXISTS (SELECT 1 FROM jsonb_each(result.count_values::jsonb) AS counted WHERE counted.value <> '0')
    THEN (SELECT jsonb_agg(coalesce(result.count_values::jsonb -> names.name, '0') ORDER BY names.position)
          FROM jsonb_array_elements_text(run.count_names) WITH ORDINALITY AS names(name, position))
    ELSE '[]' END
FROM reports_indexrun AS run
WHERE run.id = result.run_id AND json_typeof(result.count_values::json) = 'object';
"""

TO_OBJECTS = """
UPDATE reports_agencyresult AS result SET count_values = CASE
    WHEN json_array_length(result.count_values::json) = 0 THEN '{"n": 0}'
    ELSE (SELECT jsonb_object_agg(names.name, result.count_values::jsonb -> (names.position::int - 1))
          FROM jsonb_array_elements_text(run.count_names) WITH ORDINALITY AS names(name, position)) END
FROM reports_indexrun AS run
WHERE run.id = result.run_id AND json_typeof(result.count_values::json) = 'array';
"""


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_response_changed_on_json_answers")]

    operations = [
        migrations.AddField(
            model_name="indexrun",
            name="count_names",
            field=models.JSONField(default=list, verbose_name="names of the counts"),
        ),
        migrations.RenameField(model_name="agencyresult", old_name="counts", new_name="count_values"),
        migrations.RunSQL(TO_LISTS, TO_OBJECTS),
    ]
