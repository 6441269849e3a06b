"""Demo campaign and synthetic responses for `seed_demo` (bulk inserted)."""

from __future__ import annotations

import datetime
import random

from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, AgencyKind
from surveys.models import Campaign, CampaignState, Channel, Methodology, Response, new_client_id
from surveys.services.campaigns import create_campaign, transition_campaign
from surveys.services.links import ensure_reusable_links

DEMO_SAMPLES = {AgencyKind.DEPARTMENT: 30, AgencyKind.COMMUNE: 25, AgencyKind.SPECIAL_ZONE: 25}
# How much each factor's satisfaction drives overall satisfaction in the synthetic data (civil servants most).
DRIVER_WEIGHTS = {"TC": 0.1, "TT": 0.2, "CC": 0.35, "KQ": 0.25, "GY": 0.1}


def ensure_demo_campaign(*, province: Agency, slug: str = "demo", acting_user=None) -> Campaign:
    """An open campaign for the current year over the province's departments and communes (idempotent)."""
    campaign = Campaign.objects.filter(slug=slug).first()
    if campaign is None:
        today = timezone.localdate()
        campaign = create_campaign(
            year=today.year, name=f"Khảo sát SIPAS {today.year} — {province.name}", slug=slug, root=province,
            methodology=Methodology.objects.get(code="SIPAS-2017"),
            period_start=today - datetime.timedelta(days=30), period_end=today + datetime.timedelta(days=60),
            channels=[Channel.QR, Channel.WEB, Channel.PAPER, Channel.ENUMERATOR, Channel.KIOSK, Channel.API],
            level_samples=DEMO_SAMPLES, target_percent=90.0, thresholds=[80.0, 90.0], acting_user=acting_user,
        )  # fmt: skip
    if campaign.state == CampaignState.DRAFT:
        campaign = transition_campaign(campaign=campaign, to_state=CampaignState.OPEN, acting_user=acting_user)
    ensure_reusable_links(campaign=campaign)
    return campaign


def synthetic_responses(*, campaign: Campaign, count: int, seed: int = 1, batch: int = 2000) -> int:
    """Add `count` plausible responses spread over the campaign's agencies. Each agency has its own level of
    service and each factor its own offset, so results differ between agencies the way real ones do."""
    rng = random.Random(seed)
    participants = list(campaign.participants.select_related("agency"))
    questions = list(campaign.methodology.questions.select_related("factor"))
    quality = {p.agency_id: min(0.98, max(0.45, rng.gauss(0.82, 0.09))) for p in participants}
    offsets = {(p.agency_id, f): rng.gauss(0, 0.05) for p in participants for f in ("TC", "TT", "CC", "KQ", "GY")}
    start = timezone.make_aware(datetime.datetime.combine(campaign.period_start, datetime.time(8)))
    span = max(1, (min(timezone.localdate(), campaign.period_end) - campaign.period_start).days) * 86400
    weights = [1 + (p.min_sample or 50) for p in participants]
    created = 0
    with transaction.atomic():
        rows = []
        for _ in range(count):
            participant = rng.choices(participants, weights)[0]
            base = quality[participant.agency_id]
            answers = _answers(rng, questions, base, offsets, participant.agency_id)
            rows.append(
                Response(
                    campaign=campaign,
                    agency_id=participant.agency_id,
                    client_id=new_client_id(),  # fresh ids: a second run adds, never collides
                    channel=rng.choice([Channel.QR, Channel.QR, Channel.WEB, Channel.PAPER]),
                    respondent_type="organization" if rng.random() < 0.12 else "individual",
                    answers=answers,
                    submitted_at=start + datetime.timedelta(seconds=rng.randrange(span)),
                    duration_seconds=int(rng.uniform(70, 400)),
                )
            )
            if len(rows) >= batch:
                created += len(Response.objects.bulk_create(rows))
                rows = []
        created += len(Response.objects.bulk_create(rows))
    return created


def _answers(rng: random.Random, questions, base: float, offsets, agency_id) -> dict:
    answers: dict = {}
    mood = rng.gauss(0, 0.12)  # one respondent is more or less pleased overall: answers correlate
    for q in questions:
        if q.kind == "scale5":
            if rng.random() < 0.06 or q.role == "overall":
                continue
            factor = q.factor.code if q.factor_id else None
            p = base + mood + (offsets[(agency_id, factor)] if factor else 0)
            answers[q.code] = rng.choice([4, 5, 5]) if rng.random() < p else rng.choice([1, 2, 3, 3])
        elif q.code == "PA":
            answers["PA"] = "1" if rng.random() < 0.3 else "2"
        elif q.code == "TH":
            answers["TH"] = rng.choices(["1", "2", "3"], [0.15, 0.75, 0.10])[0]
        elif (q.kind in ("single", "yes_no") and q.role != "profile") or (q.role == "profile" and rng.random() < 0.7):
            if q.options and q.kind != "multi":
                answers[q.code] = rng.choice(q.options)["code"]
        elif q.kind == "multi":
            answers[q.code] = sorted(rng.sample([o["code"] for o in q.options], rng.randint(1, q.max_choices or 1)))
    drivers = [(w, answers[f"HL_{f}"] >= 4) for f, w in DRIVER_WEIGHTS.items() if f"HL_{f}" in answers]
    if drivers and rng.random() > 0.04:
        pleased = sum(w for w, positive in drivers if positive) / sum(w for w, _ in drivers)
        answers["HL"] = rng.choice([4, 5, 5]) if rng.random() < 0.05 + 0.9 * pleased else rng.choice([1, 2, 3, 3])
    for code in ("GY2", "GY3", "GY4", "HL_GY"):
        if answers.get("PA") != "1":
            answers.pop(code, None)
    if answers.get("TH") != "3":
        answers.pop("XL", None)
    # Trouble and extra payments are rare; keep them so.
    if "PH" in answers:
        answers["PH"] = "2" if rng.random() < 0.03 else "1"
    if "TN" in answers:
        answers["TN"] = "2" if rng.random() < 0.02 else "1"
    return answers
