"""GET /api/v1/campaigns/<slug>/results/: the export contract's figures. Public once published; before that
only officers who manage the campaign see the latest run (anyone else: 404, the campaign's existence is not
revealed)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.selectors import latest_run, published_run
from reports.services.export import export_payload
from surveys.models import Campaign
from surveys.selectors import managed_campaigns
from surveys.serializers import ErrorSerializer


class CampaignResultsView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Results of a campaign",
        description=(
            "Every figure of the campaign's published run (per agency, per level and for the whole campaign), "
            "as in `export_report --format json`. Before publication only officers managing the campaign see "
            "the latest run; others get 404."
        ),
        parameters=[
            OpenApiParameter(
                "slug",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                pattern=r"^[-a-zA-Z0-9_]+$",
                description="The campaign's short name.",
            )
        ],
        responses={
            200: OpenApiTypes.OBJECT,
            404: OpenApiResponse(ErrorSerializer, description="No such campaign, or no results you may read yet."),
            429: OpenApiResponse(ErrorSerializer, description="Too many requests without a token from this address."),
        },
    )
    def get(self, request, slug: str):
        campaign = Campaign.objects.select_related("methodology").filter(slug=slug).first()
        if campaign is None:
            raise Http404
        run = published_run(campaign)
        if run is None:
            if not managed_campaigns(request.user).filter(pk=campaign.pk).exists():
                raise Http404
            run = latest_run(campaign)
            if run is None:
                raise Http404
        payload = export_payload(run)
        payload["run"]["state"] = run.state
        return Response(payload)
