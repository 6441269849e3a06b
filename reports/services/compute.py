"""Computing a campaign's index into an immutable run (sipas-methodology.md, "Formulas", "Sample, fieldwork
and ranking")."""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Iterator
from typing import NamedTuple

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from agencies.models import Agency, AgencyKind
from reports.models import AgencyResult, GroupResult, IndexRun
from reports.services import figures as formulas
from reports.services.aggregate import Plan, plan_for
from reports.services.ranking import competition_ranks
from reports.services.tallies import Inputs, closable_upto, read_inputs, snapshot, store_tally
from sipas.audit import record_audit
from sipas.jobs import report_progress
from surveys.models import Campaign, CampaignState

# Levels of the rankings: province-level agencies (sở, ban, ngành), districts, communes (xã, phường, đặc khu).
LEVEL_OF_KIND = {
    AgencyKind.DEPARTMENT: "department",
    AgencyKind.DISTRICT: "district",
    AgencyKind.COMMUNE: "commune",
    AgencyKind.SPECIAL_ZONE: "commune",
    AgencyKind.PROVINCE: "province",
}
CAMPAIGN_GROUP = "campaign"


class ComputeError(Exception):
    pass


class Participant(NamedTuple):
    """What the computation reads of a surveyed agency (CampaignAgency): a thousand of them are read as plain
    rows, at a sixth of the cost of model instances with their agencies."""

    agency_id: int
    kind: str
    min_sample: int
    weight: float | None


def _participants(campaign: Campaign) -> list[Participant]:
    fields = ("agency_id", "agency__kind", "min_sample", "weight")
    return [Participant(*values) for values in campaign.participants.values_list(*fields)]


def compute_campaign_index(*, campaign: Campaign, acting_user=None, job=None) -> IndexRun:
    """Compute every figure for every surveyed agency, level and the whole campaign from one snapshot of
    the responses, and store it as a new run in one transaction: a crash leaves no run at all. Only responses not excluded by a recorded
    decision count. A campaign that is closed (or already computed/appraised) moves to "computed"; an open
    campaign gets an interim run and stays open. Raises ComputeError for a draft or published campaign."""
    if job is not None and (done := IndexRun.objects.filter(job=job).first()):
        return done  # a redelivered job: its run exists (perhaps published since); never compute twice
    if campaign.state in (CampaignState.DRAFT, CampaignState.PUBLISHED):
        raise ComputeError(
            _("A %(state)s campaign cannot be computed.") % {"state": CampaignState(campaign.state).label}
        )
    plan = plan_for(campaign)
    _progress(job, 0)
    # 1. Read every input in one snapshot (a read-only transaction; REPEATABLE READ on PostgreSQL): the
    # counts come from the campaign's tally and the responses stored since (reports.services.tallies).
    close_upto = closable_upto()
    with snapshot():
        inputs = read_inputs(campaign, plan, close_upto=close_upto)
        participants = _participants(campaign)
    # Progress is written between the transactions, so the officer's screen sees it as it happens.
    _progress(job, 1)
    # 2. Every figure, in Python, from the counts (no query per response).
    agency_rows = _agency_rows(campaign, plan, participants, inputs)
    groups = _groups(campaign, plan, participants, inputs.names, agency_rows)
    _changes(campaign, plan, agency_rows)
    _progress(job, 2)
    # 3. Write the run whole, or not at all.
    with transaction.atomic():
        run = _write_run(campaign, plan, inputs, participants, agency_rows, groups, acting_user, job)
    _progress(job, 3)
    return run


def _progress(job, step: int) -> None:
    if job is not None:
        report_progress(job, done=step, total=3)


