"""Reading a campaign's counts from its tally plus the responses stored since (PostgreSQL), or from all its
responses (elsewhere, or when no tally applies). See reports/models/tallies.py for why a tally stays true.

A computation over a campaign of a million responses thus aggregates only what changed since the last one:
  counts = tally (every response up to its end) + newer responses not excluded − older responses excluded.
While it reads, it may close a longer tally: up to the id below which no insert can still be in flight
(closable_upto), the responses stored since the tally's end become part of the next tally, stored with the run.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction

from reports.models import CountTally
from reports.services.aggregate import (
    Plan,
    aggregate_rows,
    every_id,
    excluded_groups,
    fingerprint,
    plan_key,
    split_sql,
)
from surveys.models import Campaign

# The advisory lock of migration reports/0002: statements inserting responses hold it shared.
RESPONSE_WRITE_LOCK = 5_119_200_017


@dataclass
class Inputs:
    names: list[str]  # the names of the counts, in the order of each agency's list in `counts`
    counts: dict[int, list[int]]  # per agency with any, over the responses not excluded
    fingerprint: dict[str, object]
    excluded: dict[int, int]  # excluded responses per agency
    tally: CountTally | None = None  # a longer tally to store with the run, if one was closed
    replaces: int | None = None  # the end of the tally it replaces (None: the campaign had none)
    epoch: int = 0  # the campaign's tally_epoch in the snapshot the counts were read in


def uses_tallies() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def snapshot():
    """A transaction whose reads all see one snapshot: REPEATABLE READ on PostgreSQL when it is the outermost
    transaction (inside another one, the caller's isolation holds), with JIT off (compiling the aggregation
    costs more than it saves)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute("SET LOCAL jit = off")
        yield


def closable_upto() -> int | None:
    """The largest response id at an instant when no statement inserting responses was in flight: every
    response with an id up to it is committed, and any later one gets a larger id. None when some insert is
    in flight (then no tally is closed this time; the newer responses are simply aggregated) or when the
    caller is inside a transaction (the lock would be held to its end). Takes the lock for an instant only."""
    if not uses_tallies() or connection.in_atomic_block:
        return None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [RESPONSE_WRITE_LOCK])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT coalesce(max(id), 0) FROM surveys_response")
        return int(cursor.fetchone()[0])


def read_inputs(campaign: Campaign, plan: Plan, *, close_upto: int | None = None) -> Inputs:
    """The counts, fingerprint and exclusions of a campaign; call inside the computation's snapshot."""
    excluded = excluded_groups(campaign)
    per_agency: dict[int, int] = defaultdict(int)
    for agency_id, _rule, n, _s, _m in excluded:
        per_agency[agency_id] += n
    if not uses_tallies():
        every = every_id(campaign)
        names, counts = aggregate_rows(campaign, plan)
        return Inputs(names, counts, fingerprint(every, excluded), dict(per_agency))
    key = plan_key(plan)
    epoch = Campaign.objects.filter(pk=campaign.pk).values_list("tally_epoch", flat=True).first() or 0
    tally = CountTally.objects.filter(campaign=campaign, plan_key=key).first()
    upto = tally.upto if tally else 0
    close = max(upto, close_upto or 0)
    sql, names = split_sql(plan)
    with connection.cursor() as cursor:
        cursor.execute(sql, [upto, close, campaign.pk, upto])
        groups = cursor.fetchall()
    width = len(names)
    # The lists read from the tally are this call's own: counts adds to them in place. Only when a longer
    # tally is being closed does it need copies of its own.
    counts: dict[int, list[int]] = {int(a): values for a, values in tally.agencies.items()} if tally else {}
    closed: dict[int, list[int]] = {a: list(values) for a, values in counts.items()} if close > upto else {}
    every = [tally.rows, tally.id_sum, tally.id_max] if tally else [0, 0, 0]
    kept = [tally.rows, tally.id_sum, tally.id_max] if tally else [0, 0, 0]
    zero = [0] * width
    for agency_id, old, is_closed, is_excluded, *values in groups:
        row = [int(v or 0) for v in values[:width]]
        id_sum, id_max = int(values[width]), int(values[width + 1])
        n = row[0]  # names[0] is "n", the responses of the group
        if old:  # excluded responses the tally holds: take them out
            _add(counts, agency_id, row, -1, zero)
            continue
        every = [every[0] + n, every[1] + id_sum, max(every[2], id_max)]
        if not is_excluded:
            _add(counts, agency_id, row, 1, zero)
        if is_closed:
            _add(closed, agency_id, row, 1, zero)
            kept = [kept[0] + n, kept[1] + id_sum, max(kept[2], id_max)]
    result = {a: values for a, values in counts.items() if any(values)}
    new_tally = None
    if close > upto:
        new_tally = CountTally(
            campaign=campaign, plan_key=key, upto=close, rows=kept[0], id_sum=kept[1], id_max=kept[2],
            names=names, agencies={str(a): values for a, values in closed.items()},
        )  # fmt: skip
    return Inputs(
        names, result, fingerprint(every, excluded), dict(per_agency), new_tally, upto if tally else None, epoch
    )


def store_tally(inputs: Inputs, locked: Campaign) -> None:
    """Store a tally closed while reading, unless another computation stored a different one meanwhile or a
    stored response was deleted or changed since the read (the campaign's tally_epoch moved). Call inside the
    run's write transaction with the campaign row locked (`locked`, read after the lock)."""
    pending = inputs.tally
    if pending is None or locked.tally_epoch != inputs.epoch:
        return
    # Only the stored tally's end is compared: its counts (about a megabyte of JSON) need not be read again.
    current = CountTally.objects.filter(campaign=pending.campaign, plan_key=pending.plan_key).values("pk", "upto")
    current = current.first()
    if current is None and inputs.replaces is None:
        pending.save()
    elif current is not None and current["upto"] == inputs.replaces:
        pending.pk = current["pk"]
        pending.save(force_update=True)


def _add(table: dict[int, list[int]], agency_id: int, row: list[int], sign: int, zero: list[int]) -> None:
    current = table.get(agency_id)
    if current is None:
        current = table[agency_id] = list(zero)
    for i, value in enumerate(row):
        current[i] += sign * value


def refresh_tally(campaign: Campaign, plan: Plan) -> CountTally | None:
    """Bring the campaign's tally up to now without computing a run (Celery beat, every few minutes), so an
    officer's computation finds little left to aggregate. Returns the tally stored, or None when nothing
    could be closed (no new responses, or an insert in flight: the next refresh will)."""
    close_upto = closable_upto()
    if close_upto is None:
        return None
    with snapshot():
        inputs = read_inputs(campaign, plan, close_upto=close_upto)
    with transaction.atomic():
        store_tally(inputs, Campaign.objects.select_for_update().get(pk=campaign.pk))
    return inputs.tally


def refresh_tallies() -> list[str]:
    """refresh_tally for every campaign that still takes or awaits responses (open, closed, computed or
    appraised). Returns the slugs whose tally moved on. Safe to run twice or beside a computation: a tally
    is only replaced by a longer one built on it."""
    from reports.services.aggregate import plan_for
    from surveys.models import CampaignState

    if not uses_tallies():
        return []
    moved = []
    states = (CampaignState.OPEN, CampaignState.CLOSED, CampaignState.COMPUTED, CampaignState.APPRAISED)
    for campaign in Campaign.objects.filter(state__in=states).select_related("methodology"):
        if refresh_tally(campaign, plan_for(campaign)) is not None:
            moved.append(campaign.slug)
    return moved
