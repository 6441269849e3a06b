"""Documents as jobs, from the portal: asked for on the dashboard, rendered once per run and state, downloadable by
every officer who manages the campaign and by nobody else (404); an agency's leader downloads its card once the
run is published; a province's own DOCX template replaces the default only when it renders; posters as a job;
the open-data workbook; export_report's documents."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from agencies.models import Role
from agencies.services import grant_membership
from reports.jobs import RENDER, enqueue_document
from reports.models import DocumentTemplate
from reports.services.compute import compute_campaign_index
from sipas.models import Job
from surveys import posters
from tests.conftest import make_user

ANSWERS = {"TC1": 4, "TT1": 5, "CC1": 2, "KQ1": 4, "HL_TC": 4, "HL_TT": 5, "HL_CC": 4, "HL_KQ": 3, "HL": 4, "TH": "3",
           "XL": "2", "NC": ["NC5"]}  # fmt: skip


@pytest.fixture
def run(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign(target_percent=90.0)
    for code in ("20.SNV", "20.STP", "06001", "06004"):
        add_index_responses(campaign, tree[code], ANSWERS, {**ANSWERS, "HL": 5})
    return compute_campaign_index(campaign=campaign)


@pytest.fixture
def second_officer(tree):
    user = make_user("officer_a2")
    grant_membership(user=user, agency=tree["20"], role=Role.OFFICER)
    return user


def ask(client, run, document: str, fmt: str):
    return client.post(
        f"/index/{run.campaign.slug}/",
        {"action": "document", "run": run.pk, "document": document, "format": fmt},
    )


def test_an_officer_asks_for_the_report_on_the_dashboard_and_any_officer_of_the_campaign_downloads_it(
    client, actors, run, second_officer, django_capture_on_commit_callbacks
):
    client.force_login(actors.officer_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, run, "report", "pdf")
    job = Job.objects.get(kind=RENDER)
    client.force_login(second_officer)
    download = client.get(f"/jobs/{job.pk}/download/")

    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert 'filename="sipas-sipas-2026-run1-report.pdf"' in download["Content-Disposition"]


@pytest.mark.parametrize("who", ["officer_b", "manager", "staff"])
def test_nobody_outside_the_campaign_reaches_a_document_job(
    client, actors, run, who, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue_document(run=run, document="report", fmt="docx", acting_user=actors.officer_a)
    client.force_login(getattr(actors, who))

    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404


def test_a_document_is_rendered_once_per_run_and_state(actors, run, publish_index_run):
    first = enqueue_document(run=run, document="decision", fmt="pdf", acting_user=actors.officer_a)
    again = enqueue_document(run=run, document="decision", fmt="pdf", acting_user=actors.officer_a)
    publish_index_run(run)
    published = enqueue_document(run=run, document="decision", fmt="pdf", acting_user=actors.officer_a)

    assert again.pk == first.pk
    assert published.pk != first.pk  # the published decision reads differently (no "draft" notice, dated)


def test_a_failed_document_is_tried_again(actors, run):
    failed = enqueue_document(run=run, document="report", fmt="pdf", acting_user=actors.officer_a)
    Job.objects.filter(pk=failed.pk).update(state=Job.State.FAILED)

    assert enqueue_document(run=run, document="report", fmt="pdf", acting_user=actors.officer_a).pk != failed.pk


@pytest.mark.parametrize(("document", "fmt"), [("report", "xlsx"), ("workbook", "pdf"), ("poster", "pdf")])
def test_a_document_in_a_format_it_does_not_come_in_is_refused(client, actors, run, document, fmt):
    client.force_login(actors.officer_a)

    response = ask(client, run, document, fmt)

    assert response.status_code == 302
    assert not Job.objects.filter(kind=RENDER).exists()


def test_the_dashboard_offers_every_document_and_links_the_rendered_ones(
    client, actors, run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue_document(run=run, document="workbook", fmt="xlsx", acting_user=actors.officer_a)
    client.force_login(actors.officer_a)

    page = client.get(f"/index/{run.campaign.slug}/").content.decode()

    for key in ("report-pdf", "report-docx", "decision-pdf", "decision-docx", "cards-pdf", "cards-docx", "cards-zip",
                "responses-xlsx"):  # fmt: skip
        assert f'data-document="{key}"' in page
    assert f'href="/jobs/{job.pk}/download/" data-document="workbook-xlsx"' in page


def test_the_cards_zip_holds_one_docx_per_agency(actors, run, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue_document(run=run, document="cards", fmt="zip", acting_user=actors.officer_a)
    job.refresh_from_db()

    with job.output.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        names = archive.namelist()

    assert job.state == Job.State.DONE, job.errors
    assert sorted(names) == sorted(
        f"sipas-sipas-2026-run1-card-{code}.docx" for code in ("20.SNV", "20.STP", "06001", "06004")
    )


# --- The agency's leader and its card ---------------------------------------------------------------------------


def test_a_leader_downloads_the_card_of_the_agency_once_published(
    client, actors, run, publish_index_run, django_capture_on_commit_callbacks
):
    publish_index_run(run)
    client.force_login(actors.manager)  # leader of 20.STP
    page = client.get(f"/index/{run.campaign.slug}/agency/20.STP/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/index/{run.campaign.slug}/agency/20.STP/card/", {"format": "pdf"})
    job = Job.objects.get(kind=RENDER)
    download = client.get(f"/jobs/{job.pk}/download/")

    assert "/card/" in page
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.params["agency_id"] == actors.manager.memberships.get().agency_id
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_leader_cannot_ask_for_another_agencys_card_nor_reach_the_report(
    client, actors, run, publish_index_run, django_capture_on_commit_callbacks
):
    publish_index_run(run)
    with django_capture_on_commit_callbacks(execute=True):
        report = enqueue_document(run=run, document="report", fmt="pdf", acting_user=actors.officer_a)
        other = enqueue_document(run=run, document="card", fmt="pdf", agency_id=run.campaign.participants.get(
            agency__code="20.SNV").agency_id, acting_user=actors.officer_a)  # fmt: skip
    client.force_login(actors.manager)

    assert client.post(f"/index/{run.campaign.slug}/agency/20.SNV/card/", {"format": "pdf"}).status_code == 404
    assert client.get(f"/jobs/{report.pk}/download/").status_code == 404
    assert client.get(f"/jobs/{other.pk}/download/").status_code == 404


def test_before_publication_the_leader_cannot_reach_the_card_an_officer_rendered(
    client, actors, run, django_capture_on_commit_callbacks
):
    agency_id = run.campaign.participants.get(agency__code="20.STP").agency_id
    with django_capture_on_commit_callbacks(execute=True):
        card = enqueue_document(run=run, document="card", fmt="pdf", agency_id=agency_id, acting_user=actors.officer_a)
    client.force_login(actors.manager)

    assert client.get(f"/jobs/{card.pk}/download/").status_code == 404


# --- The province's own templates --------------------------------------------------------------------------------


def upload(client, run, kind: str, content: bytes, name: str = "mau.docx"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(f"/index/{run.campaign.slug}/", {"action": "upload_template", "kind": kind, "file": file})


def edited_default(client, run, kind: str, old: str, new: str) -> bytes:
    from docx import Document

    content = b"".join(client.get(f"/index/{run.campaign.slug}/templates/{kind}/").content for _ in [0])
    document = Document(io.BytesIO(content))
    for paragraph in document.paragraphs:
        for part in paragraph.runs:
            part.text = part.text.replace(old, new)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_an_uploaded_template_that_renders_is_used_for_the_provinces_next_documents(client, actors, run):
    from reports import rendering
    from tests.reports.test_documents import docx_text

    client.force_login(actors.officer_a)
    content = edited_default(client, run, "report", "KHÁI QUÁT CHUNG", "TÌNH HÌNH CHUNG CỦA TỈNH")

    response = upload(client, run, "report", content)

    assert response.status_code == 302
    assert "TÌNH HÌNH CHUNG CỦA TỈNH" in docx_text(rendering.render_docx(run, document="report"))
    assert client.get(f"/index/{run.campaign.slug}/templates/report/").content == content


@pytest.mark.parametrize(
    "content",
    [b"not a word file", "broken"],
    ids=["not-docx", "broken-tag"],
)
def test_a_template_that_does_not_render_is_refused_and_the_previous_one_stays(client, actors, run, content):
    client.force_login(actors.officer_a)
    good = edited_default(client, run, "decision", "QUYẾT ĐỊNH", "QUYẾT ĐỊNH")
    upload(client, run, "decision", good)
    if content == "broken":
        content = edited_default(client, run, "decision", "{{ article1 }}", "{{ article1|no_such_filter }}")

    response = upload(client, run, "decision", content)

    assert response.status_code == 400
    assert (
        "mẫu cũ vẫn được giữ nguyên" in response.content.decode() or "previous one stays" in response.content.decode()
    )
    template = DocumentTemplate.objects.get(kind="decision")
    with template.file.open("rb") as handle:
        assert handle.read() == good


def test_templates_are_reached_only_by_officers_of_the_campaign(client, actors, run):
    client.force_login(actors.officer_b)

    assert client.get(f"/index/{run.campaign.slug}/templates/report/").status_code == 404
    assert upload(client, run, "report", b"x").status_code == 404


# --- Posters, open data, the shell --------------------------------------------------------------------------------


def test_posters_of_every_agency_are_a_job_kept_until_the_agencies_change(
    client, actors, run, django_capture_on_commit_callbacks
):
    client.force_login(actors.officer_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/{run.campaign.slug}/posters.pdf", {"size": "a6"})
    job = Job.objects.get(kind=posters.POSTERS)
    again = client.post(f"/staff/{run.campaign.slug}/posters.pdf", {"size": "a6"})
    download = client.get(f"/jobs/{job.pk}/download/")

    assert response["Location"] == again["Location"] == f"/jobs/{job.pk}/"
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    client.force_login(actors.officer_b)
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404


def test_open_data_workbook_holds_numbers_a_vietnamese_excel_shows_with_its_comma(client, run, publish_index_run):
    publish_index_run(run)

    response = client.get(f"/results/{run.campaign.slug}/data.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in sheet[1]]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    stored = {r.agency.code: r.sipas for r in run.agency_results.select_related("agency")}

    assert {code: row[header.index("sipas")].value for code, row in rows.items()} == stored
    assert rows["20.SNV"][header.index("sipas")].number_format == "0.00"
    assert sheet.freeze_panes == "C2"
    page = client.get(f"/results/{run.campaign.slug}/").content.decode()
    assert "data.xlsx" in page and "data.csv" in page


@pytest.mark.parametrize(("document", "fmt", "magic"),
                         [("decision", "docx", b"PK"), ("cards", "pdf", b"%PDF"), ("responses", "xlsx", b"PK")])  # fmt: skip
def test_export_report_writes_each_document(run, tmp_path, document, fmt, magic):
    out = tmp_path / f"out.{fmt}"

    call_command("export_report", run.campaign.slug, "--format", fmt, "--document", document, "--out", str(out),
                 stdout=io.StringIO())  # fmt: skip

    assert out.read_bytes().startswith(magic)


def test_export_report_refuses_a_document_in_a_format_it_does_not_come_in(run, tmp_path):
    with pytest.raises(CommandError):
        call_command("export_report", run.campaign.slug, "--format", "json", "--document", "decision",
                     "--out", str(tmp_path / "x.json"))  # fmt: skip


def test_raw_responses_name_no_respondent_and_count_every_response(run):
    from reports import rendering

    out = io.BytesIO()
    written = rendering.render_responses_xlsx(run, out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    header = [c.value for c in sheet[1]]

    assert written == 8 and sheet.max_row == 2 + 8
    assert header[:2] == ["Mã cơ quan", "Cơ quan, đơn vị"] or header[0]
    assert "HL" in header and "NC" in header
    assert not {"client_id", "id", "ip_hash", "dossier_hash"} & set(header)
    assert [c.value for c in sheet[3]][header.index("NC")] == "NC5"
