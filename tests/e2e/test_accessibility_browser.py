"""Accessibility of the main pages, checked by axe-core (vendored in tests/e2e/axe/) in Chromium, on a phone
and on a desktop: the home page, the public results (list and a published campaign), the citizen form, the
login page and a staff member's campaign page (issue 16, point 13).

Every WCAG 2.0/2.1 A and AA rule axe runs must pass, and also "label-content-name-mismatch" (an accessible
name that does not contain the visible text, WCAG 2.5.3), which axe marks experimental and runs only on
request."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.e2e

AXE = Path(__file__).with_name("axe") / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "correct-horse-battery"  # tests/conftest.py's make_user
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "vi-VN"}


def axe_violations(page) -> list[str]:
    """Run axe on the page as it is; one line per violation: rule, impact and the first offending nodes."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: "tag", values: tags},
            rules: {"label-content-name-mismatch": {enabled: true}},
            resultTypes: ["violations"],
        })""",
        WCAG_TAGS,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(node["target"]) + " " + node.get("failureSummary", "").replace("\n", " ")
                    for node in v["nodes"][:3])
        for v in result["violations"]
    ]  # fmt: skip


@pytest.fixture(params=["phone", "desktop"])
def screen(request, browser):
    # bypass_csp: the portal's Content-Security-Policy allows only its own scripts, and axe is injected.
    context = browser.new_context(**(PHONE if request.param == "phone" else DESKTOP), bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def published(survey, tree):
    from reports.demo import ensure_published_demo_campaign

    return ensure_published_demo_campaign(province=tree["20"], slug="sipas-published", responses=300, seed=3)


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form [type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, "login failed"


def test_home_page_passes_axe(screen, live_server, survey):
    page = screen.new_page()
    page.goto(f"{live_server.url}/")
    assert axe_violations(page) == []


def test_results_pages_pass_axe(screen, live_server, published):
    page = screen.new_page()
    page.goto(f"{live_server.url}/results/")
    assert axe_violations(page) == []
    page.goto(f"{live_server.url}/results/{published.slug}/")
    assert page.locator("main h1").count() == 1
    assert axe_violations(page) == []


def test_citizen_form_passes_axe(screen, survey):
    page = screen.new_page()
    page.goto(survey.url)
    assert axe_violations(page) == []


def test_citizen_form_with_errors_passes_axe(screen, survey):
    page = screen.new_page()
    page.goto(survey.url)
    for box in page.locator("#q-NC input[type=checkbox]").all()[:3]:
        box.check()
    page.evaluate("document.querySelector('#q-NC input:not(:checked)').checked = true")  # past the script's limit
    page.locator(".send").click()
    page.wait_for_selector("#error-summary")
    assert axe_violations(page) == []


def test_login_page_passes_axe(screen, live_server, survey):
    page = screen.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert axe_violations(page) == []


def test_staff_campaign_page_passes_axe(screen, live_server, survey, actors):
    page = screen.new_page()
    log_in(page, live_server, actors.staff.username)
    page.goto(f"{live_server.url}/staff/{survey.campaign.slug}/")
    assert page.locator("main h1").count() == 1
    assert axe_violations(page) == []
