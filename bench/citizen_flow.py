"""The citizen flow on gunicorn: GET the form, POST the answers, against two GETs of /healthz on the same server
and client (issue 15: the flow at least 30% of the health-check pair's rate), and the form's server time in
process (at most 8 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sipas_bench_speed REDIS_URL=redis://127.0.0.1:6379/14 \
        .venv/bin/python bench/citizen_flow.py [--reuse] [--flows 600] [--clients 4] [--profile]

The data are bench/campaign_pages.py's (built there, or here with the same --rows and --reuse): the campaign
`bench-pages` with a million responses over ~1,000 agencies, open to web and QR answers. The flows answer
through the reusable links of 50 agencies and are deleted at the end, so the campaign keeps its size.

gunicorn runs 2 sync workers on 127.0.0.1 only, DEBUG off, a SECRET_KEY made for the run, the environment's
DATABASE_URL and REDIS_URL (the rate limit's cache). It is set up as behind the TLS proxy of a deployment
(PROXY_COUNT=1, X-Forwarded-Proto: https), so each simulated citizen sends from its own address and the rate
limit of one address does not stop the bench. Client processes (not threads: the client must not be held
back by one interpreter) open one connection per request, as a sync worker closes it after each response;
the counts are bounded and the server is stopped at the end. Each phase also reports the CPU time it took per
pair and per flow: the server's (gunicorn's master and workers, from /proc) and the clients'; PostgreSQL's own
processes are not counted. With both cores busy, as here, the ratio is about the pair's CPU over the flow's.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import re
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import campaign_pages  # noqa: E402

HOST = "127.0.0.1"
LINKS = 50
HIDDEN = re.compile(r'name="(client_id|started)" value="([^"]*)"')


# --- data -------------------------------------------------------------------------------------------------------


def survey_links() -> list[str]:
    """Tokens of the reusable links of LINKS agencies (created once if missing)."""
    from surveys.models import Campaign, SurveyLink
    from surveys.services.links import ensure_reusable_links

    campaign = Campaign.objects.get(slug=campaign_pages.SLUG)
    links = SurveyLink.objects.filter(campaign=campaign, single_use=False, service_point=None)
    if links.count() < LINKS:
        ensure_reusable_links(campaign=campaign)
    return list(links.order_by("agency__path").values_list("token", flat=True)[:: max(1, links.count() // LINKS)])


def answer_plan() -> list[tuple[str, str, list[str]]]:
    """(code, kind, option codes) of every question of the campaign's questionnaire, in form order."""
    from surveys.models import Campaign

    campaign = Campaign.objects.get(slug=campaign_pages.SLUG)
    scale = [option["code"] for option in campaign.methodology.scale]
    return [
        (q.code, q.kind, [o["code"] for o in q.options] or scale)
        for q in campaign.methodology.questions.order_by("order")
    ]


def answers(plan, rng: random.Random) -> list[tuple[str, str]]:
    """A citizen's answers as form fields: varied scale levels, one choice where one is asked, a comment."""
    fields = []
    for code, kind, options in plan:
        if kind == "scale5":
            fields.append((code, rng.choice(("3", "4", "4", "5", "5"))))
        elif kind == "multi":
            fields.append((code, options[0]))
        elif kind == "text":
            fields.append((code, "Cán bộ nhiệt tình, cảm ơn."))
        elif options:
            fields.append((code, rng.choice(options)))
    return fields


