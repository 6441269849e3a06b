"""The public agency API: GET /api/v1/agencies/ with ?root=, ?kind=, ?active= and page-numbered results."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from agencies.models import Agency, AgencyKind
from agencies.rows import AgencyRow
from agencies.services import sync_agencies

LIST_URL = "/api/v1/agencies/"
PROVINCE_20 = {"20", "20.SNV", "20.STP", "06001", "06004"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def result_codes(response) -> set[str]:
    return {item["code"] for item in response.json()["results"]}


@pytest.fixture
def many_agencies(tree):
    """1,050 communes under province 20 on top of the 7 agencies of the tree (1,057 in all)."""
    sync_agencies(AgencyRow(f"C{i:04d}", f"Xã {i:04d}", AgencyKind.COMMUNE, "xã", "20") for i in range(1050))


# --- list ----------------------------------------------------------------------------------------------------------


def test_agency_list_is_public(tree):
    response = Client().get(LIST_URL)

    assert response.status_code == 200
    assert response.json()["count"] == 7


def test_agency_has_exactly_the_documented_fields(tree):
    item = next(a for a in Client().get(LIST_URL).json()["results"] if a["code"] == "20.SNV")

    assert item == {
        "code": "20.SNV",
        "name": "Sở Nội vụ",
        "kind": "department",
        "unit_type": "sở",
        "parent": "20",
        "active": True,
        "active_from": None,
        "active_to": None,
    }


def test_province_has_no_parent(tree):
    item = next(a for a in Client().get(LIST_URL).json()["results"] if a["code"] == "22")

    assert item["parent"] is None


def test_agencies_come_in_tree_order(tree):
    codes = [a["code"] for a in Client().get(LIST_URL).json()["results"]]

    assert codes.index("20") < codes.index("20.SNV") < codes.index("22") < codes.index("07000")


def test_list_runs_a_fixed_number_of_queries(many_agencies, django_assert_num_queries):
    client = Client()

    # count, one page of agencies joined with their parents
    with django_assert_num_queries(2):
        response = client.get(LIST_URL, {"page_size": 1000})

    assert len(response.json()["results"]) == 1000


def test_subtree_list_runs_a_fixed_number_of_queries(many_agencies, django_assert_num_queries):
    client = Client()

    # the root's path, count, one page
    with django_assert_num_queries(3):
        response = client.get(LIST_URL, {"root": "20", "page_size": 1000})

    assert response.json()["count"] == 1055


# --- filters -------------------------------------------------------------------------------------------------------


def test_root_filter_returns_the_subtree_including_the_root(tree):
    assert result_codes(Client().get(LIST_URL, {"root": "20"})) == PROVINCE_20


def test_root_filter_on_a_leaf_returns_the_leaf_only(tree):
    assert result_codes(Client().get(LIST_URL, {"root": "20.STP"})) == {"20.STP"}


def test_unknown_root_is_a_400_naming_the_root_field(tree):
    response = Client().get(LIST_URL, {"root": "99"})

    assert response.status_code == 400
    assert list(response.json()) == ["root"]
    assert "99" in response.json()["root"][0]


def test_kind_filter(tree):
    assert result_codes(Client().get(LIST_URL, {"kind": "commune"})) == {"06001", "06004"}


def test_kind_and_root_filters_combine(tree):
    assert result_codes(Client().get(LIST_URL, {"kind": "province", "root": "22"})) == {"22"}


def test_invalid_kind_is_a_400_naming_the_kind_field(tree):
    response = Client().get(LIST_URL, {"kind": "planet"})

    assert response.status_code == 400
    assert "kind" in response.json()


@pytest.fixture
def dated_agencies(tree):
    today = timezone.localdate()
    sync_agencies(
        [
            AgencyRow(
                "06002", "Xã Đã Sáp Nhập", AgencyKind.COMMUNE, "xã", "20", active_to=today - datetime.timedelta(1)
            ),
            AgencyRow("06003", "Xã Sắp Lập", AgencyKind.COMMUNE, "xã", "20", active_from=today + datetime.timedelta(1)),
            AgencyRow("06005", "Xã Từ Hôm Nay", AgencyKind.COMMUNE, "xã", "20", active_from=today),
        ]
    )


def test_active_true_lists_only_agencies_active_today(dated_agencies):
    codes = result_codes(Client().get(LIST_URL, {"active": "true", "root": "20"}))

    assert codes == PROVINCE_20 | {"06005"}


def test_active_false_lists_only_agencies_not_active_today(dated_agencies):
    assert result_codes(Client().get(LIST_URL, {"active": "false"})) == {"06002", "06003"}


def test_agency_that_ended_is_shown_inactive_with_its_dates(dated_agencies):
    item = Client().get(f"{LIST_URL}06002/").json()

    assert item["active"] is False
    assert item["active_to"] == (timezone.localdate() - datetime.timedelta(1)).isoformat()


# --- pagination ----------------------------------------------------------------------------------------------------


def test_default_page_has_100_agencies_and_a_link_to_the_next(many_agencies):
    body = Client().get(LIST_URL).json()

    assert body["count"] == 1057
    assert len(body["results"]) == 100
    assert body["next"].endswith(f"{LIST_URL}?page=2")
    assert body["previous"] is None


def test_second_page_links_back_and_continues_where_the_first_ended(many_agencies):
    client = Client()
    first = client.get(LIST_URL).json()

    second = client.get(LIST_URL, {"page": 2}).json()

    assert second["previous"] is not None
    assert not {a["code"] for a in first["results"]} & {a["code"] for a in second["results"]}


def test_page_size_up_to_1000_is_honoured(many_agencies):
    body = Client().get(LIST_URL, {"page_size": 1000}).json()

    assert len(body["results"]) == 1000
    assert "page_size=1000" in body["next"]


def test_page_size_above_1000_is_clamped_to_1000(many_agencies):
    body = Client().get(LIST_URL, {"page_size": 5000}).json()

    assert len(body["results"]) == 1000
    assert body["next"] is not None


def test_last_page_has_no_next(many_agencies):
    body = Client().get(LIST_URL, {"page_size": 1000, "page": 2}).json()

    assert len(body["results"]) == 57
    assert body["next"] is None


# --- retrieve ------------------------------------------------------------------------------------------------------


def test_retrieve_by_code_with_a_dot(tree):
    response = Client().get(f"{LIST_URL}20.SNV/")

    assert response.status_code == 200
    assert response.json()["name"] == "Sở Nội vụ"
    assert response.json()["parent"] == "20"


def test_retrieve_unknown_code_is_404(tree):
    assert Client().get(f"{LIST_URL}99999/").status_code == 404


# --- read only -----------------------------------------------------------------------------------------------------


def test_post_is_not_allowed(tree):
    response = Client().post(LIST_URL, {"code": "99", "name": "Tỉnh Giả", "kind": "province"})

    assert response.status_code == 405
    assert not Agency.objects.filter(code="99").exists()


def test_post_is_not_allowed_even_for_a_superuser(actors):
    client = Client()
    client.force_login(actors.admin)

    response = client.post(LIST_URL, {"code": "99", "name": "Tỉnh Giả", "kind": "province"})

    assert response.status_code == 405
    assert not Agency.objects.filter(code="99").exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_changing_an_agency_is_not_allowed(actors, method):
    client = Client()
    client.force_login(actors.admin)

    response = getattr(client, method)(f"{LIST_URL}20.SNV/", {"name": "Đổi tên"}, content_type="application/json")

    assert response.status_code == 405
    assert Agency.objects.get(code="20.SNV").name == "Sở Nội vụ"


# --- schema and docs -----------------------------------------------------------------------------------------------


def test_openapi_schema_describes_the_agency_endpoints(db):
    response = Client().get("/api/schema/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "/api/v1/agencies/" in body
    assert "/api/v1/agencies/{code}/" in body


def test_api_docs_page_responds(db):
    response = Client().get("/api/docs/")

    assert response.status_code == 200
    # The page's own script (a file of its own, for the Content-Security-Policy) loads the schema.
    script = re.search(r'<script src="(/api/docs/\?script=[^"]*)"', response.content.decode()).group(1)
    assert "/api/schema/" in Client().get(script.replace("&amp;", "&")).content.decode()


def schema() -> dict:
    return Client().get("/api/schema/", {"format": "json"}).json()


def test_schema_declares_the_parent_nullable_as_the_api_returns_it(db):
    parent = schema()["components"]["schemas"]["Agency"]["properties"]["parent"]

    assert parent["nullable"] is True


def test_schema_documents_the_errors_of_the_agency_endpoints(db):
    paths = schema()["paths"]

    assert {"200", "400", "404", "429"} <= set(paths["/api/v1/agencies/"]["get"]["responses"])
    assert {"200", "404", "429"} <= set(paths["/api/v1/agencies/{code}/"]["get"]["responses"])


def test_code_with_characters_no_code_has_is_a_json_404(db):
    response = Client().get("/api/v1/agencies/%C3%B8'/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["detail"]


def test_nul_in_a_query_string_is_a_json_400(db):
    response = Client().get(LIST_URL, {"kind": "commune\x00"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("query", [{"active": "-1"}, {"active": "yes"}, {"kind": ""}, {"kind": ["commune", ""]}])
def test_filter_value_the_schema_does_not_allow_is_a_400_not_every_agency(tree, query):
    response = Client().get(LIST_URL, query)

    assert response.status_code == 400
    assert list(response.json()) == list(query)


@pytest.mark.parametrize("size", ["0", "-3", "x", "1.5"])
def test_page_size_that_is_not_a_whole_number_of_at_least_one_is_a_400(tree, size):
    response = Client().get(LIST_URL, {"page_size": size})

    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]