def _agency_rows(campaign: Campaign, plan: Plan, participants: list[Participant], inputs: Inputs) -> dict[int, dict]:
    no_counts = [0] * len(inputs.names)
    table = [inputs.counts.get(p.agency_id, no_counts) for p in participants]
    values = formulas.figures_table(inputs.names, table, plan, campaign.methodology.scoring)
    rows = {}
    for participant, agency_counts, agency_figures in zip(participants, table, values, strict=True):
        agency_id = participant.agency_id
        rows[agency_id] = {
            "agency_id": agency_id,
            "participant": participant,
            "level": LEVEL_OF_KIND.get(participant.kind, participant.kind),
            "counts": agency_counts,  # in the order of inputs.names (zeros for an agency without responses)
            "figures": agency_figures,
            "excluded": inputs.excluded.get(agency_id, 0),
            "enough_sample": agency_figures["n"] >= participant.min_sample and agency_figures["n"] > 0,
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


def _groups(campaign: Campaign, plan: Plan, participants, names: list[str], agency_rows) -> dict[str, dict]:
    """Per level and for the whole campaign: pooled over the responses (sums of counts), or, when the
    campaign gives agencies weights, the weighted mean of the agencies' figures."""
    members = defaultdict(list)
    for row in agency_rows.values():
        members[row["level"]].append(row)
    pooled = {level: _column_sums([r["counts"] for r in rows], len(names)) for level, rows in members.items()}
    if members:  # the campaign pools its levels
        members[CAMPAIGN_GROUP] = list(agency_rows.values())
        pooled[CAMPAIGN_GROUP] = _column_sums(list(pooled.values()), len(names))
    weighted = any(p.weight is not None for p in participants)
    scoring = campaign.methodology.scoring
    levels = [key for key in members if key != CAMPAIGN_GROUP]  # in the order they were first met
    keys = [*levels[:1], CAMPAIGN_GROUP, *levels[1:]] if members else []
    groups = {}
    for key, values in zip(keys, formulas.figures_table(names, [pooled[k] for k in keys], plan, scoring), strict=True):
        rows = members[key]
        counts = dict(zip(names, pooled[key], strict=True))
        if weighted:
            values = _weighted(values, rows)
        values["drivers"] = formulas.drivers(counts, plan)
        values["agencies"] = len(rows)
        values["ranked"] = sum(1 for r in rows if r["rank"] is not None)
        values["excluded"] = sum(r["excluded"] for r in rows)
        values["thresholds"] = _threshold_counts(campaign, rows)
        sipas_values = [r["figures"]["sipas"] for r in rows if r["figures"]["sipas"] is not None]
        values["sipas_min"] = min(sipas_values, default=None)
        values["sipas_max"] = max(sipas_values, default=None)
        groups[key] = {"figures": values, "counts": counts}
    return groups


def _column_sums(rows: list[list[int]], width: int) -> list[int]:
    """The sums of many lists of counts, count by count (pooling agencies or levels)."""
    return [sum(column) for column in zip(*rows, strict=True)] if rows else [0] * width


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


def _checksum(campaign: Campaign, plan: Plan, fingerprint: dict, participants) -> str:
    inputs = {
        "methodology": campaign.methodology.code,
        "scoring": campaign.methodology.scoring,
        "responses": [fingerprint["all"], fingerprint["excluded"]],
        "agencies": sorted([p.agency_id, p.min_sample, p.weight] for p in participants),
        "plan": [plan.scaled, plan.choices, plan.multi, plan.factors, plan.overall, plan.positive_min],
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()


def _write_run(campaign, plan, inputs: Inputs, participants, agency_rows, groups, acting_user, job) -> IndexRun:
    fingerprint = inputs.fingerprint
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    store_tally(inputs, locked)
    number = (locked.runs.aggregate(last=Max("number"))["last"] or 0) + 1
    totals = groups.get(CAMPAIGN_GROUP, {"figures": {"n": 0}})["figures"]
    run = IndexRun.objects.create(
        campaign=locked,
        number=number,
        scoring=campaign.methodology.scoring,
        checksum=_checksum(campaign, plan, fingerprint, participants),
        responses_counted=totals["n"],
        responses_excluded=sum(fingerprint["excluded_by_rule"].values()),
        excluded_by_rule=fingerprint["excluded_by_rule"],
        summary={
            "groups": sorted(groups),
            "interim": locked.state == CampaignState.OPEN,
            "agencies": len(agency_rows),
            "ranked": sum(1 for row in agency_rows.values() if row["rank"] is not None),
            "sipas": totals.get("sipas"),
            "hl": totals.get("hl"),
        },
        count_names=inputs.names,
        computed_by=acting_user,
        job=job,
    )
    _write_agency_results(run, agency_rows.values())
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


def _write_agency_results(run: IndexRun, rows) -> None:
    """One row per agency, its counts stored as [] when it has no responses. On PostgreSQL by COPY, the JSON written by orjson: a thousand agencies carry about
    4 MB of JSON (figures about 2.9 kB each, counts 0.9 kB), which json.dumps and an INSERT with ten thousand
    parameters took three times as long to write (the bench of compute_index)."""
    values = [
        (run.pk, row["agency_id"], row["level"], row["figures"]["n"], row["excluded"], row["figures"]["sipas"],
         row["rank"], row["enough_sample"], row["figures"], row["counts"] if row["figures"]["n"] else [])
        for row in rows
    ]  # fmt: skip
    fields = ("run", "agency", "level", "n", "excluded", "sipas", "rank", "enough_sample", "figures", "count_values")
    if connection.vendor != "postgresql":
        attributes = [AgencyResult._meta.get_field(name).attname for name in fields]
        AgencyResult.objects.bulk_create(AgencyResult(**dict(zip(attributes, v, strict=True))) for v in values)
        return
    meta, quote = AgencyResult._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in fields)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN", _PiecesFile(_copy_lines(values)))


def _copy_lines(values, rows_per_piece: int = 50) -> Iterator[str]:
    """The rows as COPY text, a few dozen at a time, each row's JSON written by orjson."""
    dumps, option = orjson.dumps, orjson.OPT_NON_STR_KEYS
    lines = []
    for *plain, figures, counts in values:
        json_texts = (dumps(figures, option=option).decode(), dumps(counts, option=option).decode())
        lines.append("\t".join(map(_copy_text, (*plain, *json_texts))))
        if len(lines) == rows_per_piece:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"


class _PiecesFile:
    """A file for COPY FROM STDIN whose read() makes the next piece of text only when it is asked for. psycopg
    sends each piece as soon as it has it, so PostgreSQL parses and stores rows while Python still writes the
    next ones: the two processes work side by side instead of one after the other (two CPUs)."""

    def __init__(self, pieces: Iterator[str]):
        self._pieces = pieces

    def read(self, size: int = -1) -> str:
        return next(self._pieces, "")


def _copy_text(value) -> str:
    """A value in COPY's text format: \\N for NULL, t/f, and text with its backslashes, tabs and newlines
    escaped (JSON text has no raw tab or newline, but every text is escaped all the same)."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, float):
        return repr(value)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text