def delete_flow_responses() -> int:
    """The responses the flows stored (the imported ones have no link), and their flags."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM surveys_responseflag WHERE response_id IN (SELECT r.id FROM surveys_response r "
            "JOIN surveys_campaign c ON c.id = r.campaign_id WHERE c.slug = %s AND r.link_id IS NOT NULL)",
            [campaign_pages.SLUG],
        )
        cursor.execute(
            "DELETE FROM surveys_response WHERE link_id IS NOT NULL AND campaign_id = "
            "(SELECT id FROM surveys_campaign WHERE slug = %s)",
            [campaign_pages.SLUG],
        )
        return cursor.rowcount


# --- in process: server time ---------------------------------------------------------------------------------


def server_times(tokens: list[str], plan, runs: int, *, profile: bool) -> dict:
    """Median and best of the form's GET and of the POST of its answers, through Django's test client."""
    from django.db import connection
    from django.test import Client

    rng = random.Random(7)
    get_times, post_times, queries = [], [], {"get": 0, "post": 0}
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
    client = Client(HTTP_HOST=HOST)  # one handler, as in a worker: a new Client loads the middleware again
    for i in range(runs + 1):
        client.cookies.clear()  # a new citizen: no device cookie yet
        token = tokens[i % len(tokens)]
        counter = _QueryCounter()
        with connection.execute_wrapper(counter):
            if profiler and i:
                profiler.enable()
            started = time.perf_counter()
            page = client.get(f"/s/{token}/?c=qr", secure=True)
            get_seconds = time.perf_counter() - started
            if profiler:
                profiler.disable()
        assert page.status_code == 200, page.status_code
        queries["get"] = counter.count
        fields = dict(HIDDEN.findall(page.content.decode()))
        data = {**fields, "respondent_type": "individual", "website": ""}
        for code, value in answers(plan, rng):
            data.setdefault(code, value)
        counter = _QueryCounter()
        with connection.execute_wrapper(counter):
            if profiler and i:
                profiler.enable()
            started = time.perf_counter()
            sent = client.post(f"/s/{token}/send/?c=qr", data, secure=True, REMOTE_ADDR=f"10.0.{i // 250}.{i % 250}")
            post_seconds = time.perf_counter() - started
            if profiler:
                profiler.disable()
        assert sent.status_code == 302, (sent.status_code, sent.content[:2000])
        queries["post"] = counter.count
        if i:  # the first request of each kind is untimed (templates loaded, plans cached)
            get_times.append(get_seconds)
            post_times.append(post_seconds)
    if profiler:
        import pstats

        print("\ncProfile of the in-process GETs and POSTs (cumulative, top 35):")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    return {
        "get": (statistics.median(get_times), min(get_times)),
        "post": (statistics.median(post_times), min(post_times)),
        "queries": queries,
    }


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


# --- gunicorn and its clients ----------------------------------------------------------------------------------


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "PROXY_COUNT": "1",
        "PYTHONDONTWRITEBYTECODE": "",
    }
    command = [
        sys.executable, "-m", "gunicorn", "sipas.wsgi:application", "--workers", str(workers),
        "--bind", f"{HOST}:{port}", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _headers, _body = request(port, "GET", "/healthz")
            if status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped at start-up")
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)  # the process group this bench started (gunicorn and its workers)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def request(port: int, method: str, path: str, *, body: str = "", headers: dict | None = None):
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        sent = {"Host": HOST, "X-Forwarded-Proto": "https", **(headers or {})}
        if body:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body.encode() if body else None, headers=sent)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


def healthz_pairs(port: int, count: int, _seed: int, _tokens, _plan) -> int:
    for _ in range(count):
        for _twice in range(2):
            status, _headers, _body = request(port, "GET", "/healthz")
            if status != 200:
                raise RuntimeError(f"/healthz answered {status}")
    return count


def flows(port: int, count: int, seed: int, tokens: list[str], plan) -> int:
    """`count` citizens: each GETs a form and POSTs its answers, from its own address and device."""
    rng = random.Random(seed)
    for i in range(count):
        token = rng.choice(tokens)
        address = {"X-Forwarded-For": f"198.51.{seed % 250}.{i % 250}"}  # a documentation range: a header only
        status, headers, body = request(port, "GET", f"/s/{token}/?c=qr", headers=address)
        if status != 200:
            raise RuntimeError(f"form answered {status}")
        cookie = next((v.split(";", 1)[0] for k, v in headers if k.lower() == "set-cookie"), "")
        data = [*HIDDEN.findall(body.decode()), ("respondent_type", "individual"), ("website", ""), *answers(plan, rng)]
        status, _headers, body = request(
            port,
            "POST",
            f"/s/{token}/send/?c=qr",
            body=urllib.parse.urlencode(data),
            headers={**address, "Cookie": cookie},
        )
        if status != 302:
            raise RuntimeError(f"sending answered {status}: {body[:500]!r}")
    return count


def drive(work, port: int, total: int, clients: int, tokens, plan) -> tuple[int, float]:
    """`total` units of `work` shared by `clients` processes; returns (units, seconds of wall time)."""
    shares = [total // clients + (1 if i < total % clients else 0) for i in range(clients)]
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        started = time.perf_counter()
        done = pool.starmap(work, [(port, share, seed, tokens, plan) for seed, share in enumerate(shares)])
        return sum(done), time.perf_counter() - started


def cpu_seconds(server: subprocess.Popen) -> tuple[float, float]:
    """(CPU seconds of the gunicorn master and its workers so far, CPU seconds of this process's finished
    children: the client processes of drive(), whose pool is joined when it ends)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        pid, ppid = int(entry.name), int(fields[1])
        if pid == server.pid or ppid == server.pid:
            total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return total, children.ru_utime + children.ru_stime


