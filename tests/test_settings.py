"""sipas.env and the settings module as a deploy sees it: each environment is loaded in a fresh process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from sipas.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_KEY = "p7Vq2xLr9sKd4mWz8NbT1cYh6FjE3gUa5RoXiQe0lPvBnMwAyStCuHkGdZfJ"  # 60 characters

PRINT_SETTINGS = """
import django, json, os
os.environ["DJANGO_SETTINGS_MODULE"] = "sipas.settings"
django.setup()
from django.conf import settings
from sipas.celery import app
db = settings.DATABASES["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "DB_ENGINE": db["ENGINE"], "DB_NAME": str(db["NAME"]), "DB_HOST": db.get("HOST", ""),
    "CACHE_BACKEND": settings.CACHES["default"]["BACKEND"],
    "CACHE_LOCATION": settings.CACHES["default"].get("LOCATION", ""),
    "CELERY_EAGER": app.conf.task_always_eager, "CELERY_BROKER": app.conf.broker_url,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS, "CSRF_TRUSTED_ORIGINS": settings.CSRF_TRUSTED_ORIGINS,
    "LANGUAGE_CODE": settings.LANGUAGE_CODE, "TIME_ZONE": settings.TIME_ZONE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT, "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "STATICFILES_BACKEND": settings.STORAGES["staticfiles"]["BACKEND"],
}))
"""


def clean_env(**variables: str) -> dict[str, str]:
    """A bare environment (none of the developer's or CI's settings variables) plus `variables`."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    return {**env, "PYTHONDONTWRITEBYTECODE": "1", **variables}


def run_python(code: str, **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=clean_env(**variables),
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


def load_settings(**variables: str) -> dict:
    process = run_python(PRINT_SETTINGS, **variables)
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])


def manage_check_deploy(**variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=clean_env(**variables),
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def embedded():
    """The settings with nothing set but a secret key (required with DEBUG off): the embedded set-up."""
    return load_settings(SECRET_KEY=PRODUCTION_KEY)


@pytest.fixture(scope="module")
def deployed():
    """The settings of a production deploy with PostgreSQL, Redis and its own host names."""
    return load_settings(
        DATABASE_URL="postgres://sipas:secret@db.internal:5432/sipas",
        REDIS_URL="redis://redis.internal:6379/0",
        SECRET_KEY=PRODUCTION_KEY,
        ALLOWED_HOSTS=" sipas.langson.gov.vn, ,www.sipas.langson.gov.vn ",
        CSRF_TRUSTED_ORIGINS="https://sipas.langson.gov.vn,https://www.sipas.langson.gov.vn",
    )


# --- sipas.env ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "True", "YES", "on", " yes "])
def test_env_bool_reads_true_values(monkeypatch, raw):
    monkeypatch.setenv("SIPAS_TEST_FLAG", raw)

    assert env_bool("SIPAS_TEST_FLAG", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "FALSE", "no", "off", ""])
def test_env_bool_reads_false_values(monkeypatch, raw):
    monkeypatch.setenv("SIPAS_TEST_FLAG", raw)

    assert env_bool("SIPAS_TEST_FLAG", True) is False


def test_env_bool_unset_gives_the_default(monkeypatch):
    monkeypatch.delenv("SIPAS_TEST_FLAG", raising=False)

    assert env_bool("SIPAS_TEST_FLAG", True) is True
    assert env_bool("SIPAS_TEST_FLAG", False) is False


@pytest.mark.parametrize("raw", ["maybe", "tru", "2", "enabled"])
def test_env_bool_rejects_anything_else_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("SIPAS_TEST_FLAG", raw)

    with pytest.raises(ImproperlyConfigured, match="SIPAS_TEST_FLAG"):
        env_bool("SIPAS_TEST_FLAG")


def test_env_int_reads_a_whole_number(monkeypatch):
    monkeypatch.setenv("SIPAS_TEST_NUMBER", "42")

    assert env_int("SIPAS_TEST_NUMBER", 7) == 42


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_env_int_unset_or_blank_gives_the_default(monkeypatch, raw):
    if raw is None:
        monkeypatch.delenv("SIPAS_TEST_NUMBER", raising=False)
    else:
        monkeypatch.setenv("SIPAS_TEST_NUMBER", raw)

    assert env_int("SIPAS_TEST_NUMBER", 7) == 7


@pytest.mark.parametrize("raw", ["ten", "4.5", "12abc"])
def test_env_int_rejects_a_non_number_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("SIPAS_TEST_NUMBER", raw)

    with pytest.raises(ImproperlyConfigured, match="SIPAS_TEST_NUMBER"):
        env_int("SIPAS_TEST_NUMBER", 7)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("SIPAS_TEST_LIST", " a.example , ,b.example,,c.example , ")

    assert env_list("SIPAS_TEST_LIST") == ["a.example", "b.example", "c.example"]


