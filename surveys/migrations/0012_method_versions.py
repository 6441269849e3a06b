"""Versions an officer authors (issue 18): a version's index rule, parts and their weights (with the officer who
confirmed them), grading bands, section titles and owning province; a factor's part; a question's list of answers;
a campaign's version per level (province-level agencies, districts, communes) and its targets and bands per level.
Only columns are added: every existing campaign keeps its one version for all its agencies."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0002_agency_search_text"),
        ("surveys", "0011_response_device_burst_idx"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="commune_methodology",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="commune_campaigns",
                to="surveys.methodology",
                verbose_name="version for communes",
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="department_methodology",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="department_campaigns",
                to="surveys.methodology",
                verbose_name="version for province-level agencies",
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="district_methodology",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="district_campaigns",
                to="surveys.methodology",
                verbose_name="version for districts",
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="level_grading",
            field=models.JSONField(blank=True, default=dict, verbose_name="targets and grading bands per level"),
        ),
        migrations.AddField(
            model_name="factor",
            name="part",
            field=models.CharField(blank=True, max_length=16, verbose_name="part"),
        ),
        migrations.AddField(
            model_name="methodology",
            name="bands",
            field=models.JSONField(blank=True, default=list, verbose_name="grading bands"),
        ),
        migrations.AddField(
            model_name="methodology",
            name="index_rule",
            field=models.CharField(
                choices=[
                    ("factor-satisfaction", "Mean of the factors' satisfaction indices"),
                    ("parts", "Parts combined by weights (each part: the mean of its items)"),
                ],
                default="factor-satisfaction",
                max_length=24,
                verbose_name="index",
            ),
        ),
        migrations.AddField(
            model_name="methodology",
            name="owner",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="methodologies",
                to="agencies.agency",
                verbose_name="province",
            ),
        ),
        migrations.AddField(
            model_name="methodology",
            name="parts",
            field=models.JSONField(blank=True, default=list, verbose_name="parts and their weights"),
        ),
        migrations.AddField(
            model_name="methodology",
            name="sections",
            field=models.JSONField(blank=True, default=list, verbose_name="section titles"),
        ),
        migrations.AddField(
            model_name="methodology",
            name="weights_confirmed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="weights confirmed at"),
        ),
        migrations.AddField(
            model_name="methodology",
            name="weights_confirmed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="weights confirmed by",
            ),
        ),
        migrations.AddField(
            model_name="methodology",
            name="weights_note",
            field=models.TextField(blank=True, verbose_name="where the weights come from"),
        ),
        migrations.AddField(
            model_name="question",
            name="choice_list",
            field=models.CharField(blank=True, max_length=32, verbose_name="list of answers"),
        ),
    ]
