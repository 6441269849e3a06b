"""The survey integration API, for the one-stop-shop software (phần mềm Một cửa) and kiosks.

- POST /api/v1/campaigns/<slug>/invitations/: a single-use invitation for one dossier (idempotent per dossier).
- POST /api/v1/campaigns/<slug>/responses/: one response (idempotent on its client_id).

Callers authenticate with a token (`Authorization: Token <key>`, created by `manage.py create_api_token`)
belonging to a user whose staff, manager or officer memberships set the agencies it may act for
(agencies.scope). A campaign that surveys none of them is a 404; an agency outside them is answered exactly
like an unknown code. Status codes: 201 created, 200 replay of something already stored, 400 bad input with
field errors (a closed campaign included, for invitations), 401 no or bad token, 404 campaign not found,
409 the campaign takes no responses now (not started, closed, computed or published: retrying the same body
will not help), or a response's client_id already stored with other answers.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from agencies.models import Agency, Role
from agencies.scope import agencies_in_scope
from sipas.net import client_ip
from sipas.parsers import JSONParser
from surveys.models import Campaign
from surveys.serializers import (
    AGENCY_NOT_FOUND,
    CampaignStateConflictSerializer,
    ErrorSerializer,
    InvitationRequestSerializer,
    InvitationSerializer,
    ResponseRequestSerializer,
    StoredResponseSerializer,
)
from surveys.services.answers import validate_answers
from surveys.services.links import InvitationError, create_invitation
from surveys.services.responses import SubmissionRejected, question_set, submit_response

API_ROLES = (Role.STAFF, Role.OFFICER, Role.MANAGER)  # kiosk and one-stop-shop accounts are staff of their agency

SLUG = OpenApiParameter(
    "slug",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    pattern=r"^[-a-zA-Z0-9_]+$",
    description="The campaign's short name.",
)
COMMON_ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="No token, or a token that is not valid."),
    404: OpenApiResponse(ErrorSerializer, description="No campaign with this short name surveys your agencies."),
}


class CampaignScopedView(APIView):
    authentication_classes = [TokenAuthentication]  # first (only) authenticator: a missing token is a 401
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser]

    def campaign_and_agencies(self, slug: str) -> tuple[Campaign, QuerySet[Agency]]:
        """The campaign if it surveys at least one agency of the caller, and the caller's agencies."""
        agencies = agencies_in_scope(self.request.user, API_ROLES)
        campaign = (
            Campaign.objects.select_related("methodology").filter(slug=slug, participants__agency__in=agencies).first()
        )
        if campaign is None:
            raise NotFound(_("No campaign with this short name surveys your agencies."))
        return campaign, agencies


