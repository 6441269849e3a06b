"""Synthetic response files in the import contract (sipas-methodology.md, "Import contract"), for benchmarks.

    python bench/make_responses_csv.py OUT.csv --rows 1000000 --agencies CODES.txt [--seed 1]
        [--start 2025-03-01 --end 2025-05-31] [--client-ids] [--xlsx]

Needs no database and no Django: the question codes come from the SIPAS-2017 definition
(surveys/methodology/sipas_2017.py). Rows are valid unless `bad_every` asks for a bad row every k rows.
Each agency gets its own level of service, answers vary within a row (a few rows are deliberately
straight-lined and a few dated outside the period, so quality flags are exercised), PA = 2 leaves the
feedback follow-ups empty, and free comments contain Vietnamese text, commas and quotes (CSV quoting).

To stay fast enough for a million rows, each row's answer cells are drawn from a pool of pre-generated
answer sheets per agency level; the agency, respondent type, channel and time are drawn per row.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import random
import sys
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveys.methodology.sipas_2017 import definition

FIXED_COLUMNS = ["agency_code", "respondent_type", "channel", "submitted_at"]
CHANNELS = ["paper", "paper", "paper", "post", "enumerator", ""]  # "" → the default, paper
COMMENTS = [
    "Cán bộ nhiệt tình, nên thêm ghế chờ.",
    'Thủ tục còn rườm rà, "một cửa" nhưng phải đi nhiều lần',
    "Trả kết quả đúng hẹn, cảm ơn.",
    "Nên có thêm dịch vụ công trực tuyến; phí, lệ phí cần niêm yết rõ.",
]
POOL_PER_LEVEL = 400
LEVELS = 10


def question_codes() -> list[str]:
    return [q["code"] for q in definition()["questions"]]


def header(*, client_ids: bool = False) -> list[str]:
    return [*FIXED_COLUMNS, *(["client_id"] if client_ids else []), *question_codes()]


def _answer_sheet(rng: random.Random, questions: list[dict], quality: float) -> list[str]:
    answers: dict[str, str] = {}
    straight = rng.random() < 0.02
    for q in questions:
        code, kind = q["code"], q["kind"]
        if kind == "scale5":
            if straight:
                answers[code] = "4"
            elif rng.random() >= 0.06:
                answers[code] = str(rng.choice((4, 5, 5)) if rng.random() < quality else rng.choice((1, 2, 3, 3)))
        elif kind == "multi":
            picked = rng.sample([o["code"] for o in q["options"]], rng.randint(1, q["max_choices"] or 1))
            answers[code] = "|".join(picked)
        elif kind == "text":
            if rng.random() < 0.1:
                answers[code] = rng.choice(COMMENTS)
        elif q["role"] != "profile" or rng.random() < 0.7:
            answers[code] = rng.choice(q["options"])["code"]
    for q in questions:  # skip logic: a follow-up is empty unless its filter has the right answer
        condition = q["shown_if"]
        if condition and answers.get(condition["question"]) not in condition["values"]:
            answers.pop(q["code"], None)
    return [answers.get(q["code"], "") for q in questions]


def generate_rows(
    *,
    rows: int,
    agency_codes: Sequence[str],
    seed: int = 1,
    start: datetime.date = datetime.date(2025, 3, 1),
    end: datetime.date = datetime.date(2025, 5, 31),
    client_ids: bool = False,
    bad_every: int = 0,
) -> Iterator[list[str]]:
    """Yield `rows` data rows (lists of cell texts in `header()` order), reproducibly for a seed."""
    rng = random.Random(seed)
    questions = definition()["questions"]
    pools = [
        [_answer_sheet(rng, questions, 0.5 + 0.05 * level) for _ in range(POOL_PER_LEVEL)] for level in range(LEVELS)
    ]
    level_of = {code: rng.randrange(LEVELS) for code in agency_codes}
    first = datetime.datetime.combine(start, datetime.time(7, 30))
    days = (end - start).days + 1
    scale_at = [i for i, q in enumerate(questions) if q["kind"] == "scale5"]
    for number in range(rows):
        agency = agency_codes[rng.randrange(len(agency_codes))]
        sheet = pools[level_of[agency]][rng.randrange(POOL_PER_LEVEL)]
        # office hours of the one-stop shop, 7:30 to 17:30
        when = first + datetime.timedelta(days=rng.randrange(days), seconds=rng.randrange(10 * 3600))
        if rng.random() < 0.01:  # dated after the period: flagged outside_period
            when += datetime.timedelta(days=days + rng.randint(0, 20))
        submitted = when.date().isoformat() if rng.random() < 0.2 else when.isoformat(sep=" ")
        row = [agency, "organization" if rng.random() < 0.12 else "individual", rng.choice(CHANNELS), submitted]
        if client_ids:
            row.append(str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        if bad_every and number % bad_every == bad_every - 1:
            sheet = list(sheet)
            sheet[scale_at[rng.randrange(len(scale_at))]] = "6"
        row.extend(sheet)
        yield row


def write_csv(path: Path, rows: Iterator[list[str]], *, client_ids: bool = False) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header(client_ids=client_ids))
        writer.writerows(rows)


def write_xlsx(path: Path, rows: Iterator[list[str]], *, client_ids: bool = False) -> None:
    """Numbers as numbers (the way Excel stores typed answers), everything else as text."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header(client_ids=client_ids))
    for row in rows:
        sheet.append([int(cell) if cell.isdigit() and i >= len(FIXED_COLUMNS) else cell for i, cell in enumerate(row)])
    workbook.save(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--agencies", type=Path, required=True, help="a text file with one agency code per line")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", type=datetime.date.fromisoformat, default=datetime.date(2025, 3, 1))
    parser.add_argument("--end", type=datetime.date.fromisoformat, default=datetime.date(2025, 5, 31))
    parser.add_argument("--client-ids", action="store_true", help="add a client_id column (idempotent re-import)")
    parser.add_argument("--bad-every", type=int, default=0, help="make every k-th row invalid (a scale value of 6)")
    parser.add_argument("--xlsx", action="store_true", help="write an Excel workbook instead of CSV")
    args = parser.parse_args(argv)
    codes = [line.strip() for line in args.agencies.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = generate_rows(
        rows=args.rows, agency_codes=codes, seed=args.seed, start=args.start, end=args.end,
        client_ids=args.client_ids, bad_every=args.bad_every,
    )  # fmt: skip
    (write_xlsx if args.xlsx else write_csv)(args.out, rows, client_ids=args.client_ids)


if __name__ == "__main__":
    main()
