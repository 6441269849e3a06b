"""The portal's own error pages as a phone shows them, with JavaScript on and off (issue 16, point 12): a page
that does not exist, an address with a NUL character and a bad request are the portal's pages, in Vietnamese,
and in English once the visitor chose English."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

CASES = [
    ("/khong-co-trang-nay/", 404, "Không tìm thấy trang", "Page not found"),
    ("/s/a%00b/", 404, "Không tìm thấy trang", "Page not found"),
    ("/results/?q=%00", 400, "Yêu cầu không hợp lệ", "Bad request"),
]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize(("address", "status", "vietnamese", "english"), CASES)
def test_error_pages_are_the_portals_own_in_both_languages(
    db, live_server, phone, phone_without_js, javascript, address, status, vietnamese, english
):
    page = (phone if javascript else phone_without_js).new_page()

    response = page.goto(live_server.url + address)

    assert response.status == status
    assert page.locator("h1").inner_text().strip() == vietnamese
    assert page.locator("header.portal-header nav").is_visible()  # the portal's layout, not a bare page
    assert page.locator("html").get_attribute("lang") == "vi"

    page.goto(live_server.url + "/?lang=en")  # the language switch, as the menu's link does it
    page.goto(live_server.url + address)
    assert page.locator("h1").inner_text().strip() == english
    assert page.locator("html").get_attribute("lang") == "en"