def measured(work, server, port: int, total: int, clients: int, tokens, plan) -> tuple[int, float, float, float]:
    """drive() with the CPU it took: (units, wall seconds, server CPU seconds, client CPU seconds)."""
    server_before, clients_before = cpu_seconds(server)
    done, seconds = drive(work, port, total, clients, tokens, plan)
    server_after, clients_after = cpu_seconds(server)
    return done, seconds, server_after - server_before, clients_after - clients_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="responses in the campaign (default 1,000,000)")
    parser.add_argument("--reuse", action="store_true", help="keep a campaign already loaded with the rows")
    parser.add_argument("--flows", type=int, default=600, help="citizen flows on gunicorn (default 600)")
    parser.add_argument("--pairs", type=int, default=1500, help="pairs of /healthz GETs (default 1500)")
    parser.add_argument("--clients", type=int, default=4, help="client processes (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--port", type=int, default=8714)
    parser.add_argument("--runs", type=int, default=100, help="in-process GET+POST pairs timed (default 100)")
    parser.add_argument("--profile", action="store_true", help="cProfile of the in-process requests")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL bench database (it is created if missing).")
    os.environ["DEBUG"] = "0"
    campaign_pages.bench_import.ensure_database()
    campaign_pages.manage("migrate", "--no-input", "-v", "0")
    campaign_pages.manage("collectstatic", "--no-input", "-v", "0")
    campaign_pages.django_setup()
    campaign_pages.build(args.rows, reuse=args.reuse)
    tokens, plan = survey_links(), answer_plan()
    delete_flow_responses()  # left by an interrupted run

    from django.db import connection

    try:
        timed = server_times(tokens, plan, args.runs, profile=args.profile)
        print(
            f"in process ({args.runs} each, median / best): form GET {timed['get'][0] * 1000:.1f} / "
            f"{timed['get'][1] * 1000:.1f} ms, {timed['queries']['get']} queries; answers POST "
            f"{timed['post'][0] * 1000:.1f} / {timed['post'][1] * 1000:.1f} ms, {timed['queries']['post']} queries",
            flush=True,
        )
        connection.close()  # the client processes fork from here
        server = start_server(args.port, args.workers)
        try:
            drive(healthz_pairs, args.port, min(200, args.pairs), args.clients, tokens, plan)  # warm-up, untimed
            drive(flows, args.port, min(50, args.flows), args.clients, tokens, plan)
            pairs, pair_seconds, pair_server, pair_client = measured(
                healthz_pairs, server, args.port, args.pairs, args.clients, tokens, plan
            )
            done, flow_seconds, flow_server, flow_client = measured(
                flows, server, args.port, args.flows, args.clients, tokens, plan
            )
        finally:
            stop_server(server)
    finally:
        deleted = delete_flow_responses()
    pair_rate, flow_rate = pairs / pair_seconds, done / flow_seconds
    print(f"gunicorn, {args.workers} workers, {args.clients} client processes:")
    print(
        f"  /healthz twice: {pairs} pairs in {pair_seconds:.2f} s = {pair_rate:.1f} pairs/s; CPU per pair: server "
        f"{pair_server / pairs * 1000:.2f} ms, clients {pair_client / pairs * 1000:.2f} ms"
    )
    print(
        f"  citizen flow (GET form + POST answers): {done} flows in {flow_seconds:.2f} s = {flow_rate:.1f} flows/s; "
        f"CPU per flow: server {flow_server / done * 1000:.2f} ms, clients {flow_client / done * 1000:.2f} ms"
    )
    print(f"  ratio flow / pair: {flow_rate / pair_rate:.1%} (goal: at least 30%)")
    print(f"({deleted} responses stored by the bench deleted again)")


if __name__ == "__main__":
    main()
