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

from agencies.models import Agency
from reports.models import AgencyResult, GroupResult, IndexRun
from reports.services import figures as formulas
from reports.services.aggregate import Aggregate, Plan, aggregate, plans_for
from reports.services.ranking import competition_ranks
from sipas.audit import record_audit
from sipas.jobs import report_progress
from surveys.models import Campaign, CampaignAgency, CampaignState
from surveys.models import campaigns as surveys_levels

# Levels of the rankings: province-level agencies (sở, ban, ngành), districts, communes (xã, phường, đặc khu).
LEVEL_OF_KIND = surveys_levels.LEVEL_OF_KIND
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
    plans = plans_for(campaign)  # the version of each level
    _progress(job, 0)
    # 1. Read every input in one snapshot: the counts per agency (one GROUP BY), the exclusions, the agencies.
    # REPEATABLE READ when this is the outermost transaction (inside another one, the caller's isolation holds).
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        participants = list(campaign.participants.select_related("agency"))
        counted = _aggregate(campaign, plans, participants)
    # Progress is written between the transactions, so the officer's screen sees it as it happens.
    _progress(job, 1)
    # 2. Every figure, in Python, from the counts (one row per agency, never one per response).
    agency_rows = _agency_rows(campaign, plans, participants, counted)
    groups = _groups(campaign, plans, participants, agency_rows)
    _changes(campaign, plans, agency_rows)
    _progress(job, 2)
    # 3. Write the run whole, or not at all.
    with transaction.atomic():
        run = _write_run(campaign, plans, counted, participants, agency_rows, groups, acting_user, job)
    _progress(job, 3)
    return run


def _progress(job, step: int) -> None:
    if job is not None:
        report_progress(job, done=step, total=3)


def _aggregate(campaign: Campaign, plans: dict[str, Plan], participants: list[CampaignAgency]) -> Aggregate:
    """The counts of every agency: one GROUP BY over the campaign when all its levels answer one version, else one
    per version over its levels' agencies."""
    by_version: dict[str, list[int]] = defaultdict(list)
    for participant in participants:
        by_version[plans[_level(participant.agency)].version].append(participant.agency_id)
    versions = {plan.version: plan for plan in plans.values()}
    if len(by_version) <= 1:
        plan = versions[next(iter(by_version))] if by_version else plans["province"]
        return aggregate(campaign, plan)
    return aggregate(campaign, versions, agencies=dict(by_version))


def _level(agency: Agency) -> str:
    return LEVEL_OF_KIND.get(agency.kind, agency.kind)