class InvitationCreateView(CampaignScopedView):
    @extend_schema(
        operation_id="create_invitation",
        tags=["surveys"],
        summary="Create (or fetch) the single-use survey invitation of a dossier",
        description=(
            "For the one-stop-shop software when it returns a result: send the dossier code, print the URL or the "
            "QR code on the result slip. The dossier code is stored only as a keyed hash and never returned. "
            "Idempotent per dossier: the same dossier gets the same token again (200)."
        ),
        parameters=[SLUG],
        request=InvitationRequestSerializer,
        responses={
            201: OpenApiResponse(InvitationSerializer, description="Invitation created."),
            200: OpenApiResponse(InvitationSerializer, description="The dossier already had this invitation."),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Bad input, with errors by field (`non_field_errors` for a closed campaign).",
                examples=[
                    OpenApiExample("unknown agency", {"agency_code": [str(AGENCY_NOT_FOUND)]}),
                    OpenApiExample(
                        "closed campaign", {"non_field_errors": ["The campaign is closed: no new invitations."]}
                    ),
                ],
            ),
            **COMMON_ERRORS,
        },
        examples=[
            OpenApiExample(
                "invitation", {"agency_code": "06001", "dossier_code": "000.00.21.H20-250312-0042"}, request_only=True
            )
        ],
    )
    def post(self, request, slug: str):
        campaign, agencies = self.campaign_and_agencies(slug)
        serializer = InvitationRequestSerializer(
            data=request.data, context={"campaign": campaign, "agencies": agencies}
        )
        serializer.is_valid(raise_exception=True)
        agency = serializer.validated_data["agency"]
        try:
            link, created = create_invitation(
                campaign=campaign,
                agency=agency,
                dossier_code=serializer.validated_data["dossier_code"],
                service_point=serializer.validated_data["service_point"],
                acting_user=request.user,
            )
        except InvitationError as error:
            raise ValidationError({error.field or api_settings.NON_FIELD_ERRORS_KEY: [str(error)]}) from error
        return Response(
            InvitationSerializer(link).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class ResponseCreateView(CampaignScopedView):
    @extend_schema(
        operation_id="submit_response",
        tags=["surveys"],
        summary="Submit one completed questionnaire",
        description=(
            "For kiosks and the one-stop-shop software. Answers are keyed by question code and checked like on "
            "every channel, skip logic strictly (a follow-up question answered after a 'no' is an error). "
            "Idempotent on client_id: sending the same body again returns the stored response (200); the same "
            "client_id with other answers is a 409 and the stored response stays as it is. A response through an "
            "invitation already used is stored and flagged `reused_invitation`."
        ),
        parameters=[SLUG],
        request=ResponseRequestSerializer,
        responses={
            201: OpenApiResponse(StoredResponseSerializer, description="Stored."),
            200: OpenApiResponse(StoredResponseSerializer, description="This client_id was already stored."),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Bad input, with errors by field; answers' errors are keyed by question code.",
                examples=[
                    OpenApiExample(
                        "skip logic",
                        {"answers": {"GY2": ["Must be empty: it is asked only when PA is 1."]}},
                    ),
                    OpenApiExample("channel", {"channel": ["This campaign does not accept responses through api."]}),
                ],
            ),
            409: OpenApiResponse(
                CampaignStateConflictSerializer,
                description=(
                    "The campaign takes no responses now (`not_started`; `closed`, also once computed or "
                    "published), or this client_id was already stored with other answers (`client_id_reused`)."
                ),
            ),
            **COMMON_ERRORS,
        },
        examples=[
            OpenApiExample(
                "kiosk response",
                {
                    "client_id": "0b6f1f5e-3c1e-4a6e-9a36-4f4f1f0a2b7c",
                    "agency_code": "06001",
                    "channel": "kiosk",
                    "answers": {"TC1": 4, "TC2": 5, "PA": "2", "GY1": 4, "HL": 5, "NC": ["NC3", "NC5"]},
                    "duration_seconds": 130,
                },
                request_only=True,
            )
        ],
    )
    def post(self, request, slug: str):
        campaign, agencies = self.campaign_and_agencies(slug)
        serializer = ResponseRequestSerializer(data=request.data, context={"campaign": campaign, "agencies": agencies})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        link = data["link"]
        try:
            response, created = submit_response(
                campaign=campaign, agency=data["agency"], answers=data["answers"], client_id=data["client_id"],
                channel=data["channel"], respondent_type=data["respondent_type"], link=link,
                service_point=link.service_point if link else None, duration_seconds=data.get("duration_seconds"),
                ip=client_ip(request), entered_by=request.user, submitted_at=data.get("submitted_at"),
                strict_skips=True, reject_used_invitation=False,
            )  # fmt: skip
        except SubmissionRejected as rejected:
            return rejection_response(rejected, channel=data["channel"])
        if not created and not same_submission(response, data, campaign=campaign):
            return Response(
                {
                    "detail": _(
                        "This client id was already used for a response with other answers, which stays as it was "
                        "stored. Send a new response with a new client id."
                    ),
                    "reason": "client_id_reused",
                },
                status=status.HTTP_409_CONFLICT,
            )
        body = {
            "id": response.pk,
            "client_id": response.client_id,
            "flags": list(response.flags.values_list("rule", flat=True)),
        }
        return Response(
            StoredResponseSerializer(body).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


def same_submission(response, data: dict, *, campaign: Campaign) -> bool:
    """Whether a request replaying a stored response's client id carries that response (same agency, channel,
    respondent and answers, compared as stored): a retry is answered with the stored response, anything else
    is a conflict, never silently the first response."""
    if (response.agency_id, response.channel, response.respondent_type) != (
        data["agency"].pk,
        data["channel"],
        data["respondent_type"],
    ):
        return False
    clean, errors = validate_answers(question_set(campaign, data["agency"]), data["answers"], strict_skips=True)
    return not errors and clean == response.answers


def rejection_response(rejected: SubmissionRejected, *, channel: str) -> Response:
    """SubmissionRejected as HTTP: a campaign not taking responses now is a 409, anything else a 400 by field."""
    if rejected.reason in ("closed", "not_started"):
        message = {
            "closed": _("The campaign is closed: it accepts no more responses."),
            "not_started": _("The campaign has not started yet: it accepts no responses before its survey period."),
        }[rejected.reason]
        return Response({"detail": message, "reason": rejected.reason}, status=status.HTTP_409_CONFLICT)
    if rejected.reason == "channel":
        errors = {"channel": [_("This campaign does not accept responses through %(channel)s.") % {"channel": channel}]}
    elif rejected.reason == "agency":
        errors = {"agency_code": [str(AGENCY_NOT_FOUND)]}
    elif rejected.reason == "used":
        errors = {"invitation_token": [_("This invitation was already used.")]}
    else:
        errors = answer_errors(rejected.errors)
    return Response(errors, status=status.HTTP_400_BAD_REQUEST)


def answer_errors(errors: dict[str, str]) -> dict:
    """The service's errors by question code, in DRF's shape: {"answers": {"TC1": ["..."]}}; an error on the
    whole questionnaire is {"answers": ["..."]}; an error on a top-level field stays at the top."""
    body: dict = {}
    by_question = {}
    for key, message in errors.items():
        if key == "__all__":
            body["answers"] = [message]
        elif key == "respondent_type":
            body[key] = [message]
        else:
            by_question[key] = [message]
    if by_question:
        body["answers"] = by_question
    return body
