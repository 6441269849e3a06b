"""A broker outage blocks nothing for good: the request that queues a job answers, the job waits unsent and
says so, and `resend_jobs` sends it once the broker is back; a job nobody ran for a day expires."""

from __future__ import annotations

import datetime
import socket

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sipas.celery import app as celery_app
from sipas.jobs import enqueue_job, job_handler, resend_jobs
from sipas.models import Job

RAN: list[int] = []


@job_handler("tests.sending")
def _record(job: Job) -> dict:
    RAN.append(job.pk)
    return {}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe is closed


@pytest.fixture
def broker_down():
    """Tasks are sent to a broker that refuses connections, as when Redis is down."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url
    conf.task_always_eager = False
    conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    _forget_connections()
    try:
        yield
    finally:
        conf.task_always_eager, conf.broker_url = saved
        _forget_connections()


def _forget_connections() -> None:
    """The app opens its connection pools from broker_url when first needed: drop them so it opens anew."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_a_job_queued_while_the_broker_is_down_is_saved_unsent(db, broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue_job(kind="tests.sending")

    job.refresh_from_db()
    assert job.state == Job.State.QUEUED and job.sent_at is None


def test_an_officers_upload_answers_and_the_job_page_says_it_waits_for_the_queue(
    db, actors, broker_down, django_capture_on_commit_callbacks
):
    client = Client(raise_request_exception=False)
    client.force_login(actors.officer_a)
    upload = SimpleUploadedFile("agencies.csv", b"code,name,kind,parent\n", content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("agencies:import"), {"file": upload})

    assert response.status_code == 302
    job = Job.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "tự động" in page and job.sent_at is None  # "sent to it automatically", in Vietnamese


def test_resend_sends_what_the_broker_never_took_and_it_runs_once(db, django_capture_on_commit_callbacks):
    RAN.clear()
    job = Job.objects.create(kind="tests.sending")
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    recent = Job.objects.create(kind="tests.sending")  # unsent for seconds: its own on_commit may still send it

    assert resend_jobs() == {"sent": 1, "expired": 0}  # eager here: sending runs it
    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.sent_at is None  # done before it was marked sent: nothing to mark
    assert [job.pk] == RAN
    assert resend_jobs() == {"sent": 0, "expired": 0} and [job.pk] == RAN
    assert Job.objects.get(pk=recent.pk).state == Job.State.QUEUED


def test_a_job_sent_long_ago_and_never_claimed_is_sent_again(db, settings):
    RAN.clear()
    job = Job.objects.create(kind="tests.sending", sent_at=timezone.now() - datetime.timedelta(hours=1))
    settings.JOB_RESEND_AFTER_SECONDS = 600

    assert resend_jobs()["sent"] == 1
    assert [job.pk] == RAN


def test_a_job_nobody_ran_for_a_day_expires_with_a_reason(db, settings):
    settings.JOB_EXPIRE_HOURS = 24
    job = Job.objects.create(kind="tests.sending")
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - datetime.timedelta(hours=25))

    assert resend_jobs() == {"sent": 0, "expired": 1}
    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "24" in job.errors[0]["message"]
