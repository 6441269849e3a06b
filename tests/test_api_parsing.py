"""Bodies the API cannot decode are 400s with a message, never a server error."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token


@pytest.fixture
def officer_client(actors):
    client = Client(raise_request_exception=False)
    token, _created = Token.objects.get_or_create(user=actors.officer_a)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000])
def test_json_nested_100000_deep_is_a_400(officer_client, body):
    from agencies.models import Agency
    from surveys.demo import ensure_demo_campaign

    campaign = ensure_demo_campaign(province=Agency.objects.get(code="20"))
    response = officer_client.post(
        f"/api/v1/campaigns/{campaign.slug}/responses/", data=body, content_type="application/json"
    )

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_malformed_json_is_still_a_400(officer_client):
    response = officer_client.post("/api/v1/campaigns/x/responses/", data="{", content_type="application/json")
    assert response.status_code in (400, 404)
