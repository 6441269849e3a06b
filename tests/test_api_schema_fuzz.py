"""The API against its own OpenAPI schema (/api/schema/), with schemathesis: generated requests to every
operation, without a token and with a staff member's token, through the Django WSGI application in-process on
the test database. Every response must have a documented status and a body that fits the schema, and none may
be a server error (schemathesis' checks, `case.call_and_validate`). One check is left out: "valid data should
be accepted" reads any 400 to a request that fits the schema as a defect, but a request naming an agency, a
root or a token that does not exist fits the schema and is bad input all the same.

Bounded and repeatable: EXAMPLES generated requests per operation and caller (about 300 in all, seconds),
derandomised. Valid and invalid requests alike (schemathesis' positive and negative generation), half of them
aimed at a campaign and an agency that exist ("demo", "06001") so they get past the 404.

Each operation is a Hypothesis strategy run inside a plain test (schemathesis' `as_strategy`), rather than
`@schema.parametrize()`: its pytest glue needs the schema loaded at import time, before the test settings and
database exist, or, loaded from a fixture, reaches into pytest internals that pytest 9 no longer has."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from surveys.demo import ensure_demo_campaign

EXAMPLES = 40
OPERATIONS = [
    "GET /api/v1/agencies/",
    "GET /api/v1/agencies/{code}/",
    "POST /api/v1/campaigns/{slug}/invitations/",
    "POST /api/v1/campaigns/{slug}/responses/",
    "GET /api/v1/campaigns/{slug}/results/",
]
CALLERS = ["anonymous", "staff token"]


@pytest.fixture
def application(settings):
    """The portal's WSGI application (as sipas.wsgi builds it), built once the test settings are in place: its
    middleware reads them when it loads. Requests run inside the test's transaction, so Django is kept from
    closing the connection after each one, as its own test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(application, actors, tree):
    """The schema as the application serves it, over the shared actors and the demo campaign of province 20."""
    ensure_demo_campaign(province=tree["20"])
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


def at_the_staffs_commune(case):
    """A generated request aimed at commune 06001 of the demo campaign, the staff member's own agency, so that
    bodies get past the agency look-up into the services (answers checked, invitations and responses stored)."""
    if isinstance(case.body, dict) and "agency_code" in case.body:
        case.body = {**case.body, "agency_code": "06001"}
    return case


def test_every_operation_of_the_schema_is_fuzzed(api_schema):
    assert sorted(result.ok().label for result in api_schema.get_all_operations()) == sorted(OPERATIONS)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_answers_as_its_schema_says(api_schema, actors, label, caller):
    operation = api_schema.find_operation_by_label(label)
    headers = {}
    if caller == "staff token":
        headers["Authorization"] = f"Token {Token.objects.get_or_create(user=actors.staff)[0].key}"
    existing = {"slug": "demo", "code": "06001"}
    fixed = {name: value for name, value in existing.items() if f"{{{name}}}" in operation.path}
    cases = st.one_of(
        *(
            operation.as_strategy(generation_mode=mode, path_parameters=path)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            for path in ({}, fixed)
        ),
        operation.as_strategy(path_parameters=fixed).map(at_the_staffs_commune),
    )

    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def answers_as_documented(case):
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    answers_as_documented()
