"""Agency screens, the workspace and the job page: the right actor gets the page, the wrong one a 404 that
gives nothing away, anonymous visitors are sent to the login page."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from agencies.jobs import IMPORT_FILE
from agencies.models import Agency, AgencyKind, ServicePoint
from agencies.rows import AgencyRow
from agencies.services import add_service_point, sync_agencies
from sipas.models import Job

LOGIN_URL = "/accounts/login/"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The actors' passwords are hashed with a cheap hasher: no test here logs in with a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def browser(user=None) -> Client:
    """A client in English (so messages can be asserted whatever the Vietnamese catalogue says)."""
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


def csv_upload(text: str, name: str = "agencies.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def error_rows(html: str) -> list[tuple[str, str, str]]:
    """(row, column, problem) of every line of the job page's error table."""
    return re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)


# --- anonymous ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/agencies/", "/agencies/20/", "/agencies/import/", "/workspace/", "/jobs/1/"])
def test_anonymous_visitor_is_sent_to_the_login_page(tree, url):
    response = browser().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={url}"


def test_anonymous_post_of_a_service_point_creates_nothing(tree):
    response = browser().post("/agencies/06001/", {"code": "MC1", "name": "Quầy 1"})

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert not ServicePoint.objects.exists()


# --- agency list -------------------------------------------------------------------------------------------------


def test_officer_list_shows_their_province_and_not_the_other(actors):
    response = browser(actors.officer_a).get("/agencies/")

    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Tỉnh Lạng Sơn", "Sở Tư pháp", "Xã Đoàn Kết", "Phường Đông Kinh"):
        assert name in html
    assert "Tỉnh Quảng Ninh" not in html
    assert "Đặc khu Vân Đồn" not in html


def test_other_officer_list_shows_only_their_province(actors):
    html = browser(actors.officer_b).get("/agencies/").content.decode()

    assert "Đặc khu Vân Đồn" in html
    assert "Tỉnh Lạng Sơn" not in html
    assert "Xã Đoàn Kết" not in html


def test_superuser_list_shows_both_provinces(actors):
    html = browser(actors.admin).get("/agencies/").content.decode()

    assert "Tỉnh Lạng Sơn" in html
    assert "Tỉnh Quảng Ninh" in html


@pytest.mark.parametrize("actor", ["manager", "staff", "enumerator"])
def test_agency_list_is_404_for_non_officers(actors, actor):
    response = browser(getattr(actors, actor)).get("/agencies/")

    assert response.status_code == 404
    assert "Tỉnh Lạng Sơn" not in response.content.decode()


def test_officer_list_filters_by_kind(actors):
    html = browser(actors.officer_a).get("/agencies/", {"kind": AgencyKind.COMMUNE}).content.decode()

    assert "Xã Đoàn Kết" in html
    assert "Phường Đông Kinh" in html
    assert "Sở Tư pháp" not in html
    assert "2 agencies" in html


def test_officer_list_searches_by_name(actors):
    html = browser(actors.officer_a).get("/agencies/", {"q": "Kinh"}).content.decode()

    assert "Phường Đông Kinh" in html
    assert "Xã Đoàn Kết" not in html
    assert "1 agency" in html


def test_officer_search_ignores_the_case_of_vietnamese_letters(actors):
    # Officers type names in lower case; "đ" and "ô" have to match "Đ" and "Ô" on every database.
    html = browser(actors.officer_a).get("/agencies/", {"q": "đông kinh"}).content.decode()

    assert "Phường Đông Kinh" in html


def test_officer_list_searches_by_code(actors):
    html = browser(actors.officer_a).get("/agencies/", {"q": "06001"}).content.decode()

    assert "Xã Đoàn Kết" in html
    assert "Phường Đông Kinh" not in html


def test_officer_search_never_reaches_the_other_province(actors):
    html = browser(actors.officer_a).get("/agencies/", {"q": "Vân Đồn"}).content.decode()

    assert "Đặc khu Vân Đồn" not in html
    assert "No agency matches." in html


def test_officer_list_is_paginated_by_100(actors):
    sync_agencies(AgencyRow(f"X{i:03d}", f"Xã số {i:03d}", AgencyKind.COMMUNE, "xã", "20") for i in range(120))

    first = browser(actors.officer_a).get("/agencies/").content.decode()
    second = browser(actors.officer_a).get("/agencies/", {"page": 2}).content.decode()

    assert "125 agencies" in first
    assert "Page 1 of 2" in first
    assert first.count('href="/agencies/X') + second.count('href="/agencies/X') == 120


