"""`python manage.py survey_links CAMPAIGN`: one `AGENCY_CODE<TAB>URL` line per reusable agency link."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from agencies.services import add_service_point
from surveys.models import SurveyLink

SITE = "https://sipas.langson.gov.vn"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def survey_links(slug: str) -> str:
    out = StringIO()
    call_command("survey_links", slug, stdout=out)
    return out.getvalue()


def agency_tokens(campaign) -> dict[str, str]:
    links = SurveyLink.objects.filter(campaign=campaign, single_use=False, service_point__isnull=True)
    return dict(links.values_list("agency__code", "token"))


def test_prints_one_tab_separated_line_per_agency_in_tree_order(open_campaign):
    tokens = agency_tokens(open_campaign)

    output = survey_links("demo")

    assert output == "".join(f"{code}\t{SITE}/s/{tokens[code]}/\n" for code in ["20.SNV", "20.STP", "06001", "06004"])


def test_creates_the_missing_links_first(make_survey_campaign):
    campaign = make_survey_campaign("no-links-yet")
    SurveyLink.objects.filter(campaign=campaign).delete()  # opening made them; start from none

    lines = survey_links("no-links-yet").splitlines()

    tokens = agency_tokens(campaign)
    assert sorted(tokens) == ["06001", "06004", "20.SNV", "20.STP"]
    assert sorted(lines) == sorted(f"{code}\t{SITE}/s/{token}/" for code, token in tokens.items())


def test_leaves_out_service_point_links_and_invitations(open_campaign, tree, dossier_invitation):
    add_service_point(agency=tree["06001"], code="MC1", name="Quầy một cửa số 1")
    survey_links("demo")  # the first run creates the service point's link
    assert SurveyLink.objects.filter(campaign=open_campaign, service_point__code="MC1").exists()

    output = survey_links("demo")

    assert [line.split("\t")[0] for line in output.splitlines()] == ["20.SNV", "20.STP", "06001", "06004"]
    assert dossier_invitation.token not in output


def test_a_second_run_prints_the_same_links(open_campaign):
    assert survey_links("demo") == survey_links("demo")


def test_unknown_campaign_is_an_error_naming_it(db):
    with pytest.raises(CommandError, match="nope"):
        survey_links("nope")


class ClosedAfter(StringIO):
    """Standard output whose reader stops after `lines` lines, as `survey_links SLUG | head -1` does."""

    def __init__(self, lines: int):
        super().__init__()
        self.left = lines

    def write(self, text: str) -> int:
        if not self.left:
            raise BrokenPipeError(32, "Broken pipe")
        self.left -= text.count("\n")
        return super().write(text)


def test_a_reader_that_stops_early_ends_the_command_quietly(open_campaign):
    out = ClosedAfter(1)

    with pytest.raises(SystemExit) as stopped:  # exit status 1, no traceback
        call_command("survey_links", open_campaign.slug, stdout=out)

    assert stopped.value.code == 1
    assert out.getvalue().count("\n") == 1
