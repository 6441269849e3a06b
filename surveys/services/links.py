"""Survey links: a reusable link per surveyed agency and service point (posters), and single-use
invitations tied to a dossier code, which is stored only as a keyed hash."""

from __future__ import annotations

import io
import secrets

import segno
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from agencies.models import Agency, ServicePoint
from sipas.audit import record_audit
from surveys.models import Campaign, CampaignState, SurveyLink

DOSSIER_CODE_MAX = 64


class InvitationError(ValueError):
    """Why an invitation cannot be made; `field` names the input at fault (None: the campaign itself)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def keyed_hash(value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of `value` under the portal's HASH_KEY: the same input maps to the same hash, which cannot
    be reversed without the key (dossier codes, network addresses)."""
    return salted_hmac(f"sipas.{purpose}", value.strip(), secret=settings.HASH_KEY, algorithm="sha256").hexdigest()


# Link codes are printed under QR codes and typed by hand: lower case only, without the look-alikes 0/o, 1/l/i.
TOKEN_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
TOKEN_LENGTH = 20  # 31 ** 20 is about 2 ** 99: as unguessable as the 96-bit codes printed before


def new_token() -> str:
    """A new link code. Codes printed before (16 characters of base64url) keep working: links are found by the
    code as stored."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def link_url(link: SurveyLink) -> str:
    return f"{settings.SITE_URL}{reverse('surveys:form', args=[link.token])}"


def ensure_reusable_links(*, campaign: Campaign) -> list[SurveyLink]:
    """Create the missing reusable links of a campaign (one per surveyed agency and per active service point
    of it); return all of them in agency order. Idempotent."""
    with transaction.atomic():
        have = set(
            SurveyLink.objects.filter(campaign=campaign, single_use=False).values_list("agency_id", "service_point_id")
        )
        participants = list(campaign.participants.select_related("agency"))
        points_by_agency: dict[int, list[ServicePoint]] = {}
        for point in ServicePoint.objects.filter(agency__in=[p.agency_id for p in participants], is_active=True):
            points_by_agency.setdefault(point.agency_id, []).append(point)
        missing = []
        for participant in participants:
            agency = participant.agency
            if (agency.pk, None) not in have:
                missing.append(SurveyLink(campaign=campaign, agency=agency, token=new_token()))
            for point in points_by_agency.get(agency.pk, []):
                if (agency.pk, point.pk) not in have:
                    missing.append(SurveyLink(campaign=campaign, agency=agency, service_point=point, token=new_token()))
        SurveyLink.objects.bulk_create(missing)
    return list(
        SurveyLink.objects.filter(campaign=campaign, single_use=False)
        .select_related("campaign", "agency", "service_point")
        .order_by("agency__path", "service_point__code")
    )


def create_invitation(
    *,
    campaign: Campaign,
    agency: Agency,
    dossier_code: str,
    service_point: ServicePoint | None = None,
    acting_user=None,
) -> tuple[SurveyLink, bool]:
    """The agency's single-use link for one dossier (mã hồ sơ): created once, returned again for the same dossier
    and agency. Returns (link, created). Raises InvitationError for an agency not surveyed, a closed campaign or
    a bad code."""
    code = dossier_code.strip()
    if not code or len(code) > DOSSIER_CODE_MAX:
        raise InvitationError(
            _("A dossier code has 1 to %(max)s characters.") % {"max": DOSSIER_CODE_MAX}, "dossier_code"
        )
    if campaign.state not in (CampaignState.DRAFT, CampaignState.OPEN):
        raise InvitationError(_("The campaign is closed: no new invitations."))
    if not campaign.participants.filter(agency=agency).exists():
        raise InvitationError(
            _("Agency %(code)s is not surveyed in this campaign.") % {"code": agency.code}, "agency_code"
        )
    if service_point is not None and service_point.agency_id != agency.pk:
        raise InvitationError(_("The service point does not belong to this agency."), "service_point_code")
    dossier_hash = keyed_hash(code, purpose="dossier")
    # One invitation per dossier and agency: whether another agency invited the same code is never told (it
    # may lie outside the caller's area); a dossier answered through two agencies' invitations is flagged
    # when the second answer arrives (dossier_answered_elsewhere).
    existing = SurveyLink.objects.filter(campaign=campaign, agency=agency, dossier_hash=dossier_hash).first()
    if existing:
        existing.agency = agency  # the same row; spares callers a query for it
        return existing, False
    try:
        with transaction.atomic():
            link = SurveyLink.objects.create(
                campaign=campaign, agency=agency, service_point=service_point, token=new_token(), single_use=True,
                dossier_hash=dossier_hash, created_by=acting_user,
            )  # fmt: skip
            record_audit(actor=acting_user, action="invitation.created", target=link)
    except IntegrityError:  # the same dossier sent twice at once: the other request created it
        winner = SurveyLink.objects.get(campaign=campaign, agency=agency, dossier_hash=dossier_hash)
        winner.agency = agency
        return winner, False
    return link, True


def dossier_answered_elsewhere(link: SurveyLink) -> bool:
    """Whether the dossier of a single-use invitation was already answered through another agency's invitation
    in the same campaign (the quality flag "invitation or dossier code used twice")."""
    if not link.dossier_hash:
        return False
    return (
        SurveyLink.objects.filter(campaign_id=link.campaign_id, dossier_hash=link.dossier_hash, used_at__isnull=False)
        .exclude(pk=link.pk)
        .exists()
    )


def qr_svg(url: str, *, scale: int = 8) -> str:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def qr_png(url: str, *, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()
