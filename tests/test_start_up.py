"""What a process loads at start-up: not every app's admin and job modules (a command such as compute_index uses
neither), and yet the admin, its checks and the jobs find them all. Each case runs in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.urls import reverse
from rest_framework.authtoken.models import TokenProxy

from agencies.models import Agency
from sipas.models import AuditEntry, Job

BASE_DIR = Path(__file__).resolve().parent.parent
SET_UP = """
import django, json, os, sys
os.environ["DJANGO_SETTINGS_MODULE"] = "sipas.settings"
django.setup()
"""


def run_python(code: str) -> dict:
    """Run `code` after django.setup() in a fresh process (the embedded settings); it prints one JSON line."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    process = subprocess.run(
        [sys.executable, "-c", SET_UP + code],
        env={**env, "PYTHONDONTWRITEBYTECODE": "1"},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])


def test_set_up_imports_no_admin_or_job_module():
    loaded = run_python(
        "print(json.dumps([m for m in ('sipas.admin', 'agencies.admin', 'axes.admin', 'agencies.jobs', "
        "'reports.jobs') if m in sys.modules]))"
    )

    assert loaded == []


def test_the_admin_registers_every_apps_models_with_the_urls():
    reverse("admin:index")  # the URLconf is loaded

    for model in (AuditEntry, Job, Agency, User, Group, TokenProxy):
        assert admin.site.is_registered(model), model


def test_the_admin_checks_see_every_model_admin_before_the_urls_load():
    found = run_python(
        "from django.contrib import admin\n"
        "from django.core import checks\n"
        "errors = checks.run_checks(tags=[checks.Tags.admin])\n"
        "print(json.dumps({'errors': [str(e) for e in errors], "
        "'admins': sorted(m._meta.label for m in admin.site._registry), 'urls': 'sipas.urls' in sys.modules}))"
    )

    assert found["errors"] == []
    assert not found["urls"]
    assert {"sipas.AuditEntry", "sipas.Job", "agencies.Agency", "auth.User", "axes.AccessAttempt"} <= set(
        found["admins"]
    )


def test_a_broken_model_admin_still_fails_the_checks():
    found = run_python(
        "from django.contrib import admin\n"
        "from django.core import checks\n"
        "from sipas.admin import JobAdmin\n"
        "JobAdmin.list_display = ('no_such_field',)\n"
        "print(json.dumps([e.id for e in checks.run_checks(tags=[checks.Tags.admin])]))"
    )

    assert "admin.E108" in found


def test_every_job_kind_is_handled_without_importing_its_module_first():
    kinds = run_python("from sipas.jobs import _handlers\nprint(json.dumps(sorted(_handlers())))")

    assert {"agencies.import_file", "reports.compute_index", "reports.render_report"} <= set(kinds)


def test_a_superuser_finds_every_apps_models_in_the_admin(client, actors):
    client.force_login(actors.admin)

    index = client.get(reverse("admin:index"))
    jobs = client.get(reverse("admin:sipas_job_changelist"))
    agencies = client.get(reverse("admin:agencies_agency_changelist"))

    assert (index.status_code, jobs.status_code, agencies.status_code) == (200, 200, 200)
    listed = {(app["app_label"], model["object_name"]) for app in index.context["app_list"] for model in app["models"]}
    assert {("sipas", "Job"), ("sipas", "AuditEntry"), ("agencies", "Agency"), ("auth", "User")} <= listed


def test_an_officer_is_sent_to_the_admin_login(client, actors):
    client.force_login(actors.officer_a)

    response = client.get(reverse("admin:sipas_job_changelist"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
