"""One composite foreign key, response (campaign, agency) → surveyed agency, instead of six single ones.

PostgreSQL checks a foreign key with an index probe and a row lock per row; storing a million responses
paid six of them per row (measured on this machine with 1,000,000 rows copied in one transaction:
62.9 s with the six keys, 45.2 s with the one composite key). The composite key is also stricter: a
response's agency must be surveyed in the response's campaign. See Response's docstring.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CONSTRAINT = "response_participant_fk"


def refuse_orphans(apps, schema_editor):
    """Stop with a clear message, before anything changes, if a stored response's agency is not surveyed
    in its campaign (the new key would refuse it)."""
    Response = apps.get_model("surveys", "Response")
    CampaignAgency = apps.get_model("surveys", "CampaignAgency")
    surveyed = CampaignAgency.objects.filter(
        campaign_id=models.OuterRef("campaign_id"), agency_id=models.OuterRef("agency_id")
    )
    orphans = Response.objects.filter(~models.Exists(surveyed))
    count = orphans.count()
    if count:
        pairs = sorted(set(orphans.values_list("campaign_id", "agency_id")[:1000]))[:20]
        raise RuntimeError(
            f"{count} stored responses belong to an agency that is not surveyed in their campaign "
            f"(campaign id, agency id: {pairs}). Add those agencies to their campaigns (surveyed agencies) "
            "or remove the responses, then migrate again."
        )


ADD_KEY = (
    f"ALTER TABLE surveys_response ADD CONSTRAINT {CONSTRAINT} FOREIGN KEY (campaign_id, agency_id) "
    "REFERENCES surveys_campaignagency (campaign_id, agency_id) DEFERRABLE INITIALLY DEFERRED"
)
DROP_KEY = f"ALTER TABLE surveys_response DROP CONSTRAINT IF EXISTS {CONSTRAINT}"


class Migration(migrations.Migration):

    dependencies = [
        ('agencies', '0002_agency_search_text'),
        ('surveys', '0006_campaign_tally_epoch'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(refuse_orphans, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='response',
            name='agency',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='responses', to='agencies.agency'),
        ),
        migrations.AlterField(
            model_name='response',
            name='campaign',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='responses', to='surveys.campaign'),
        ),
        migrations.AlterField(
            model_name='response',
            name='decided_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='decided_responses', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='response',
            name='entered_by',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='entered_responses', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='response',
            name='link',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='responses', to='surveys.surveylink'),
        ),
        migrations.AlterField(
            model_name='response',
            name='service_point',
            field=models.ForeignKey(blank=True, db_constraint=False, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, to='agencies.servicepoint'),
        ),
        migrations.AddField(
            model_name='response',
            name='participant',
            field=models.ForeignObject(from_fields=['campaign', 'agency'], on_delete=django.db.models.deletion.PROTECT, related_name='responses', to='surveys.campaignagency', to_fields=['campaign', 'agency']),
        ),
        migrations.RunSQL(ADD_KEY, DROP_KEY),
    ]