def test_env_list_set_but_empty_is_an_empty_list(monkeypatch):
    monkeypatch.setenv("SIPAS_TEST_LIST", "")

    assert env_list("SIPAS_TEST_LIST", ["localhost"]) == []


def test_env_list_unset_gives_a_copy_of_the_default(monkeypatch):
    monkeypatch.delenv("SIPAS_TEST_LIST", raising=False)
    default = ["localhost"]

    value = env_list("SIPAS_TEST_LIST", default)
    value.append("changed")

    assert env_list("SIPAS_TEST_LIST", default) == ["localhost"]


def test_env_str_default(monkeypatch):
    monkeypatch.delenv("SIPAS_TEST_TEXT", raising=False)

    assert env_str("SIPAS_TEST_TEXT", "fallback") == "fallback"


# --- settings module, embedded ---------------------------------------------------------------------------------------


def test_without_database_url_the_database_is_the_embedded_postgresql_under_var(embedded):
    assert embedded["DB_ENGINE"] == "sipas.postgres"
    assert embedded["DB_NAME"] == "sipas"


def test_a_database_url_other_than_postgresql_is_refused_with_a_clear_message():
    process = run_python(PRINT_SETTINGS, DATABASE_URL="sqlite:///var/sipas.sqlite3", SECRET_KEY=PRODUCTION_KEY)

    assert process.returncode != 0
    assert "DATABASE_URL must name a PostgreSQL database" in process.stderr


