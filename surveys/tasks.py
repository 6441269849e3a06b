"""Thin Celery tasks of the survey app: each calls one service and is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from surveys.services.campaigns import close_expired_campaigns


@shared_task(name="surveys.close_expired_campaigns")
def close_expired_campaigns_task() -> list[str]:
    """Close every open campaign whose period has ended (Celery beat, daily just after midnight, local
    time). A second run the same day finds nothing left to close."""
    return close_expired_campaigns()