def test_agency_list_query_count_does_not_grow_with_the_number_of_agencies(actors, client, django_assert_num_queries):
    sync_agencies(AgencyRow(f"X{i:03d}", f"Xã số {i:03d}", AgencyKind.COMMUNE, "xã", "20") for i in range(60))
    client.force_login(actors.officer_a)

    # session, user, scope memberships, officer check, count, one page of agencies joined with their parents
    with django_assert_num_queries(6):
        response = client.get("/agencies/")

    assert response.status_code == 200
    assert "Xã số 059" in response.content.decode()


# --- agency detail -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "code", "name"),
    [
        ("officer_a", "20", "Tỉnh Lạng Sơn"),
        ("officer_a", "06004", "Phường Đông Kinh"),
        ("officer_b", "07000", "Đặc khu Vân Đồn"),
        ("manager", "20.STP", "Sở Tư pháp"),
        ("staff", "06001", "Xã Đoàn Kết"),
        ("enumerator", "06004", "Phường Đông Kinh"),
        ("admin", "07000", "Đặc khu Vân Đồn"),
    ],
)
def test_detail_is_shown_to_an_actor_who_reaches_the_agency(actors, actor, code, name):
    response = browser(getattr(actors, actor)).get(f"/agencies/{code}/")

    assert response.status_code == 200
    assert name in response.content.decode()


@pytest.mark.parametrize(
    ("actor", "code", "name"),
    [
        ("officer_a", "07000", "Đặc khu Vân Đồn"),
        ("officer_b", "06001", "Xã Đoàn Kết"),
        ("manager", "20.SNV", "Sở Nội vụ"),
        ("staff", "06004", "Phường Đông Kinh"),
        ("enumerator", "06001", "Xã Đoàn Kết"),
    ],
)
def test_detail_is_404_outside_the_actors_scope_and_shows_nothing(actors, actor, code, name):
    response = browser(getattr(actors, actor)).get(f"/agencies/{code}/")

    assert response.status_code == 404
    main = response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]  # the footer names the Sở Nội vụ
    assert name not in main


def test_detail_of_an_unknown_code_is_404(actors):
    assert browser(actors.admin).get("/agencies/99999/").status_code == 404


def test_province_detail_lists_the_agencies_under_it(actors):
    html = browser(actors.officer_a).get("/agencies/20/").content.decode()

    assert "Sở Tư pháp" in html
    assert "Xã Đoàn Kết" in html
    assert "Tỉnh Quảng Ninh" not in html


def test_detail_lists_the_agencys_service_points(actors, tree):
    add_service_point(agency=tree["06001"], code="MC1", name="Quầy một cửa số 1", address="Số 1 Trần Phú")

    html = browser(actors.staff).get("/agencies/06001/").content.decode()

    assert "Quầy một cửa số 1" in html
    assert "Số 1 Trần Phú" in html


# --- service points ----------------------------------------------------------------------------------------------


def test_officer_adds_a_service_point(actors, tree):
    client = browser(actors.officer_a)

    response = client.post("/agencies/06001/", {"code": "MC1", "name": "Quầy một cửa", "address": "Thôn 1"})

    assert response.status_code == 302
    assert response["Location"] == "/agencies/06001/"
    assert ServicePoint.objects.get(agency=tree["06001"]).name == "Quầy một cửa"
    html = client.get("/agencies/06001/").content.decode()
    assert "Service point added." in html
    assert "Quầy một cửa (MC1)" in html


def test_officer_sees_the_service_point_form_and_staff_does_not(actors):
    officer_html = browser(actors.officer_a).get("/agencies/06001/").content.decode()
    staff_html = browser(actors.staff).get("/agencies/06001/").content.decode()

    assert "Add service point" in officer_html
    assert "Add service point" not in staff_html


@pytest.mark.parametrize(("actor", "code"), [("staff", "06001"), ("manager", "20.STP"), ("enumerator", "06004")])
def test_non_officer_cannot_add_a_service_point_at_their_own_agency(actors, actor, code):
    response = browser(getattr(actors, actor)).post(f"/agencies/{code}/", {"code": "MC1", "name": "Quầy 1"})

    assert response.status_code == 404
    assert not ServicePoint.objects.exists()


def test_officer_cannot_add_a_service_point_in_the_other_province(actors):
    response = browser(actors.officer_b).post("/agencies/06001/", {"code": "MC1", "name": "Quầy 1"})

    assert response.status_code == 404
    assert "Xã Đoàn Kết" not in response.content.decode()
    assert not ServicePoint.objects.exists()


