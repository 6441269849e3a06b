"""SIPAS portal project package: settings, URLs, the Celery app and cross-cutting records (audit, jobs).

The Celery app (sipas/celery.py) is not imported here, so that commands and web processes do not load Celery
at start-up: `celery -A sipas` finds it in sipas.celery by itself, and sipas/tasks.py imports it before any
task is sent (tests/test_celery_app.py checks both)."""
