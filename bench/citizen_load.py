"""Citizens behind shared addresses (issue 16, point 2): 2,000 submissions of the citizen form from 20 clients
that share 3 addresses, on gunicorn, must store 2,000 responses, refuse none, and flag the bursts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sipas_bench_citizen REDIS_URL=redis://127.0.0.1:6379/8 \\
        .venv/bin/python bench/citizen_load.py [--submissions 2000] [--clients 20] [--addresses 3]

gunicorn runs 2 sync workers on 127.0.0.1 only, DEBUG off, a SECRET_KEY made for the run, the environment's
DATABASE_URL and REDIS_URL, behind one trusted proxy as in a deployment (PROXY_COUNT=1): each request carries
`X-Forwarded-For: 203.0.113.N` (a documentation range), N one of the shared addresses, which is the address
the portal sees. Each submission is a new citizen (a new phone: the form's GET, its device cookie, its own
answers, then the POST), as at a one-stop shop's Wi-Fi or behind a carrier's address.

The campaign `bench-citizen-load` (SIPAS-2017, over a small province of its own) is created once; its
responses are deleted at the start of each run and kept at the end for inspection. Counts and time are
bounded (--submissions at most 20,000; every client stops at --time-limit seconds; 30 s per request) and the
server is stopped at the end. Exit status 1 if a submission was refused or failed, if fewer responses than
submissions were stored, or if no burst was flagged.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import random
import secrets
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import campaign_pages  # noqa: E402
import citizen_flow  # noqa: E402

SLUG = "bench-citizen-load"
PROVINCE = "93"  # agencies of this bench only: 93, 93.S01, 93.S02, 93001–93003
MAX_SUBMISSIONS = 20_000


# --- data -------------------------------------------------------------------------------------------------------


def ensure_campaign():
    """The open campaign over the bench's province, with one reusable link per surveyed agency."""
    from agencies.models import Agency, AgencyKind
    from agencies.rows import AgencyRow
    from agencies.services import sync_agencies
    from surveys.demo import ensure_demo_campaign

    rows = [AgencyRow(PROVINCE, "Tỉnh Tải Thử", AgencyKind.PROVINCE, "tỉnh")]
    rows += [AgencyRow(f"{PROVINCE}.S0{i}", f"Sở thử {i}", AgencyKind.DEPARTMENT, "sở", PROVINCE) for i in (1, 2)]
    rows += [AgencyRow(f"{PROVINCE}00{i}", f"Xã thử {i}", AgencyKind.COMMUNE, "xã", PROVINCE) for i in (1, 2, 3)]
    sync_agencies(rows, source="bench")
    return ensure_demo_campaign(province=Agency.objects.get(code=PROVINCE), slug=SLUG)


def links_and_plan(campaign) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    """The reusable links' tokens, and (code, kind, option codes) of every question, for citizen_flow.answers."""
    from surveys.models import SurveyLink

    tokens = list(
        SurveyLink.objects.filter(campaign=campaign, single_use=False, service_point=None).values_list(
            "token", flat=True
        )
    )
    scale = [option["code"] for option in campaign.methodology.scale]
    plan = [
        (q.code, q.kind, [o["code"] for o in q.options] or scale)
        for q in campaign.methodology.questions.order_by("order")
    ]
    return tokens, plan


def delete_responses(campaign) -> int:
    from django.db import transaction

    from surveys.models import Response, ResponseFlag, SurveyLink

    with transaction.atomic():
        ResponseFlag.objects.filter(response__campaign=campaign).delete()
        deleted, _by_model = Response.objects.filter(campaign=campaign).delete()
        SurveyLink.objects.filter(campaign=campaign).update(used_at=None)
    return deleted


def stored(campaign) -> dict:
    from django.db.models import Count

    from surveys.models import Response, ResponseFlag

    responses = Response.objects.filter(campaign=campaign)
    flags = ResponseFlag.objects.filter(response__campaign=campaign)
    return {
        "responses": responses.count(),
        "addresses": responses.values("ip_hash").distinct().count(),
        "flags": dict(flags.values_list("rule").annotate(n=Count("id")).order_by("rule")),
        "flagged_burst": responses.filter(flags__rule="burst").distinct().count(),
    }


def flood_keys(campaign_id: int, addresses: list[str]) -> list[str]:
    """The cache keys of the flood counters of surveys.views._flooded."""
    from surveys.services.links import keyed_hash

    return [f"survey-flood:{campaign_id}:{keyed_hash(ip, purpose='ip')}" for ip in addresses]


def flood_counters(campaign_id: int, addresses: list[str]) -> list[int | None]:
    """The flood counters of the addresses as the workers left them in the shared cache."""
    from django.core.cache import cache

    return [cache.get(key) for key in flood_keys(campaign_id, addresses)]


def clear_flood_counters(campaign_id: int, addresses: list[str]) -> None:
    from django.core.cache import cache

    cache.delete_many(flood_keys(campaign_id, addresses))


# --- clients ----------------------------------------------------------------------------------------------------