def test_duplicate_service_point_code_is_a_form_error(actors, tree):
    add_service_point(agency=tree["06001"], code="MC1", name="Quầy cũ")

    response = browser(actors.officer_a).post("/agencies/06001/", {"code": "MC1", "name": "Quầy mới"})

    assert response.status_code == 200
    assert "Service point code MC1 is already used in this agency." in response.content.decode()
    assert list(ServicePoint.objects.values_list("name", flat=True)) == ["Quầy cũ"]


def test_same_service_point_code_is_allowed_in_another_agency(actors, tree):
    add_service_point(agency=tree["06001"], code="MC1", name="Quầy Đoàn Kết")

    response = browser(actors.officer_a).post("/agencies/06004/", {"code": "MC1", "name": "Quầy Đông Kinh"})

    assert response.status_code == 302
    assert ServicePoint.objects.filter(code="MC1").count() == 2


def test_invalid_service_point_code_is_a_form_error(actors):
    response = browser(actors.officer_a).post("/agencies/06001/", {"code": "MC 1!", "name": "Quầy"})

    assert response.status_code == 200
    assert 'id="id_code"' in response.content.decode()
    assert "is-invalid" in response.content.decode()
    assert not ServicePoint.objects.exists()


# --- import ------------------------------------------------------------------------------------------------------


def test_officer_gets_the_import_form(actors):
    response = browser(actors.officer_a).get("/agencies/import/")

    assert response.status_code == 200
    assert 'type="file"' in response.content.decode()


@pytest.mark.parametrize("actor", ["manager", "staff", "enumerator"])
def test_import_page_is_404_for_non_officers(actors, actor):
    client = browser(getattr(actors, actor))

    assert client.get("/agencies/import/").status_code == 404
    upload = csv_upload("code,name,kind,parent_code\n06010,Xã Mới,commune,20\n")
    assert client.post("/agencies/import/", {"file": upload}).status_code == 404
    assert not Job.objects.exists()
    assert not Agency.objects.filter(code="06010").exists()


