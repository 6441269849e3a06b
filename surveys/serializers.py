"""Request and response bodies of the survey integration API (surveys.api). They parse and look things up
inside the caller's scope; every rule about invitations and responses stays in surveys.services."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agencies.models import Agency, ServicePoint
from surveys.models import Campaign, Channel, FlagRule, RespondentType, SurveyLink
from surveys.services.links import DOSSIER_CODE_MAX, link_url

AGENCY_NOT_FOUND = _("No surveyed agency with this code in your area.")
CLOCK_SKEW = datetime.timedelta(minutes=5)  # a kiosk's clock may run a little ahead of the server's
DURATION_MAX = 24 * 3600


def surveyed_agency(*, campaign: Campaign, agencies: QuerySet[Agency], code: str) -> Agency | None:
    """The agency with `code` among the caller's agencies that `campaign` surveys. An unknown code, an agency
    outside the caller's area and one not surveyed get the same answer, so the API never reveals which."""
    return agencies.filter(code=code, participations__campaign=campaign).first()


class ScopedRequestSerializer(serializers.Serializer):
    # Needs `campaign` and `agencies` (the caller's agencies, agencies.scope) in its context; puts the resolved
    # Agency in validated_data["agency"]. (A comment, not a docstring: docstrings become the public schema.)

    agency_code = serializers.CharField(max_length=32, help_text=_("Official code of the surveyed agency."))

    def validate_agency_code(self, code: str) -> str:
        self.agency = surveyed_agency(campaign=self.context["campaign"], agencies=self.context["agencies"], code=code)
        if self.agency is None:
            raise serializers.ValidationError(AGENCY_NOT_FOUND)
        return code

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        data["agency"] = self.agency
        return data


# --- invitations ---------------------------------------------------------------------------------------------------


class InvitationRequestSerializer(ScopedRequestSerializer):
    """A dossier whose result the one-stop shop is returning."""

    dossier_code = serializers.CharField(
        max_length=DOSSIER_CODE_MAX,
        write_only=True,
        help_text=_("The dossier code (mã hồ sơ). Stored only as a keyed hash and never returned."),
    )
    service_point_code = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text=_("Code of the agency's service point (Bộ phận Một cửa counter), if any."),
    )

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        data = super().validate(data)
        code = data.get("service_point_code")
        data["service_point"] = None
        if code:
            point = ServicePoint.objects.filter(agency=data["agency"], code=code, is_active=True).first()
            if point is None:
                raise serializers.ValidationError(
                    {"service_point_code": [_("This agency has no active service point with this code.")]}
                )
            data["service_point"] = point
        return data


class InvitationSerializer(serializers.ModelSerializer):
    """A single-use invitation as the one-stop-shop software prints it: the link and its QR code."""

    url = serializers.SerializerMethodField(help_text=_("The survey link to print or send to the citizen."))
    qr_svg_url = serializers.SerializerMethodField(help_text=_("The link's QR code as SVG."))
    qr_png_url = serializers.SerializerMethodField(help_text=_("The link's QR code as PNG."))
    agency_code = serializers.CharField(source="agency.code", read_only=True)

    class Meta:
        model = SurveyLink
        fields = ["token", "url", "qr_svg_url", "qr_png_url", "agency_code", "created_at"]
        read_only_fields = fields

    def get_url(self, link: SurveyLink) -> str:
        return link_url(link)

    def get_qr_svg_url(self, link: SurveyLink) -> str:
        return _qr_url(link, "svg")

    def get_qr_png_url(self, link: SurveyLink) -> str:
        return _qr_url(link, "png")


def _qr_url(link: SurveyLink, fmt: str) -> str:
    return f"{settings.SITE_URL}{reverse('surveys:qr', kwargs={'token': link.token, 'fmt': fmt})}"


# --- responses -----------------------------------------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [
            {"type": "integer", "description": "a level of a scale, e.g. 4"},
            {"type": "string", "description": 'an option code or a text, e.g. "1"'},
            {"type": "array", "items": {"type": "string"}, "description": 'option codes, e.g. ["NC3", "NC5"]'},
        ],
        "nullable": True,
    }
)
class AnswerField(serializers.JSONField):
    """One answer: a number, a text or a list of option codes; null or empty means unanswered. Whether the
    value fits its question is checked by surveys.services.answers, like on every other channel."""

    default_error_messages = {"shape": _("Give a number, a text or a list of option codes.")}

    def to_internal_value(self, data):
        data = super().to_internal_value(data)
        if isinstance(data, list):
            if any(isinstance(item, (bool, dict, list)) or item is None for item in data):
                self.fail("shape")
        elif isinstance(data, (bool, dict)):
            self.fail("shape")
        return data


class ResponseRequestSerializer(ScopedRequestSerializer):
    """One completed questionnaire."""

    client_id = serializers.UUIDField(
        help_text=_("Generated by the client before the first attempt; a retry with the same id is stored once.")
    )
    respondent_type = serializers.ChoiceField(choices=RespondentType.choices, default=RespondentType.INDIVIDUAL)
    channel = serializers.ChoiceField(
        choices=Channel.choices, default=Channel.API, help_text=_("Must be one of the channels the campaign allows.")
    )
    answers = serializers.DictField(
        child=AnswerField(allow_null=True),
        help_text=_('Answers keyed by question code, e.g. {"TC1": 4, "PA": "2", "NC": ["NC3", "NC5"]}.'),
    )
    invitation_token = serializers.CharField(
        max_length=32,
        required=False,
        help_text=_("Token of the survey link (e.g. a single-use invitation) the respondent came through."),
    )
    duration_seconds = serializers.IntegerField(
        min_value=0, max_value=DURATION_MAX, required=False, allow_null=True, help_text=_("Time taken to answer.")
    )
    submitted_at = serializers.DateTimeField(
        required=False, help_text=_("When the respondent sent it (a kiosk syncing later); default: now.")
    )

    def validate_submitted_at(self, value: datetime.datetime) -> datetime.datetime:
        if value > timezone.now() + CLOCK_SKEW:
            raise serializers.ValidationError(_("This time is in the future."))
        return value

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        data = super().validate(data)
        data["link"] = None
        token = data.get("invitation_token")
        if token:
            link = (
                SurveyLink.objects.select_related("service_point")
                .filter(campaign=self.context["campaign"], agency=data["agency"], token=token)
                .first()
            )
            if link is None:
                raise serializers.ValidationError(
                    {"invitation_token": [_("No survey link with this token for this agency in this campaign.")]}
                )
            data["link"] = link
        return data


class StoredResponseSerializer(serializers.Serializer):
    """The stored response: its id, the client id it was sent with, and its quality flags."""

    id = serializers.IntegerField(read_only=True)
    client_id = serializers.UUIDField(read_only=True)
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=FlagRule.choices),
        read_only=True,
        help_text=_("Quality flags the response earned (e.g. reused_invitation, too_fast); it is kept and counted "
                    "until an officer decides."),
    )  # fmt: skip


# --- errors (documented in the schema) -----------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """{"detail": "..."}: why the request was not answered (e.g. 401 without a valid token, 404 for a campaign
    outside the caller's area)."""

    detail = serializers.CharField(read_only=True)


class CampaignStateConflictSerializer(ErrorSerializer):
    """409: the campaign does not take responses now (retrying will not help until its state changes), or the
    client id was already stored with other answers."""

    reason = serializers.ChoiceField(choices=["closed", "not_started", "client_id_reused"], read_only=True)
