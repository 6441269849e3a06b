"""The Celery app: found by `celery -A sipas`, loaded with Django and configured from its settings, and its beat
schedule names tasks that exist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipas.settings")
import django
django.setup()
from sipas.tasks import run_job_task
print("app:", run_job_task.app.main, run_job_task.app.conf.broker_url)
"""


def test_tasks_are_sent_through_the_app_configured_from_settings():
    env = {**os.environ, "REDIS_URL": "redis://127.0.0.1:6379/9", "DJANGO_SETTINGS_MODULE": "sipas.settings"}
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert "app: sipas redis://127.0.0.1:6379/9" in out.stdout


def test_celery_finds_the_app_from_the_package_name():
    out = subprocess.run(
        [str(Path(sys.executable).parent / "celery"), "-A", "sipas", "inspect", "--help"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    child = "import celery.bin.celery as c; from celery.app.utils import find_app; print(find_app('sipas').main)"
    found = subprocess.run([sys.executable, "-c", child], cwd=ROOT, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "sipas"


def test_beat_schedule_names_registered_tasks():
    from sipas.celery import app

    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert scheduled == {"surveys.close_expired_campaigns", "sipas.resend_jobs"}
    assert scheduled <= set(app.tasks)