def client(port: int, count: int, seed: int, tokens: list[str], plan, address: str, deadline: float) -> dict:
    """`count` citizens, one after another, from `address`: GET the form, POST the answers. Returns the
    statuses of the POSTs (and "unsent" for any left when the deadline passed)."""
    rng = random.Random(seed)
    statuses: collections.Counter = collections.Counter()
    headers = {"X-Forwarded-For": address}
    for _ in range(count):
        if time.monotonic() > deadline:
            statuses["unsent"] += 1
            continue
        token = rng.choice(tokens)
        try:
            status, reply_headers, body = citizen_flow.request(port, "GET", f"/s/{token}/", headers=headers)
            if status != 200:
                statuses[f"form {status}"] += 1
                continue
            cookie = next((v.split(";", 1)[0] for k, v in reply_headers if k.lower() == "set-cookie"), "")
            data = [
                *citizen_flow.HIDDEN.findall(body.decode()),
                ("respondent_type", "individual"),
                ("website", ""),
                *citizen_flow.answers(plan, rng),
            ]
            status, _headers, _body = citizen_flow.request(
                port, "POST", f"/s/{token}/send/", body=urllib.parse.urlencode(data),
                headers={**headers, "Cookie": cookie},
            )  # fmt: skip
            statuses[str(status)] += 1
        except OSError as error:
            statuses[f"error {type(error).__name__}"] += 1
    return dict(statuses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=2000, help="citizen submissions (default 2,000)")
    parser.add_argument("--clients", type=int, default=20, help="client processes (default 20)")
    parser.add_argument("--addresses", type=int, default=3, help="addresses the clients share (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--time-limit", type=float, default=600, help="seconds before clients stop (default 600)")
    parser.add_argument("--port", type=int, default=8716)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL bench database (it is created if missing).")
    if not 1 <= args.submissions <= MAX_SUBMISSIONS or not 1 <= args.addresses <= args.clients <= 100:
        raise SystemExit(f"--submissions 1..{MAX_SUBMISSIONS}, and 1 <= --addresses <= --clients <= 100")
    os.environ["DEBUG"] = "0"
    # One hash key for this process and the server (which gets a SECRET_KEY of its own), so the flood counters
    # the workers keep under hashed addresses can be read here.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("HASH_KEY", secrets.token_urlsafe(50))
    campaign_pages.bench_import.ensure_database()
    campaign_pages.manage("migrate", "--no-input", "-v", "0")
    campaign_pages.manage("collectstatic", "--no-input", "-v", "0")
    campaign_pages.django_setup()

    from django.db import connection

    from surveys import views
    from surveys.services.quality import BURST_LIMIT

    campaign = ensure_campaign()
    tokens, plan = links_and_plan(campaign)
    delete_responses(campaign)
    addresses = [f"203.0.113.{n + 1}" for n in range(args.addresses)]
    clear_flood_counters(campaign.pk, addresses)  # a run minutes before would count towards this one
    shares = [args.submissions // args.clients + (1 if i < args.submissions % args.clients else 0) for i in range(args.clients)]  # fmt: skip
    connection.close()  # the client processes fork from here

    server = citizen_flow.start_server(args.port, args.workers)
    try:
        deadline = time.monotonic() + args.time_limit
        jobs = [
            (args.port, share, seed, tokens, plan, addresses[seed % args.addresses], deadline)
            for seed, share in enumerate(shares)
        ]
        with multiprocessing.get_context("fork").Pool(args.clients) as pool:
            started = time.perf_counter()
            results = pool.starmap(client, jobs)
            seconds = time.perf_counter() - started
    finally:
        citizen_flow.stop_server(server)

    statuses: collections.Counter = collections.Counter()
    for result in results:
        statuses.update(result)
    outcome = stored(campaign)
    counters = flood_counters(campaign.pk, addresses) if os.environ.get("REDIS_URL") else None
    flood_limit = views.flood_limit()
    print(
        f"{args.submissions} submissions from {args.clients} clients sharing {args.addresses} addresses "
        f"(X-Forwarded-For, PROXY_COUNT=1), gunicorn with {args.workers} workers on {citizen_flow.HOST}:"
    )
    print(f"  time: {seconds:.1f} s = {args.submissions / seconds:.1f} submissions/s")
    print(f"  answers to the POSTs: {dict(sorted(statuses.items()))} (302 = stored and sent to the thank-you page)")
    print(f"  responses stored: {outcome['responses']} from {outcome['addresses']} addresses")
    print(f"  flags: {outcome['flags']}")
    print(
        f"  responses flagged as a burst (past {BURST_LIMIT} from one address or device in 10 minutes): "
        f"{outcome['flagged_burst']}"
    )
    if counters is not None:
        print(
            f"  flood counters in the shared cache (Redis), per address: {counters}, sum {sum(c or 0 for c in counters)}"
            f" (refused past {flood_limit} per address and campaign in 10 minutes)"
        )
    refused = sum(n for status, n in statuses.items() if status != "302")
    ok = refused == 0 and outcome["responses"] == args.submissions and outcome["flagged_burst"] > 0
    print("OK: every submission stored, none refused, the bursts flagged" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