def _embedded_servers(data_dir: Path) -> list:
    import psutil

    found = []
    for process in psutil.process_iter(attrs=["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(data_dir) in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


@pytest.fixture
def var():
    """A var/ folder of its own, outside pytest's temporary folders (kept private to root, which the server's
    own system user could not enter whenever another pytest session resets their permissions)."""
    folder = Path(tempfile.mkdtemp(prefix="test-embedded-", dir=BASE_DIR / "var"))
    yield folder / "var"
    shutil.rmtree(folder, ignore_errors=True)


def test_a_command_without_database_url_runs_on_the_embedded_server_and_stops_it(var):
    command = [sys.executable, "manage.py", "migrate", "--noinput", "--skip-checks"]
    migrated = subprocess.run(
        command,
        env=clean_env(SIPAS_VAR_DIR=str(var), SECRET_KEY=PRODUCTION_KEY),
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stderr
    assert "Applying surveys.0001_initial... OK" in migrated.stdout

    counted = run_python(
        "import django, os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'sipas.settings'\ndjango.setup()\n"
        "from django.db import connection\nfrom surveys.models import Question\n"
        "print(connection.vendor, connection.pg_version >= 180000, Question.objects.exists())",
        SIPAS_VAR_DIR=str(var),
        SECRET_KEY=PRODUCTION_KEY,
    )
    assert counted.returncode == 0, counted.stderr
    assert counted.stdout.split()[-3:] == ["postgresql", "True", "True"]  # the same data, PostgreSQL 18
    assert (var / "postgres" / "PG_VERSION").exists()
    assert not (var / "postgres" / "postmaster.pid").exists()  # stopped cleanly by the last process
    assert _embedded_servers(var / "postgres") == []


def test_a_server_left_by_a_killed_process_is_stopped_by_the_next_one(var):
    code = (
        "import django, os, sys\nos.environ['DJANGO_SETTINGS_MODULE'] = 'sipas.settings'\ndjango.setup()\n"
        "from django.db import connection\nconnection.ensure_connection()\nprint('connected', flush=True)\n"
        "sys.stdin.read()"
    )
    killed = subprocess.Popen(
        [sys.executable, "-c", code], env=clean_env(SIPAS_VAR_DIR=str(var), SECRET_KEY=PRODUCTION_KEY), cwd=BASE_DIR,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert killed.stdout.readline().strip() == "connected"
    killed.kill()
    killed.wait(timeout=30)
    assert _embedded_servers(var / "postgres")  # still running: nobody stopped it

    after = run_python(
        "import django, os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'sipas.settings'\ndjango.setup()\n"
        "from django.db import connection\nconnection.ensure_connection()\nprint('ok')",
        SIPAS_VAR_DIR=str(var),
        SECRET_KEY=PRODUCTION_KEY,
    )
    assert after.returncode == 0, after.stderr
    assert _embedded_servers(var / "postgres") == []


def test_without_redis_url_celery_runs_tasks_eagerly_in_memory(embedded):
    assert embedded["CELERY_EAGER"] is True
    assert embedded["CELERY_BROKER"].startswith("memory://")


def test_without_redis_url_the_cache_is_local_memory(embedded):
    assert embedded["CACHE_BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_default_allowed_hosts_are_local_only(embedded):
    assert embedded["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert embedded["CSRF_TRUSTED_ORIGINS"] == []


def test_portal_speaks_vietnamese_in_vietnam_time(embedded):
    assert embedded["LANGUAGE_CODE"] == "vi"
    assert embedded["TIME_ZONE"] == "Asia/Ho_Chi_Minh"


def test_debug_is_off_and_https_is_enforced_by_default(embedded):
    assert embedded["DEBUG"] is False
    assert embedded["SECURE_SSL_REDIRECT"] is True
    assert embedded["SESSION_COOKIE_SECURE"] is True
    assert embedded["SECURE_HSTS_SECONDS"] == 31536000
    assert embedded["STATICFILES_BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_debug_true_relaxes_https_and_serves_unhashed_static_files():
    loaded = load_settings(DEBUG="true")

    assert loaded["DEBUG"] is True
    assert loaded["SECURE_SSL_REDIRECT"] is False
    assert loaded["STATICFILES_BACKEND"] == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_an_invalid_debug_value_stops_the_start_with_a_clear_error():
    process = run_python(PRINT_SETTINGS, DEBUG="maybe")

    assert process.returncode != 0
    assert "ImproperlyConfigured" in process.stderr
    assert "DEBUG='maybe' is not a boolean" in process.stderr


# --- settings module, deployed ---------------------------------------------------------------------------------------


def test_database_url_selects_postgresql(deployed):
    assert deployed["DB_ENGINE"] == "django.db.backends.postgresql"
    assert deployed["DB_HOST"] == "db.internal"
    assert deployed["DB_NAME"] == "sipas"


def test_redis_url_selects_a_redis_broker_and_real_workers(deployed):
    assert deployed["CELERY_EAGER"] is False
    assert deployed["CELERY_BROKER"] == "redis://redis.internal:6379/0"


def test_redis_url_selects_the_redis_cache(deployed):
    assert deployed["CACHE_BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert deployed["CACHE_LOCATION"] == "redis://redis.internal:6379/0"


def test_allowed_hosts_and_csrf_origins_are_read_as_lists(deployed):
    assert deployed["ALLOWED_HOSTS"] == ["sipas.langson.gov.vn", "www.sipas.langson.gov.vn"]
    assert deployed["CSRF_TRUSTED_ORIGINS"] == ["https://sipas.langson.gov.vn", "https://www.sipas.langson.gov.vn"]


# --- check --deploy ------------------------------------------------------------------------------------------------


def test_deploy_check_passes_with_a_production_configuration():
    process = manage_check_deploy(DEBUG="false", SECRET_KEY=PRODUCTION_KEY, ALLOWED_HOSTS="sipas.langson.gov.vn")

    assert process.returncode == 0, process.stdout + process.stderr


def test_a_deployment_with_debug_off_refuses_to_start_without_a_secret_key():
    process = manage_check_deploy(
        DEBUG="false", ALLOWED_HOSTS="sipas.langson.gov.vn", DATABASE_URL="postgres://sipas@db.internal:5432/sipas"
    )

    assert process.returncode != 0
    assert "SECRET_KEY is not set" in process.stderr


def test_the_embedded_set_up_runs_commands_with_the_development_key_which_the_deploy_check_rejects():
    process = manage_check_deploy(DEBUG="false", ALLOWED_HOSTS="sipas.langson.gov.vn")

    assert "SECRET_KEY is not set" not in process.stderr
    assert process.returncode != 0 and "security.W009" in process.stderr


def test_with_debug_on_a_development_key_is_used_and_the_deploy_check_rejects_it():
    assert load_settings(DEBUG="true")["DEBUG"] is True
    process = manage_check_deploy(DEBUG="true", ALLOWED_HOSTS="sipas.langson.gov.vn")
    assert process.returncode != 0
    assert "security.W009" in process.stderr  # the key is marked insecure


# --- HTTPS redirect ---------------------------------------------------------------------------------------------------


def test_http_request_is_redirected_to_https_when_debug_is_off(settings, embedded):
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = embedded["SECURE_SSL_REDIRECT"]  # the default with DEBUG off

    response = Client().get("/api/docs/?x=1")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/docs/?x=1"


def test_request_forwarded_as_https_by_the_proxy_is_served_with_hsts(settings, embedded, db):
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = embedded["SECURE_SSL_REDIRECT"]
    settings.SECURE_HSTS_SECONDS = embedded["SECURE_HSTS_SECONDS"]

    response = Client().get("/healthz", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
