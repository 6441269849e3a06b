"""Computing a campaign's index into an immutable run (sipas-methodology.md, "Formulas", "Sample, fieldwork
and ranking")."""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from agencies.models import Agency, AgencyKind
from reports.models import AgencyResult, GroupResult, IndexRun
from reports.services import figures as formulas
from reports.services.aggregate import Aggregate, Plan, aggregate, plan_for
from reports.services.ranking import competition_ranks
from sipas.audit import record_audit
from sipas.jobs import report_progress
from surveys.models import Campaign, CampaignAgency, CampaignState

# Levels of the rankings: province-level agencies (sở, ban, ngành), districts, communes (xã, phường, đặc khu).
LEVEL_OF_KIND = {
    AgencyKind.DEPARTMENT: "department",
    AgencyKind.DISTRICT: "district",
    AgencyKind.COMMUNE: "commune",
    AgencyKind.SPECIAL_ZONE: "commune",
    AgencyKind.PROVINCE: "province",
}
CAMPAIGN_GROUP = "campaign"
NO_RESPONSES = {"n": 0}  # the counts of an agency without counted responses


class ComputeError(Exception):
    pass


def compute_campaign_index(*, campaign: Campaign, acting_user=None, job=None) -> IndexRun:
    """Compute every figure for every surveyed agency, level and the whole campaign from one snapshot of the
    responses, and store it as a new run in one transaction with an audit row: a crash leaves no run at all.
    Only responses not excluded by a recorded decision count. A campaign that is closed (or already
    computed/appraised) moves to "computed"; an open campaign gets an interim run and stays open. With a job,
    its progress counters move at each step, and a job that already made its run returns that run.
    Raises ComputeError for a draft or published campaign."""
    if job is not None and (done := IndexRun.objects.filter(job=job).first()):
        return done  # a redelivered job: its run exists (perhaps published since); never compute twice
    if campaign.state in (CampaignState.DRAFT, CampaignState.PUBLISHED):
        raise ComputeError(
            _("A %(state)s campaign cannot be computed.") % {"state": CampaignState(campaign.state).label}
        )
    plan = plan_for(campaign)
    _progress(job, 0)
    # 1. Read every input in one snapshot: the counts per agency (one GROUP BY), the exclusions, the agencies.
    # REPEATABLE READ when this is the outermost transaction (inside another one, the caller's isolation holds).
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        counted = aggregate(campaign, plan)
        participants = list(campaign.participants.select_related("agency"))
    # Progress is written between the transactions, so the officer's screen sees it as it happens.
    _progress(job, 1)
    # 2. Every figure, in Python, from the counts (one row per agency, never one per response).
    agency_rows = _agency_rows(campaign, plan, participants, counted)
    groups = _groups(campaign, plan, participants, agency_rows)
    _changes(campaign, plan, agency_rows)
    _progress(job, 2)
    # 3. Write the run whole, or not at all.
    with transaction.atomic():
        run = _write_run(campaign, plan, counted, participants, agency_rows, groups, acting_user, job)
    _progress(job, 3)
    return run


def _progress(job, step: int) -> None:
    if job is not None:
        report_progress(job, done=step, total=3)


def _agency_rows(
    campaign: Campaign, plan: Plan, participants: list[CampaignAgency], counted: Aggregate
) -> dict[int, dict]:
    excluded: dict[int, int] = defaultdict(int)
    for agency_id, _rule, n, _fingerprint in counted.excluded:
        excluded[agency_id] += n
    rows = {}
    for participant in participants:
        agency = participant.agency
        counts = counted.counts.get(agency.pk, NO_RESPONSES)
        values = formulas.figures(counts, plan, campaign.methodology.scoring)
        rows[agency.pk] = {
            "agency": agency,
            "participant": participant,
            "level": LEVEL_OF_KIND.get(agency.kind, agency.kind),
            "counts": counts,
            "figures": values,
            "excluded": excluded.get(agency.pk, 0),
            "enough_sample": values["n"] >= participant.min_sample and values["n"] > 0,
            "rank": None,
        }
    by_level = defaultdict(list)
    for agency_id, row in rows.items():
        if row["enough_sample"] and row["figures"]["sipas"] is not None:
            by_level[row["level"]].append((agency_id, row["figures"]["sipas"]))
    for members in by_level.values():
        for agency_id, rank in competition_ranks(members).items():
            rows[agency_id]["rank"] = rank
    return rows


