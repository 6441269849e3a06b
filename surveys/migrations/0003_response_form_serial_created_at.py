import django.db.models.functions.datetime
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0002_load_sipas_2017"),
        ("sipas", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="response",
            name="form_serial",
            field=models.CharField(blank=True, db_default="", max_length=32),
        ),
        migrations.AddField(
            model_name="response",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, db_default=django.db.models.functions.datetime.Now()),
        ),
        migrations.AddConstraint(
            model_name="response",
            constraint=models.UniqueConstraint(
                condition=models.Q(("form_serial", ""), _negated=True),
                fields=("campaign", "agency", "form_serial"),
                name="response_form_serial_once",
            ),
        ),
        migrations.AddIndex(
            model_name="response",
            index=models.Index(fields=["entered_by", "agency", "created_at"], name="response_entry_idx"),
        ),
    ]
