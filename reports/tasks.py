"""Thin Celery tasks of the reports app: each calls one service and is safe to run twice."""

from __future__ import annotations

from celery import shared_task

from reports.services.tallies import refresh_tallies


@shared_task(name="reports.refresh_tallies")
def refresh_tallies_task() -> list[str]:
    """Aggregate the responses stored since each campaign's tally into a longer tally (Celery beat, every ten
    minutes), so that computing an index reads little more than the tally (reports/models/tallies.py)."""
    return refresh_tallies()