def _groups(campaign: Campaign, plan: Plan, participants, agency_rows) -> dict[str, dict]:
    """Per level and for the whole campaign: pooled over the responses (sums of counts), or, when the
    campaign gives agencies weights, the weighted mean of the agencies' figures."""
    members = defaultdict(list)
    for row in agency_rows.values():
        members[row["level"]].append(row)
        members[CAMPAIGN_GROUP].append(row)
    weighted = any(p.weight is not None for p in participants)
    scoring = campaign.methodology.scoring
    groups = {}
    for key, rows in members.items():
        pooled = formulas.add_counts(r["counts"] for r in rows)
        values = formulas.figures(pooled, plan, scoring)
        if weighted:
            values = _weighted(values, rows)
        values["drivers"] = formulas.drivers(pooled, plan)
        values["agencies"] = len(rows)
        values["ranked"] = sum(1 for r in rows if r["rank"] is not None)
        values["excluded"] = sum(r["excluded"] for r in rows)
        values["thresholds"] = _threshold_counts(campaign, rows)
        sipas_values = [r["figures"]["sipas"] for r in rows if r["figures"]["sipas"] is not None]
        values["sipas_min"] = min(sipas_values, default=None)
        values["sipas_max"] = max(sipas_values, default=None)
        groups[key] = {"figures": values, "counts": pooled}
    return groups


def _weighted(values: dict, rows: list[dict]) -> dict:
    """Replace each headline figure by the weighted mean of the agencies' figures (agencies with no data
    or no weight leave the mean)."""

    def wmean(get):
        pairs = [(r["participant"].weight, get(r["figures"])) for r in rows]
        pairs = [(w, v) for w, v in pairs if w and v is not None]
        total = sum(w for w, _v in pairs)
        return sum(w * v for w, v in pairs) / total if total else None

    values["sipas"] = wmean(lambda f: f["sipas"])
    values["hl"] = wmean(lambda f: f["hl"])
    for code in values["factors"]:
        for part in ("evaluation", "satisfaction"):
            values["factors"][code][part] = wmean(lambda f, c=code, p=part: f["factors"][c][p])
    for code in values["criteria"]:
        values["criteria"][code] = wmean(lambda f, c=code: f["criteria"][c])
    for code in values["expectations"]:
        values["expectations"][code] = wmean(lambda f, c=code: f["expectations"][c])
    for code, options in values["facts"].items():
        for option in options:
            options[option] = wmean(lambda f, c=code, o=option: f["facts"][c][o])
    values["weighted"] = True
    # The intervals computed on the pooled sample do not describe weighted means: leave them out.
    values["intervals"] = {"sipas": None, "hl": None, "satisfaction": {}, "criteria": {}}
    return values


def _threshold_counts(campaign: Campaign, rows: list[dict]) -> dict[str, int]:
    """How many agencies with enough responses reach each threshold and the target (like the rankings,
    agencies under their minimum sample are left out)."""
    marks = sorted(
        {*(campaign.thresholds or []), *([campaign.target_percent] if campaign.target_percent is not None else [])}
    )
    sipas = [r["figures"]["sipas"] for r in rows if r["enough_sample"] and r["figures"]["sipas"] is not None]
    return {f"{mark:g}": sum(1 for value in sipas if value >= mark) for mark in marks}


def previous_campaign(campaign: Campaign) -> Campaign | None:
    """The latest earlier campaign with a published run over the same root or a unit it absorbed."""
    roots = {campaign.root_id, *campaign.root.predecessors.values_list("pk", flat=True)}
    return (
        Campaign.objects.filter(
            root_id__in=roots, period_end__lt=campaign.period_start, runs__state=IndexRun.State.PUBLISHED
        )
        .order_by("-period_end")
        .first()
    )


