"""The Celery application. Worker: `make worker` (celery -A sipas worker -l info); beat: `make beat`."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipas.settings")

app = Celery("sipas")
# Every CELERY_* setting in sipas/settings.py configures the app (broker, JSON only, acks_late, time limits).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {
    # Open campaigns whose period has ended close at 00:05 local time (a second run the same day does nothing).
    "close-expired-campaigns": {"task": "surveys.close_expired_campaigns", "schedule": crontab(hour=0, minute=5)},
    # Jobs queued while the broker was down are sent again; jobs nobody ran for a day expire.
    "resend-jobs": {"task": "sipas.resend_jobs", "schedule": 60.0},
}
