"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Playwright cannot download its own browser here, so it launches /usr/bin/chromium. One browser per module;
each test opens its own context (a fresh profile: cookies, localStorage), as a phone or with JavaScript off."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "is_mobile": True,
    "has_touch": True,
    "locale": "vi-VN",
}
SURVEYED_AGENCY = "06001"  # Xã Đoàn Kết, a commune of province 20 in tests/conftest.py's tree


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests may not be skipped in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop running in this thread while the browser is open; the ORM
    # calls of the tests and of pytest-django's database teardown are still plain synchronous code, so
    # Django's async-safety guard is lifted for as long as the browser lives.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def live_server():
    """pytest-django's live server, started with the HTTPS redirect off: SecurityMiddleware reads
    SECURE_SSL_REDIRECT once, when the server builds its middleware, before any function-scoped `settings`
    change (tests/conftest.py turns it off per test) could reach it. The server speaks plain HTTP."""
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    with override_settings(SECURE_SSL_REDIRECT=False):
        server = LiveServer(os.environ.get("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost")
    yield server
    server.stop()


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def phone_without_js(browser):
    context = browser.new_context(**PHONE, java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@dataclass
class Survey:
    campaign: object
    agency: object
    url: str
    links: dict[str, str]  # agency code -> URL, as printed by survey_links


def printed_links(slug: str) -> dict[str, str]:
    """`manage.py survey_links SLUG`: one `AGENCY_CODE<TAB>URL` line per reusable agency link."""
    out = io.StringIO()
    call_command("survey_links", slug, stdout=out)
    links = {}
    for line in out.getvalue().splitlines():
        if line.strip():
            code, url = line.split("\t")
            links[code] = url
    return links


@pytest.fixture
def survey(live_server, settings, tree) -> Survey:
    """An open demo campaign over province 20, its links pointing at the live server.

    The live server needs the transactional database, which is flushed after each test, taking with it the
    questionnaire the data migration loaded: it is loaded again here (idempotent)."""
    from surveys.demo import ensure_demo_campaign
    from surveys.methodology.sipas_2017 import definition
    from surveys.services.methodology import load_methodology

    settings.SITE_URL = live_server.url
    load_methodology(definition())
    campaign = ensure_demo_campaign(province=tree["20"])
    links = printed_links(campaign.slug)
    return Survey(campaign=campaign, agency=tree[SURVEYED_AGENCY], url=links[SURVEYED_AGENCY], links=links)
