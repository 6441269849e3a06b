"""An agency result's counts as a list of numbers in the order of its run's `count_names`, rather than an object
that repeats every name for every agency: the names were half of the 5.7 MB a run of a thousand agencies
wrote (bench/compute_index.py). Existing results are converted both ways; a run's names are the names its
results used, in their order."""

from django.db import migrations, models

import reports.models.fields

BATCH = 500


def to_lists(apps, schema_editor):
    IndexRun = apps.get_model("reports", "IndexRun")
    AgencyResult = apps.get_model("reports", "AgencyResult")
    for run in IndexRun.objects.all().iterator():
        results = list(AgencyResult.objects.filter(run=run).only("pk", "count_values"))
        names = {}
        for result in results:
            names.update(dict.fromkeys(result.count_values))
        names = list(names)
        for result in results:
            counts = result.count_values
            # An agency without responses had {"n": 0}: it becomes [], as the computation now writes it.
            result.count_values = [counts.get(name, 0) for name in names] if any(counts.values()) else []
        AgencyResult.objects.bulk_update(results, ["count_values"], batch_size=BATCH)
        run.count_names = names
        run.save(update_fields=["count_names"])


def to_objects(apps, schema_editor):
    IndexRun = apps.get_model("reports", "IndexRun")
    AgencyResult = apps.get_model("reports", "AgencyResult")
    for run in IndexRun.objects.all().iterator():
        results = list(AgencyResult.objects.filter(run=run).only("pk", "count_values"))
        for result in results:
            values = result.count_values
            result.count_values = dict(zip(run.count_names, values, strict=True)) if values else {"n": 0}
        AgencyResult.objects.bulk_update(results, ["count_values"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_response_changed_on_json_answers")]

    operations = [
        migrations.AddField(
            model_name="indexrun",
            name="count_names",
            field=models.JSONField(default=list, verbose_name="names of the counts"),
        ),
        migrations.RenameField(model_name="agencyresult", old_name="counts", new_name="count_values"),
        migrations.AlterField(
            model_name="agencyresult",
            name="count_values",
            field=reports.models.fields.JSONTextField(
                decoder=reports.models.fields.IntegerJSONDecoder, verbose_name="counts"
            ),
        ),
        migrations.RunPython(to_lists, to_objects),
    ]
