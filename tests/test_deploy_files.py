"""What a deploy relies on: the compose file, the health check, and static files as production serves them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import Client, override_settings

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"


def compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


# --- docker-compose.yml ------------------------------------------------------------------------------------------


def test_docker_compose_file_exists():
    assert COMPOSE_FILE.is_file(), f"{COMPOSE_FILE} is missing"


def test_docker_compose_accepts_the_file():
    command = compose_command()
    if command is None:
        pytest.skip("neither the docker-compose binary nor the docker compose plugin is installed")
    if not COMPOSE_FILE.is_file():
        pytest.fail(f"{COMPOSE_FILE} is missing")
    # Variables the file marks as mandatory (${NAME:?message}) are what a deployer puts in .env.
    mandatory = set(re.findall(r"\$\{([A-Z0-9_]+):\?", COMPOSE_FILE.read_text()))
    env = {**os.environ, **{name: f"placeholder-{name.lower()}" for name in mandatory}}

    process = subprocess.run(
        [*command, "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert process.returncode == 0, process.stderr


# --- health check ------------------------------------------------------------------------------------------------


def test_healthz_reports_ok(db):
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}


# --- static files as production serves them ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """collectstatic once, into a fresh folder, with the production storage (hashed, compressed names).

    Only gzip: brotli at its highest quality takes close to a minute over the admin's and DRF's files and
    proves nothing more about the manifest."""
    root = tmp_path_factory.mktemp("static")
    storages = {**django_settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    with (
        mock.patch("whitenoise.compress.brotli_installed", False),
        override_settings(DEBUG=False, STATIC_ROOT=root, STORAGES=storages),
    ):
        call_command("collectstatic", "--noinput", verbosity=0)
    return root


@pytest.fixture
def collected_static(settings, static_root):
    """Serve the collected files as production does (the test conftest switches to plain storage)."""
    settings.DEBUG = False
    settings.STATIC_ROOT = static_root
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST_STORAGE}}
    return static_root


def test_collectstatic_writes_the_manifest_of_hashed_files(collected_static):
    assert (collected_static / "staticfiles.json").is_file()
    assert list(collected_static.glob("css/portal.*.css"))
    assert list(collected_static.glob("css/portal.*.css.gz"))


def test_home_page_renders_with_hashed_static_files_and_debug_off(collected_static, db):
    response = Client().get("/")

    assert response.status_code == 200
    assert re.search(r'href="/static/css/portal\.[0-9a-f]{12}\.css"', response.content.decode())


def test_hashed_stylesheet_is_served_by_whitenoise_with_long_caching(collected_static, db):
    html = Client().get("/").content.decode()
    stylesheet = re.search(r'href="(/static/css/portal\.[0-9a-f]{12}\.css)"', html).group(1)

    response = Client().get(stylesheet)

    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
