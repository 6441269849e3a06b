"""Load the default questionnaire SIPAS-2017 (see surveys/methodology/sipas_2017.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from surveys.methodology.sipas_2017 import definition

    Methodology = apps.get_model("surveys", "Methodology")
    Factor = apps.get_model("surveys", "Factor")
    Question = apps.get_model("surveys", "Question")
    data = definition()
    if Methodology.objects.filter(code=data["code"]).exists():
        return
    methodology = Methodology.objects.create(
        code=data["code"], name=data["name"], name_en=data["name_en"], scoring=data["scoring"],
        positive_min=data["positive_min"], scale=data["scale"],
    )
    factors = {f["code"]: Factor.objects.create(methodology=methodology, order=i, **f) for i, f in enumerate(data["factors"])}
    Question.objects.bulk_create(
        Question(methodology=methodology, order=i, factor=factors.get(q["factor"]) if q["factor"] else None,
                 **{k: v for k, v in q.items() if k != "factor"})
        for i, q in enumerate(data["questions"])
    )


def unload(apps, schema_editor):
    apps.get_model("surveys", "Methodology").objects.filter(code="SIPAS-2017", campaigns__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
