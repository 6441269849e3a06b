"""Logging in and out through the real forms, the portal's language, and django-axes throttling."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from tests.conftest import make_user

LOGIN_URL = "/accounts/login/"
PASSWORD = "correct-horse-battery"  # tests/conftest.py's make_user


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Every login here checks a password: a cheap hasher keeps a dozen logins fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def officer(db):
    return make_user("officer")


def log_in(client: Client, username: str, password: str):
    return client.post(LOGIN_URL, {"username": username, "password": password})


def is_logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def template_names(response) -> list[str]:
    return [t.name for t in response.templates]


# --- language ----------------------------------------------------------------------------------------------------


def test_login_page_is_in_vietnamese_by_default(db):
    response = Client().get(LOGIN_URL)

    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert response["Content-Language"] == "vi"
    assert "Đăng nhập" in html


def test_choosing_english_with_the_switcher_shows_the_login_page_in_english(db):
    client = Client()

    switched = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN_URL})
    response = client.get(LOGIN_URL)

    assert switched.status_code == 302
    assert switched["Location"] == LOGIN_URL
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Đăng nhập" not in html


def test_choosing_vietnamese_again_switches_back(db):
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": LOGIN_URL})

    client.post("/i18n/setlang/", {"language": "vi", "next": LOGIN_URL})

    assert '<html lang="vi">' in client.get(LOGIN_URL).content.decode()


def test_browser_language_alone_does_not_switch_to_english(db):
    response = Client().get(LOGIN_URL, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html


def test_unsupported_language_cookie_falls_back_to_vietnamese(db):
    client = Client()
    client.cookies["django_language"] = "fr"

    assert '<html lang="vi">' in client.get(LOGIN_URL).content.decode()


# --- login and logout --------------------------------------------------------------------------------------------


def test_login_with_the_right_password_opens_the_workspace(officer):
    client = Client()

    response = log_in(client, "officer", PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == "/workspace/"
    assert client.get("/workspace/").status_code == 200


def test_login_returns_to_the_page_asked_for(officer):
    client = Client()

    response = client.post(LOGIN_URL, {"username": "officer", "password": PASSWORD, "next": "/agencies/"})

    assert response["Location"] == "/agencies/"


def test_login_with_a_wrong_password_shows_the_form_again(officer):
    client = Client()

    response = log_in(client, "officer", "wrong-password")

    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()
    assert not is_logged_in(client)


def test_logout_by_post_ends_the_session(officer):
    client = Client()
    log_in(client, "officer", PASSWORD)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not is_logged_in(client)
    assert client.get("/workspace/")["Location"].startswith(LOGIN_URL)


def test_logout_by_get_is_refused_and_keeps_the_session(officer):
    client = Client()
    log_in(client, "officer", PASSWORD)

    response = client.get("/accounts/logout/")

    assert response.status_code == 405
    assert is_logged_in(client)


# --- throttling (django-axes) ------------------------------------------------------------------------------------


def test_sixth_attempt_after_five_failures_is_locked_out_even_with_the_right_password(officer):
    client = Client()
    for _attempt in range(5):
        log_in(client, "officer", "wrong-password")

    response = log_in(client, "officer", PASSWORD)

    assert response.status_code == 429
    assert "registration/locked_out.html" in template_names(response)
    assert not is_logged_in(client)
    assert client.get("/workspace/")["Location"].startswith(LOGIN_URL)


def test_locked_out_page_tells_the_user_to_wait(officer):
    client = Client()
    client.cookies["django_language"] = "en"
    for _attempt in range(5):
        log_in(client, "officer", "wrong-password")

    response = log_in(client, "officer", PASSWORD)

    assert "Too many failed logins" in response.content.decode()
    assert "Wait 15 minutes" in response.content.decode()


def test_locked_out_page_states_the_configured_cool_off(officer, settings):
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)  # what AXES_COOLOFF_MINUTES=30 sets
    client = Client()
    client.cookies["django_language"] = "en"
    for _attempt in range(5):
        log_in(client, "officer", "wrong-password")

    response = log_in(client, "officer", PASSWORD)

    assert "Wait 30 minutes" in response.content.decode()


def test_login_after_four_failures_still_works(officer):
    client = Client()
    for _attempt in range(4):
        log_in(client, "officer", "wrong-password")

    response = log_in(client, "officer", PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)


def test_successful_login_resets_the_failure_count(officer):
    client = Client()
    for _attempt in range(4):
        log_in(client, "officer", "wrong-password")
    log_in(client, "officer", PASSWORD)
    client.post("/accounts/logout/")
    for _attempt in range(4):
        log_in(client, "officer", "wrong-password")

    response = log_in(client, "officer", PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)


def test_lockout_of_one_username_does_not_lock_out_another(officer):
    make_user("colleague")
    client = Client()
    for _attempt in range(5):
        log_in(client, "officer", "wrong-password")

    response = log_in(client, "colleague", PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(client)