def _changes(campaign: Campaign, plan: Plan, agency_rows: dict[int, dict]) -> None:
    """Change and rank change against the previous campaign, for the same agency or, after a merger, the
    pooled responses of the units it absorbed (successor links). Flagged real only when the difference is
    beyond both intervals' uncertainty."""
    previous = previous_campaign(campaign)
    if previous is None:
        return
    run = previous.runs.get(state=IndexRun.State.PUBLISHED)
    old = {r.agency_id: r for r in run.agency_results.all()}
    predecessors = defaultdict(list)
    for pk, successor in Agency.objects.filter(successor_id__in=list(agency_rows)).values_list("pk", "successor_id"):
        predecessors[successor].append(pk)
    scoring = campaign.methodology.scoring
    for agency_id, row in agency_rows.items():
        if agency_id in old:
            before = old[agency_id].figures
            before_rank = old[agency_id].rank
            basis = "same"
        else:
            sources = [old[p] for p in predecessors.get(agency_id, []) if p in old]
            if not sources:
                continue
            before = formulas.figures(formulas.add_counts(s.counts for s in sources), plan, scoring)
            before_rank = None
            basis = "predecessors"
        now = row["figures"]
        row["figures"]["change"] = {
            "previous_campaign": previous.slug,
            "basis": basis,
            "previous_sipas": before["sipas"],
            "sipas_change": None if now["sipas"] is None or before["sipas"] is None else now["sipas"] - before["sipas"],
            "previous_rank": before_rank,
            "rank_change": None if row["rank"] is None or before_rank is None else before_rank - row["rank"],
            "real": formulas.difference_is_real(
                now["sipas"], now["intervals"]["sipas"], before["sipas"], before["intervals"]["sipas"]
            ),
            "criteria": {
                code: (
                    None if value is None or before["criteria"].get(code) is None else value - before["criteria"][code]
                )
                for code, value in now["criteria"].items()
            },
        }


def _checksum(campaign: Campaign, plan: Plan, counted: Aggregate, participants) -> str:
    """SHA-256 of everything a run is computed from: the methodology and its plan, the surveyed agencies with
    their minimum samples and weights, and the responses (per agency, how many were counted and the fingerprint
    of their ids and answers; per agency and rule, the excluded ones). Equal inputs give an equal checksum."""
    inputs = {
        "methodology": campaign.methodology.code,
        "scoring": campaign.methodology.scoring,
        "plan": [plan.scaled, plan.choices, plan.multi, plan.factors, plan.overall, plan.positive_min],
        "agencies": sorted([p.agency_id, p.min_sample, p.weight] for p in participants),
        "counted": sorted([a, counts["n"], counted.fingerprints[a]] for a, counts in counted.counts.items()),
        "excluded": [list(group) for group in counted.excluded],
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def _excluded_by_rule(counted: Aggregate) -> dict[str, int]:
    by_rule: dict[str, int] = defaultdict(int)
    for _agency_id, rule, n, _fingerprint in counted.excluded:
        by_rule[rule or "manual"] += n
    return dict(sorted(by_rule.items()))


def _write_run(campaign, plan, counted: Aggregate, participants, agency_rows, groups, acting_user, job) -> IndexRun:
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    number = (locked.runs.aggregate(last=Max("number"))["last"] or 0) + 1
    totals = groups.get(CAMPAIGN_GROUP, {"figures": {"n": 0}})["figures"]
    excluded_by_rule = _excluded_by_rule(counted)
    run = IndexRun.objects.create(
        campaign=locked,
        number=number,
        scoring=campaign.methodology.scoring,
        checksum=_checksum(campaign, plan, counted, participants),
        responses_counted=totals["n"],
        responses_excluded=sum(excluded_by_rule.values()),
        excluded_by_rule=excluded_by_rule,
        summary={
            "groups": sorted(groups),
            "interim": locked.state == CampaignState.OPEN,
            "agencies": len(agency_rows),
            "ranked": sum(1 for row in agency_rows.values() if row["rank"] is not None),
            "sipas": totals.get("sipas"),
            "hl": totals.get("hl"),
        },
        computed_by=acting_user,
        job=job,
    )
    AgencyResult.objects.bulk_create(
        AgencyResult(
            run=run,
            agency=row["agency"],
            level=row["level"],
            n=row["figures"]["n"],
            excluded=row["excluded"],
            sipas=row["figures"]["sipas"],
            rank=row["rank"],
            enough_sample=row["enough_sample"],
            figures=row["figures"],
            counts=row["counts"],
        )
        for row in agency_rows.values()
    )
    if settings.COMPUTE_FAULT_PAUSE_SECONDS:  # tests kill the worker here (see sipas/settings.py)
        time.sleep(settings.COMPUTE_FAULT_PAUSE_SECONDS)
    GroupResult.objects.bulk_create(
        GroupResult(run=run, key=key, figures=group["figures"], counts=group["counts"]) for key, group in groups.items()
    )
    if locked.state in (CampaignState.CLOSED, CampaignState.COMPUTED, CampaignState.APPRAISED):
        previous_state = locked.state
        locked.state = CampaignState.COMPUTED
        locked.save(update_fields=["state", "updated_at"])
        record_audit(
            actor=acting_user,
            action="campaign.state",
            target=locked,
            previous=previous_state,
            state=locked.state,
            note=f"run {number}",
        )
    record_audit(
        actor=acting_user, action="index.computed", target=run, checksum=run.checksum, counted=run.responses_counted
    )
    return run
