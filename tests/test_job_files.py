"""Reports rendered as jobs: the file is kept on the job; officers outside the campaign cannot download it
(tests/reports/test_document_jobs.py covers who can)."""

import datetime
import uuid

import pytest

from agencies.models import AgencyKind
from reports.jobs import enqueue_render
from reports.services.compute import compute_campaign_index
from sipas.models import Job
from surveys.models import CampaignState, Methodology, Response
from surveys.services.campaigns import create_campaign


@pytest.fixture
def run(tree):
    campaign = create_campaign(
        year=2026,
        name="Báo cáo",
        slug="report-job",
        root=tree["20"],
        methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        level_samples={AgencyKind.COMMUNE: 1},
    )
    Response.objects.bulk_create(
        Response(
            campaign=campaign,
            agency=tree[code],
            client_id=uuid.uuid4(),
            channel="paper",
            answers={"HL_CC": 5, "HL": 4, "CC1": 4},
            submitted_at=datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC),
        )
        for code in ("06001", "06004")
    )
    campaign.state = CampaignState.CLOSED
    campaign.save()
    return compute_campaign_index(campaign=campaign)


def test_rendered_workbook_is_downloadable_by_its_creator(client, actors, run, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue_render(run=run, fmt="xlsx", acting_user=actors.officer_a)
    job.refresh_from_db()
    client.force_login(actors.officer_a)

    response = client.get(f"/jobs/{job.pk}/download/")

    assert job.state == Job.State.DONE
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="sipas-report-job-run1-workbook.xlsx"')
    assert b"".join(response.streaming_content)[:2] == b"PK"  # a zip: an .xlsx workbook


def test_another_user_cannot_download_the_file(client, actors, run, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue_render(run=run, fmt="xlsx", acting_user=actors.officer_a)
    client.force_login(actors.officer_b)

    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404


def test_unknown_format_is_refused(run, actors):
    with pytest.raises(ValueError):
        enqueue_render(run=run, fmt="odt", acting_user=actors.officer_a)
