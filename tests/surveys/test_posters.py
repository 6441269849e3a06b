"""Printed posters, counter cards and invitation slips (surveys/posters.py): the agency's name with its
diacritics, the page size, one page per agency. Text and sizes are read back with poppler's pdftotext and
pdfinfo (Debian package poppler-utils)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from django.utils import translation
from django.utils.translation import gettext

from agencies.services import add_service_point
from surveys import posters
from surveys.models import SurveyLink
from surveys.services.links import ensure_reusable_links, link_url, qr_svg

A4 = (595, 842)  # points, rounded
A6 = (298, 420)
A7 = (210, 298)


@pytest.fixture(autouse=True)
def _poppler():
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        if os.environ.get("CI"):
            pytest.fail("poppler-utils (pdftotext, pdfinfo) must be installed in CI")
        pytest.skip("needs poppler-utils (pdftotext, pdfinfo)")


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def pdf_pages(data: bytes) -> list[tuple[int, int]]:
    """(width, height) in points of every page, rounded."""
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "9999", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return [(round(float(w)), round(float(h))) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", info)]


def page_texts(data: bytes) -> list[str]:
    return pdf_text(data).split("\f")[:-1]


def test_a4_poster_names_the_agency_with_its_diacritics(agency_link):
    text = pdf_text(posters.render_poster_pdf(agency_link, "a4"))

    assert "Xã Đoàn Kết" in text
    assert agency_link.campaign.name in text


def test_a4_poster_is_one_a4_page(agency_link):
    assert pdf_pages(posters.render_poster_pdf(agency_link, "a4")) == [A4]


def test_poster_prints_the_address_to_type_and_the_instruction(agency_link, settings):
    settings.SITE_URL = "https://sipas.langson.gov.vn"
    with translation.override("en"):  # the staff member's screen language does not matter
        text = pdf_text(posters.render_poster_pdf(agency_link, "a4"))

    assert f"sipas.langson.gov.vn/s/{agency_link.token}/" in text
    with translation.override(settings.LANGUAGE_CODE):
        assert gettext("Scan the QR code to rate our service") in " ".join(text.split())  # lines may wrap


def test_a6_counter_card_of_a_service_point_names_the_point(open_campaign, tree):
    add_service_point(agency=tree["06001"], code="MC1", name="Bộ phận Một cửa — Quầy số 1")
    link = next(link for link in ensure_reusable_links(campaign=open_campaign) if link.service_point_id)

    data = posters.render_poster_pdf(link, "a6")

    assert pdf_pages(data) == [A6]
    text = pdf_text(data)
    assert "Xã Đoàn Kết" in text
    assert "Bộ phận Một cửa — Quầy số 1" in text


def test_campaign_posters_are_one_a4_page_per_agency_in_tree_order(open_campaign, tree):
    add_service_point(agency=tree["06001"], code="MC1", name="Quầy số 1")  # service points get no page here

    data = posters.render_campaign_posters_pdf(open_campaign)

    assert pdf_pages(data) == [A4] * 4
    names = ["Sở Nội vụ", "Sở Tư pháp", "Xã Đoàn Kết", "Phường Đông Kinh"]
    assert [next(n for n in names if n in page) for page in page_texts(data)] == names


def test_campaign_posters_can_be_limited_to_some_agencies_and_create_missing_links(make_survey_campaign, tree):
    campaign = make_survey_campaign("no-links-yet")

    data = posters.render_campaign_posters_pdf(campaign, agencies=[tree["06004"]])

    assert pdf_pages(data) == [A4]
    assert "Phường Đông Kinh" in pdf_text(data)
    assert SurveyLink.objects.filter(campaign=campaign, single_use=False).count() == 4


def test_invitation_slip_is_one_a7_page_with_the_agency_and_the_address(dossier_invitation):
    data = posters.render_invitation_slip_pdf(dossier_invitation)

    assert pdf_pages(data) == [A7]
    text = pdf_text(data)
    assert "Xã Đoàn Kết" in text
    assert f"/s/{dossier_invitation.token}/" in text


def test_a_slip_is_only_for_a_single_use_invitation(agency_link):
    with pytest.raises(ValueError):
        posters.render_invitation_slip_pdf(agency_link)


def test_a_poster_is_only_for_a_reusable_link(dossier_invitation):
    with pytest.raises(ValueError):
        posters.render_poster_pdf(dossier_invitation, "a4")


def test_unknown_poster_size_is_refused(agency_link):
    with pytest.raises(ValueError):
        posters.render_poster_pdf(agency_link, "a3")


def test_the_qr_code_carries_the_link_marked_as_scanned(agency_link):
    sheet = posters.sheet_for(agency_link)

    assert sheet.qr == posters.scalable_svg(qr_svg(link_url(agency_link) + "?c=qr"))


def test_scalable_svg_trades_the_pixel_size_for_a_view_box():
    svg = posters.scalable_svg(qr_svg("https://example.org/s/abc/"))

    opening = svg[: svg.index(">")]
    assert 'viewBox="0 0 ' in opening
    assert "width=" not in opening
    assert "height=" not in opening


def test_pdf_file_names_are_plain_ascii():
    assert posters.pdf_filename("sipas", "demo", "Xã Đoàn Kết", "", "a4") == "sipas-demo-X-o-n-K-t-a4.pdf"
    assert posters.pdf_filename("sipas", "demo", "20.STP", 'x"; y', "a6") == "sipas-demo-20.STP-x-y-a6.pdf"


def word_boxes(data: bytes) -> list[tuple[str, float, float]]:
    """(word, top, bottom) of every word, in points from the top of the page."""
    html = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return [
        (word, float(top), float(bottom))
        for top, bottom, word in re.findall(
            r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', html
        )
    ]


@pytest.mark.parametrize("size", ["a4", "a6"])
def test_a_long_agency_name_leaves_the_address_clear_of_the_footer(open_campaign, tree, size, settings):
    agency = tree["06001"]
    agency.name = "Trung tâm Phục vụ hành chính công và Bộ phận Một cửa xã Đoàn Kết"
    agency.save()
    add_service_point(agency=agency, code="MC1", name="Bộ phận Một cửa — Quầy tiếp nhận số 1")
    link = next(link for link in ensure_reusable_links(campaign=open_campaign) if link.service_point_id)

    boxes = word_boxes(posters.render_poster_pdf(link, size))

    address_bottom = next(bottom for word, _top, bottom in boxes if link.token in word)
    with translation.override(settings.LANGUAGE_CODE):
        footer_word = gettext("Citizen satisfaction index of public administrative services (SIPAS)").split()[0]
    footer_top = max(top for word, top, _bottom in boxes if word == footer_word)
    assert address_bottom < footer_top
