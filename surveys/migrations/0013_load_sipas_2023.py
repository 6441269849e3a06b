"""Load the national 2023–2026 version SIPAS-2023 (see surveys/methodology/sipas_2023.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from surveys.methodology.sipas_2023 import definition

    Methodology = apps.get_model("surveys", "Methodology")
    Factor = apps.get_model("surveys", "Factor")
    Question = apps.get_model("surveys", "Question")
    data = definition()
    if Methodology.objects.filter(code=data["code"]).exists():
        return
    settings = ("code", "name", "name_en", "scoring", "positive_min", "scale", "index_rule", "parts", "weights_note",
                "sections")  # fmt: skip
    methodology = Methodology.objects.create(**{key: data[key] for key in settings})
    factors = {
        f["code"]: Factor.objects.create(methodology=methodology, order=i, **f) for i, f in enumerate(data["factors"])
    }
    Question.objects.bulk_create(
        Question(methodology=methodology, order=i, factor=factors.get(q["factor"]) if q["factor"] else None,
                 **{k: v for k, v in q.items() if k != "factor"})
        for i, q in enumerate(data["questions"])
    )  # fmt: skip


def unload(apps, schema_editor):
    Methodology = apps.get_model("surveys", "Methodology")
    Methodology.objects.filter(
        code="SIPAS-2023", campaigns__isnull=True, department_campaigns__isnull=True,
        district_campaigns__isnull=True, commune_campaigns__isnull=True,
    ).delete()  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("surveys", "0012_method_versions")]
    operations = [migrations.RunPython(load, unload)]
