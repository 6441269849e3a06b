"""The portal's own 400/403/404/500 pages with DEBUG off: in the portal's layout, Vietnamese by default and
English for a visitor who chose English; and nothing uploaded or rendered is served from /media/."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import path

from sipas.urls import urlpatterns as portal_urls


def broken(request):
    raise RuntimeError("a fault in a view")


def forbidden(request):
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied


urlpatterns = [*portal_urls, path("test-broken/", broken), path("test-forbidden/", forbidden)]


@pytest.fixture
def client_no_raise():
    return Client(raise_request_exception=False)


@pytest.mark.urls("tests.test_error_pages")
@pytest.mark.parametrize(
    ("address", "status", "vietnamese", "english"),
    [
        ("/khong-co-trang-nay/", 404, "Không tìm thấy trang", "Page not found"),
        ("/s/a%00b/", 404, "Không tìm thấy trang", "Page not found"),
        ("/results/?q=%00", 400, "Yêu cầu không hợp lệ", "Bad request"),
        ("/test-forbidden/", 403, "Không có quyền truy cập", "Access denied"),
        ("/test-broken/", 500, "Đã có lỗi xảy ra", "Something went wrong"),
    ],
)
def test_error_pages_are_the_portals_own_in_the_visitors_language(
    db, client_no_raise, address, status, vietnamese, english
):
    response = client_no_raise.get(address)
    assert response.status_code == status
    page = response.content.decode()
    assert vietnamese in page and 'class="portal-header"' in page and 'lang="vi"' in page
    assert "Not Found" not in page and "Server Error" not in page

    client_no_raise.cookies["django_language"] = "en"
    english_page = client_no_raise.get(address).content.decode()
    assert english in english_page and 'lang="en"' in english_page


def test_an_expired_form_is_explained_in_vietnamese(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "Biểu mẫu đã hết hạn" in response.content.decode()


@pytest.mark.parametrize("debug", [True, False])
def test_media_files_are_not_served_at_their_address_in_any_mode(db, settings, debug):
    """Rendered reports and uploads are reached only through views that check who asks (job-download)."""
    import importlib

    from django.core.files.storage import default_storage
    from django.urls import clear_url_caches

    import sipas.urls

    settings.DEBUG = debug
    importlib.reload(sipas.urls)  # the URLs as a process started in this mode builds them
    clear_url_caches()
    try:
        name = default_storage.save("reports/report-unpublished.pdf", ContentFile(b"%PDF-1.7 secret"))
        response = Client(raise_request_exception=False).get(f"/media/{name}")
        assert response.status_code == 404
        assert b"secret" not in response.content
    finally:
        settings.DEBUG = False
        importlib.reload(sipas.urls)
        clear_url_caches()
