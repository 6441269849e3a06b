"""SIPAS portal project package: settings, URLs, the Celery app and cross-cutting records (audit, jobs)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