def test_officer_import_runs_the_job_and_shows_the_counts(actors, django_capture_on_commit_callbacks):
    client = browser(actors.officer_a)
    upload = csv_upload(
        "code,name,kind,parent_code\n06010,Xã Mới,commune,20\n06011,Phường Mới,phường,20\n06001,Xã Đoàn Kết,xã,20\n"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/agencies/import/", {"file": upload})

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "Done" in html
    assert re.search(r"Agencies added</dt><dd[^>]*>2</dd>", html)
    assert re.search(r"Agencies unchanged</dt><dd[^>]*>1</dd>", html)
    assert Agency.objects.get(code="06011").parent.code == "20"


def test_import_of_a_bad_file_lists_every_error_row_and_imports_nothing(actors, django_capture_on_commit_callbacks):
    client = browser(actors.officer_a)
    upload = csv_upload(
        "code,name,kind,parent_code\n"
        "06010,Xã Tốt,commune,20\n"  # row 2: fine on its own
        "06011,,commune,20\n"  # row 3: no name
        "06012,Xã Lạ,planet,20\n"  # row 4: unknown kind
        "bad code!,Xã Xấu,commune,20\n"  # row 5: code with a space and "!"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/agencies/import/", {"file": upload})

    html = client.get(response["Location"]).content.decode()
    assert "Failed" in html
    assert "changed nothing" in html
    assert [(row, column) for row, column, _problem in error_rows(html)] == [
        ("3", "name"),
        ("4", "kind"),
        ("5", "code"),
    ]
    assert not Agency.objects.filter(code__in=["06010", "06011", "06012"]).exists()


def test_import_touching_the_other_province_is_rejected_as_outside_the_area(actors, django_capture_on_commit_callbacks):
    client = browser(actors.officer_a)
    upload = csv_upload(
        "code,name,kind,parent_code\n"
        "07000,Đặc khu Đổi Tên,special_zone,22\n"  # row 2: renames province 22's agency
        "07999,Xã Chen Vào,commune,22\n"  # row 3: hangs a new commune under province 22
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/agencies/import/", {"file": upload})

    html = client.get(response["Location"]).content.decode()
    rows = error_rows(html)
    assert ("2", "code", "agency 07000 is outside your area") in rows
    assert ("2", "parent_code", "agency 22 is outside your area") in rows
    assert ("3", "parent_code", "agency 22 is outside your area") in rows
    assert Agency.objects.get(code="07000").name == "Đặc khu Vân Đồn"
    assert not Agency.objects.filter(code="07999").exists()


def test_import_rejects_a_file_that_is_not_a_spreadsheet(actors):
    upload = SimpleUploadedFile("agencies.pdf", b"%PDF-1.4", content_type="application/pdf")

    response = browser(actors.officer_a).post("/agencies/import/", {"file": upload})

    assert response.status_code == 200
    assert "Upload an .xlsx workbook or a .csv file." in response.content.decode()
    assert not Job.objects.exists()


# --- workspace ---------------------------------------------------------------------------------------------------


def test_workspace_shows_the_officers_role_and_tools(actors):
    html = browser(actors.officer_a).get("/workspace/").content.decode()

    assert "Tỉnh Lạng Sơn" in html
    assert 'href="/agencies/import/"' in html
    assert "Tỉnh Quảng Ninh" not in html


def test_workspace_of_a_manager_shows_their_agency_without_officer_tools(actors):
    response = browser(actors.manager).get("/workspace/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Sở Tư pháp" in html
    assert 'href="/agencies/import/"' not in html
    assert "Tỉnh Lạng Sơn" not in html


def test_workspace_of_a_user_without_role_says_so(actors, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="correct-horse-battery")

    html = browser(nobody).get("/workspace/").content.decode()

    assert "Your account has no role at any agency yet." in html


# --- job page ----------------------------------------------------------------------------------------------------


@pytest.fixture
def officer_a_job(actors):
    return Job.objects.create(
        kind=IMPORT_FILE,
        created_by=actors.officer_a,
        state=Job.State.FAILED,
        errors=[{"row": 7, "column": "parent_code", "message": "parent 06999 is neither in the file nor stored"}],
    )


def test_job_page_is_shown_to_the_user_who_started_it(actors, officer_a_job):
    response = browser(actors.officer_a).get(f"/jobs/{officer_a_job.pk}/")

    assert response.status_code == 200
    assert "parent 06999 is neither in the file nor stored" in response.content.decode()


def test_job_page_is_shown_to_a_superuser(actors, officer_a_job):
    assert browser(actors.admin).get(f"/jobs/{officer_a_job.pk}/").status_code == 200


@pytest.mark.parametrize("actor", ["officer_b", "manager", "staff"])
def test_job_page_is_404_for_anyone_else_and_shows_nothing(actors, officer_a_job, actor):
    response = browser(getattr(actors, actor)).get(f"/jobs/{officer_a_job.pk}/")

    assert response.status_code == 404
    assert "06999" not in response.content.decode()


def test_job_status_as_json_for_polling(actors, officer_a_job):
    response = browser(actors.officer_a).get(f"/jobs/{officer_a_job.pk}/", HTTP_ACCEPT="application/json")

    assert response.json()["state"] == "failed"
    assert response.json()["errors"][0]["row"] == 7


def test_job_status_as_json_is_404_for_another_user(actors, officer_a_job):
    response = browser(actors.officer_b).get(f"/jobs/{officer_a_job.pk}/", HTTP_ACCEPT="application/json")

    assert response.status_code == 404


def test_officer_search_matches_without_diacritics(actors):
    # Officers often type without accents: "dong kinh" finds "Phường Đông Kinh".
    html = browser(actors.officer_a).get("/agencies/", {"q": "dong kinh"}).content.decode()

    assert "Phường Đông Kinh" in html
    assert "Xã Đoàn Kết" not in html


@pytest.mark.parametrize("who", ["officer_a", "manager", "staff", "enumerator", "admin"])
def test_every_area_the_workspace_offers_opens(actors, who):
    client = Client()
    client.force_login(getattr(actors, who))
    page = client.get(reverse("workspace")).content.decode()
    areas = re.findall(r'<nav aria-label="[^"]*" class="d-flex[^>]*>(.*?)</nav>', page, flags=re.S)[0]
    links = re.findall(r'href="([^"]+)"', areas)

    assert links
    for link in links:
        assert client.get(link).status_code == 200, (who, link)


def test_staff_and_leaders_are_not_offered_paper_entry_and_enumerators_are(actors):
    offered = {}
    for who in ("staff", "manager", "enumerator"):
        client = Client()
        client.force_login(getattr(actors, who))
        offered[who] = reverse("entry:home") in client.get(reverse("workspace")).content.decode()
    assert offered == {"staff": False, "manager": False, "enumerator": True}
