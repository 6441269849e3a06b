"""SIPAS portal project package: settings, URLs, the Celery app and cross-cutting records (audit, jobs)."""

# The Celery app is loaded with Django, so that tasks sent from any process go through the configured app.
from sipas.celery import app as celery_app

__all__ = ("celery_app",)
