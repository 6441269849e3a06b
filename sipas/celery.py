"""The Celery application. Worker: `make worker` (celery -A sipas worker -l info); beat: `make beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipas.settings")

app = Celery("sipas")
# Every CELERY_* setting in sipas/settings.py configures the app (broker, JSON only, acks_late, time limits).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