def _agency_rows(
    campaign: Campaign, plans: dict[str, Plan], participants: list[CampaignAgency], counted: Aggregate
) -> dict[int, dict]:
    excluded: dict[int, int] = defaultdict(int)
    for agency_id, _rule, n, _fingerprint in counted.excluded:
        excluded[agency_id] += n
    rows = {}
    for participant in participants:
        agency = participant.agency
        level = _level(agency)
        counts = counted.counts.get(agency.pk, NO_RESPONSES)
        values = formulas.figures(counts, plans[level])
        rows[agency.pk] = {
            "agency": agency,
            "participant": participant,
            "level": level,
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


def _groups(campaign: Campaign, plans: dict[str, Plan], participants, agency_rows) -> dict[str, dict]:
    """Per level and for the whole campaign: pooled over the responses (sums of counts), or, when the
    campaign gives agencies weights, the weighted mean of the agencies' figures. A level's agencies answer one
    version; where the campaign's agencies answered different versions, its pooled figures combine only what
    every version defines the same way (formulas.comparable_plan) and say so under "comparable"."""
    members = defaultdict(list)
    for row in agency_rows.values():
        members[row["level"]].append(row)
        members[CAMPAIGN_GROUP].append(row)
    weighted = any(p.weight is not None for p in participants)
    groups = {}
    for key, rows in members.items():
        group_plans = {plans[r["level"]].version: plans[r["level"]] for r in rows}
        comparable = None
        if len(group_plans) == 1:
            plan = next(iter(group_plans.values()))
        else:
            plan, comparable = formulas.comparable_plan(group_plans.values())
        pooled = formulas.add_counts(r["counts"] for r in rows)
        values = formulas.figures(pooled, plan)
        values["versions"] = sorted(group_plans)
        values["comparable"] = comparable
        if weighted:
            values = _weighted(values, rows)
        values["drivers"] = formulas.drivers(pooled, plan)
        values["agencies"] = len(rows)
        values["ranked"] = sum(1 for r in rows if r["rank"] is not None)
        values["excluded"] = sum(r["excluded"] for r in rows)
        values["thresholds"] = _threshold_counts(campaign, rows)
        if key != CAMPAIGN_GROUP:  # the level's target and grades (its agencies' own follow from their SIPAS)
            target = campaign.target_for_level(key)
            bands = campaign.bands_for_level(key) or list(plans[key].bands)
            values["target"] = target
            values["meets_target"] = sum(1 for r in ranked_rows(rows) if formulas.meets(r["figures"]["sipas"], target))
            values["grades"] = _grade_counts(rows, bands)
        sipas_values = [r["figures"]["sipas"] for r in rows if r["figures"]["sipas"] is not None]
        values["sipas_min"] = min(sipas_values, default=None)
        values["sipas_max"] = max(sipas_values, default=None)
        groups[key] = {"figures": values, "counts": pooled}
    return groups


def ranked_rows(rows: list[dict]) -> list[dict]:
    """The agencies with enough responses and an index (those the rankings, targets and grades count)."""
    return [r for r in rows if r["enough_sample"] and r["figures"]["sipas"] is not None]


def _grade_counts(rows: list[dict], bands: list[dict]) -> list[dict]:
    """Each band of the level with how many agencies (with enough responses) reach it, best first."""
    grades = [formulas.grade(r["figures"]["sipas"], bands) for r in ranked_rows(rows)]
    return [{**band, "agencies": sum(1 for g in grades if g is band)} for band in bands]


def _weighted(values: dict, rows: list[dict]) -> dict:
    """Replace each headline figure by the weighted mean of the agencies' figures (agencies with no data
    or no weight leave the mean)."""

    pooled_versions = values.get("comparable") is not None

    def wmean(current, get):
        if current is None and pooled_versions:  # not comparable across the versions pooled: stays None
            return None
        pairs = [(r["participant"].weight, get(r["figures"])) for r in rows]
        pairs = [(w, v) for w, v in pairs if w and v is not None]
        total = sum(w for w, _v in pairs)
        return sum(w * v for w, v in pairs) / total if total else None

    values["sipas"] = wmean(values["sipas"], lambda f: f["sipas"])
    values["hl"] = wmean(values["hl"], lambda f: f["hl"])
    for code, factor in values["factors"].items():
        for part in ("evaluation", "satisfaction"):
            factor[part] = wmean(factor[part], lambda f, c=code, p=part: f["factors"][c][p])
    for code, value in values["criteria"].items():
        values["criteria"][code] = wmean(value, lambda f, c=code: f["criteria"][c])
    for code, value in values["parts"].items():
        values["parts"][code] = wmean(value, lambda f, c=code: f["parts"].get(c))
    for code, value in values["expectations"].items():
        values["expectations"][code] = wmean(value, lambda f, c=code: f["expectations"][c])
    for key in ("facts", "ratings"):
        for code, options in values[key].items():
            for option, value in options.items():
                options[option] = wmean(value, lambda f, k=key, c=code, o=option: f[k][c][o])
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


def _changes(campaign: Campaign, plans: dict[str, Plan], agency_rows: dict[int, dict]) -> None:
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
    previous_version = previous.methodology.code
    for agency_id, row in agency_rows.items():
        plan = plans[row["level"]]
        if agency_id in old:
            before = old[agency_id].figures
            before_rank = old[agency_id].rank
            basis = "same"
        else:
            sources = [old[p] for p in predecessors.get(agency_id, []) if p in old]
            if not sources:
                continue
            before = formulas.figures(formulas.add_counts(s.counts for s in sources), plan)
            before_rank = None
            basis = "predecessors"
        now = row["figures"]
        row["figures"]["change"] = {
            "previous_campaign": previous.slug,
            "basis": basis,
            # Results before issue 18 carry no version: they are of the previous campaign's (only) version.
            "previous_version": before.get("version") or previous_version,
            "same_version": (before.get("version") or previous_version) == plan.version,
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


def _checksum(campaign: Campaign, plans: dict[str, Plan], counted: Aggregate, participants) -> str:
    """SHA-256 of everything a run is computed from: the methodology and its plan, the surveyed agencies with
    their minimum samples and weights, and the responses (per agency, how many were counted and the fingerprint
    of their ids and answers; per agency and rule, the excluded ones). Equal inputs give an equal checksum."""
    inputs = {
        "methodology": campaign.methodology.code,
        "plans": {level: plan.definition() for level, plan in sorted(plans.items())},
        "grading": [campaign.target_percent, campaign.thresholds, campaign.level_grading],
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


def _write_run(campaign, plans, counted: Aggregate, participants, agency_rows, groups, acting_user, job) -> IndexRun:
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    number = (locked.runs.aggregate(last=Max("number"))["last"] or 0) + 1
    totals = groups.get(CAMPAIGN_GROUP, {"figures": {"n": 0}})["figures"]
    excluded_by_rule = _excluded_by_rule(counted)
    run = IndexRun.objects.create(
        campaign=locked,
        number=number,
        scoring=campaign.methodology.scoring,
        checksum=_checksum(campaign, plans, counted, participants),
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
            # What the pages and documents need to show any version: each level's version, target and bands.
            "levels": {
                level: {
                    "version": plans[level].version,
                    "target": campaign.target_for_level(level),
                    "bands": campaign.bands_for_level(level) or list(plans[level].bands),
                }
                for level in sorted(groups)
                if level != CAMPAIGN_GROUP
            },
            "versions": sorted({plans[row["level"]].version for row in agency_rows.values()}),
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
