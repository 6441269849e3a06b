"""Every URL pattern of the portal, reached with NUL and other control characters in its address, its query
string and its form data, by an anonymous visitor, an officer and a superuser: never a server error."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

HOSTILE = ["a\x00b", "x\x1fy"]  # NUL, which PostgreSQL refuses in text, and another control character
SAMPLE = {"int": "1", "uuid": str(uuid.UUID(int=1))}


def _routes(patterns, prefix: str = ""):
    """(route with <converter:name> placeholders, name) of every pattern, resolvers flattened."""
    for entry in patterns:
        pattern = entry.pattern
        if isinstance(pattern, RoutePattern):
            route = str(pattern._route)
        elif isinstance(pattern, RegexPattern):  # the admin's few regex patterns: a literal sample of each
            route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<str:\1>", pattern._regex).strip("^$").replace("\\", "")
        else:
            continue
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            yield prefix + route, entry.name


def _paths(route: str, samples: dict[str, str]) -> list[str]:
    """The route filled with real objects' keys (`samples`, by placeholder name), then with a hostile value in
    each string-like placeholder and at the end of its last segment."""
    placeholders = re.findall(r"<(?:(\w+):)?(\w+)>", route)

    def fill(hostile_index: int | None, hostile: str) -> str:
        out = route
        for index, (converter, name) in enumerate(placeholders):
            converter = converter or "str"
            value = samples.get(name) or SAMPLE.get(converter, "sample")
            if index == hostile_index and converter in {"str", "path"}:
                value = hostile
            out = re.sub(r"<(?:\w+:)?\w+>", quote(value, safe=""), out, count=1)
        return "/" + out

    paths = {fill(None, "")}
    for hostile in HOSTILE:
        for index in range(len(placeholders)):
            paths.add(fill(index, hostile))
        plain = fill(None, "")
        paths.add(plain.rstrip("/") + quote(hostile, safe="") + ("/" if plain.endswith("/") else ""))
    return sorted(paths)


ROUTES = sorted(set(_routes(get_resolver().url_patterns)))


@pytest.fixture
def samples(tree):
    """Keys of real objects, so the sweep reaches past the lookups: the demo campaign and a link of 06001."""
    from surveys.demo import ensure_demo_campaign
    from surveys.models import SurveyLink

    campaign = ensure_demo_campaign(province=tree["20"])
    link = SurveyLink.objects.filter(campaign=campaign, agency=tree["06001"], single_use=False).first()
    return {"slug": campaign.slug, "token": link.token, "code": "06001", "agency_code": "06001", "size": "a4"}


@pytest.fixture
def clients(actors):
    anonymous = Client(raise_request_exception=False)
    officer = Client(raise_request_exception=False)
    officer.force_login(actors.officer_a)
    admin = Client(raise_request_exception=False)
    admin.force_login(actors.admin)
    return {"anonymous": anonymous, "officer": officer, "admin": admin}


@pytest.mark.parametrize(("route", "name"), ROUTES, ids=[route or "/" for route, _ in ROUTES])
def test_control_characters_never_cause_a_server_error(clients, samples, route, name):
    failures = []
    for who, client in clients.items():
        if route.startswith("admin/") and who != "admin":
            continue  # the admin's pages all send anyone else to its login page
        for path in _paths(route, samples):
            for method, kwargs in [
                ("get", {}),
                ("get", {"data": {"q": "\x00", "lang": "\x00", "c": "a\x00b"}}),
                ("post", {"data": {"comment": "\x00", "name": "a\x00b"}}),
                ("post", {"data": '{"answers": {"YK": "a\\u0000b"}}', "content_type": "application/json"}),
            ]:
                response = getattr(client, method)(path, **kwargs)
                if response.status_code >= 500:
                    failures.append(f"{who} {method.upper()} {path!r} {kwargs}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_the_sweep_reaches_every_kind_of_page():
    routes = {route for route, _name in ROUTES}
    assert {"s/<str:token>/send/", "results/<slug:slug>/<str:agency_code>/", "api/v1/agencies/<str:code>/"} <= routes
    assert any(route.startswith("admin/") for route in routes)
    assert _paths("s/<str:token>/", {"token": "T"}) == ["/s/T/", "/s/Ta%00b/", "/s/Tx%1Fy/", "/s/a%00b/", "/s/x%1Fy/"]
