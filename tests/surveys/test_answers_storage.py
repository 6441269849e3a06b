"""A response's answers as jsonb through Django's JSONField (surveys migration 0010): read back as the values
written, however they were written (the ORM, or COPY as the importer writes them), and found by the lookups the
officer pages use."""

from __future__ import annotations

import datetime
import json
import uuid

import pytest
from django.db import DataError, connection, transaction
from django.db.models.fields.json import KT

from surveys.models import Channel, Response

ANSWERED_AT = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)
WRITTEN = {
    "TC1": 4,
    "HL": 5,
    "DL": "2",
    "NC": ["NC1", "NC3"],
    "YK": 'Cán bộ "một cửa" nhiệt tình;\nthủ tục C:\\hồ sơ\\mới\t— cảm ơn 🙏',
    "big": 2**70,
    "nested": {"ỹ": [1, "ẫ", None, True]},
}


def make_response(campaign, agency, answers, **extra) -> Response:
    return Response.objects.create(
        campaign=campaign,
        agency=agency,
        client_id=uuid.uuid4(),
        channel=Channel.PAPER,
        answers=answers,
        submitted_at=ANSWERED_AT,
        **extra,
    )


def insert_text(campaign, agency, text: str) -> int:
    """A response whose answers are written as `text`, as COPY (the importer) writes them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO surveys_response (campaign_id, agency_id, client_id, channel, respondent_type, answers, "
            "submitted_at, ip_hash, device_hash, excluded, decision_rule) "
            "VALUES (%s, %s, %s, 'paper', 'individual', %s, %s, '', '', false, '') RETURNING id",
            [campaign.pk, agency.pk, uuid.uuid4(), text, ANSWERED_AT],
        )
        return cursor.fetchone()[0]


def test_answers_are_stored_as_jsonb(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'surveys_response'::regclass AND attname = 'answers'"
        )
        assert cursor.fetchone() == ("jsonb",)


def test_answers_read_back_as_the_values_written(open_campaign, tree):
    response = make_response(open_campaign, tree["06001"], WRITTEN)

    stored = Response.objects.get(pk=response.pk)

    assert stored.answers == WRITTEN
    assert Response.objects.filter(pk=response.pk).values_list("answers", flat=True).get() == WRITTEN
    assert Response.objects.filter(pk=response.pk).values_list("answers__YK", flat=True).get() == WRITTEN["YK"]
    assert Response.objects.filter(pk=response.pk).values_list("answers__nested__ỹ", flat=True).get() == [
        1,
        "ẫ",
        None,
        True,
    ]


def test_a_response_without_answers_reads_back_an_empty_dict(open_campaign, tree):
    response = Response.objects.create(
        campaign=open_campaign, agency=tree["06001"], client_id=uuid.uuid4(), channel=Channel.PAPER,
        submitted_at=ANSWERED_AT,
    )  # fmt: skip

    assert Response.objects.get(pk=response.pk).answers == {}


def test_has_key_finds_the_key_whatever_its_value(open_campaign, tree):
    agency = tree["06001"]
    with_text = make_response(open_campaign, agency, {"HL": 4, "YK": "Tốt"})
    with_blank = make_response(open_campaign, agency, {"HL": 4, "YK": ""})
    with_null = make_response(open_campaign, agency, {"HL": 4, "YK": None})
    make_response(open_campaign, agency, {"HL": 4, "yk": "other case"})
    make_response(open_campaign, agency, {})

    found = set(Response.objects.filter(answers__has_key="YK").values_list("pk", flat=True))
    present = set(Response.objects.filter(answers__YK__isnull=False).values_list("pk", flat=True))

    assert found == present == {with_text.pk, with_blank.pk, with_null.pk}


def test_lookups_on_a_key_mean_what_they_meant(open_campaign, tree):
    agency = tree["06001"]
    low = make_response(open_campaign, agency, {"HL": 2, "DL": "1", "NC": ["NC2"]})
    high = make_response(open_campaign, agency, {"HL": 5, "DL": "2", "NC": ["NC1", "NC3"]})
    blank = make_response(open_campaign, agency, {"HL": 4, "YK": ""})
    commented = make_response(open_campaign, agency, {"HL": 3, "YK": "Tốt"})
    responses = Response.objects.filter(campaign=open_campaign)

    assert list(responses.filter(answers__HL=5).values_list("pk", flat=True)) == [high.pk]
    assert set(responses.filter(answers__HL__gte=4).values_list("pk", flat=True)) == {high.pk, blank.pk}
    assert list(responses.filter(answers__DL__in=["2", "3"]).values_list("pk", flat=True)) == [high.pk]
    assert list(responses.filter(answers__NC=["NC1", "NC3"]).values_list("pk", flat=True)) == [high.pk]
    assert list(responses.order_by("answers__HL").values_list("pk", flat=True)) == [
        low.pk,
        commented.pk,
        blank.pk,
        high.pk,
    ]
    assert list(responses.filter(answers__YK="").values_list("pk", flat=True)) == [blank.pk]
    # Without the key the comparison is unknown, so exclude() leaves those out too, as it always did.
    assert list(responses.exclude(answers__YK="").values_list("pk", flat=True)) == [commented.pk]
    assert list(responses.filter(answers__DL__startswith="1").values_list("pk", flat=True)) == [low.pk]
    assert list(
        responses.annotate(dl=KT("answers__DL")).filter(dl__isnull=False).order_by("pk").values_list("dl", "pk")
    ) == [
        ("1", low.pk),
        ("2", high.pk),
    ]


def test_the_comments_an_officer_reads_are_the_non_blank_ones_of_counted_responses(open_campaign, tree):
    """The selection of reports.officer_views._comments: has_key, a key's value excluded, the value read."""
    agency = tree["06001"]
    make_response(open_campaign, agency, {"HL": 4, "YK": "Chờ lâu quá"})
    make_response(open_campaign, agency, {"HL": 4, "YK": ""})
    make_response(open_campaign, agency, {"HL": 4})
    make_response(open_campaign, agency, {"HL": 4, "YK": "Bị loại"}, excluded=True)
    make_response(open_campaign, agency, {"HL": 4, "YK": 'Thủ tục "rườm rà"\\'})

    comments = (
        Response.objects.filter(campaign=open_campaign, agency=agency, excluded=False, answers__has_key="YK")
        .exclude(answers__YK="")
        .order_by("pk")
        .values_list("answers__YK", flat=True)
    )

    assert list(comments) == ["Chờ lâu quá", 'Thủ tục "rườm rà"\\']


def test_text_written_by_copy_reads_back_as_the_values_written(open_campaign, tree):
    text = '{"TC1":4,"YK":"Cán bộ \\"nhiệt tình\\"\\nC:\\\\hồ sơ","DL":"2","NC":["NC3"],"HL":5}'
    pk = insert_text(open_campaign, tree["06001"], text)

    assert Response.objects.get(pk=pk).answers == json.loads(text)
    assert Response.objects.filter(pk=pk, answers__has_key="YK").values_list("answers__YK", flat=True).get() == (
        'Cán bộ "nhiệt tình"\nC:\\hồ sơ'
    )


def test_postgresql_refuses_what_jsonb_cannot_hold(open_campaign, tree):
    """A NUL or a lone surrogate cannot be stored in jsonb: refused when written, nothing stored."""
    for text in ["a\x00b", "a\ud800b"]:
        with pytest.raises(DataError), transaction.atomic():
            make_response(open_campaign, tree["06001"], {"HL": 4, "YK": text})
    assert not Response.objects.filter(campaign=open_campaign).exists()
