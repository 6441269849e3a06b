"""Every page carries a Content-Security-Policy that lets scripts come only from the portal's own files, and a
Permissions-Policy; no page of the portal needs an inline script."""

from __future__ import annotations

import re

import pytest
from django.test import Client


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("address", ["/", "/results/", "/accounts/login/", "/api/docs/", "/khong-co/"])
def test_pages_forbid_inline_and_foreign_scripts(db, address):
    response = Client(raise_request_exception=False).get(address)
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("address", ["/", "/results/", "/accounts/login/", "/api/docs/"])
def test_pages_have_no_inline_script_the_policy_would_block(db, address):
    page = Client().get(address).content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert all("src=" in tag for tag in scripts), scripts


def test_the_api_docs_load_their_script_from_the_portal(db):
    page = Client().get("/api/docs/").content.decode()
    sources = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert sources and all(source.startswith("/") for source in sources)
    script = Client().get(next(s for s in sources if "script" in s or "api/docs" in s))
    assert script.status_code == 200 and b"SwaggerUIBundle" in b"".join(
        script.streaming_content if script.streaming else [script.content]
    )
