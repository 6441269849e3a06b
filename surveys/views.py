"""The citizen's survey: /s/<token>/. Works without JavaScript; the small script keeps answers in the browser
while filling, shows progress, and says so when a page reached by Back was already sent."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sipas.net import client_ip
from surveys.forms import SurveyForm
from surveys.models import Channel, SurveyLink
from surveys.services.campaigns import accepts
from surveys.services.links import keyed_hash, link_url, qr_png, qr_svg
from surveys.services.responses import SubmissionRejected, question_set, submit_response

DEVICE_COOKIE = "sipas_device"
# Submissions from one address per campaign per window above which the form refuses and asks to wait. Only a
# flood is refused: one-stop shops share Wi-Fi and carriers put many phones behind one address, so a busy
# office (a few hundred an hour) stays far below it; a burst below it is stored and flagged for the officer
# (surveys.services.quality.BURST_LIMIT). Setting SURVEY_FLOOD_LIMIT (sipas/settings.py), read by flood_limit().
FLOOD_WINDOW_SECONDS = 600


def _find_link(token: str) -> SurveyLink | None:
    """The link with what every citizen page shows of it, and the campaign's default version (the questions of
    most agencies come from it: see question_set)."""
    try:
        return SurveyLink.objects.select_related("campaign__methodology", "agency", "service_point").get(token=token)
    except SurveyLink.DoesNotExist:
        return None


def _unavailable(request, reason: str, link: SurveyLink | None = None):
    status = {"unknown": 404, "used": 410, "closed": 410, "not_started": 403, "channel": 403, "agency": 403}[reason]
    return render(request, "surveys/unavailable.html", {"reason": reason, "link": link}, status=status)


# Not never_cache: its no-store makes "Back" fetch a fresh page with a new client_id, so sending again would
# count twice. private + no-cache keeps the page (and its id) in this browser only, revalidated on reload.
# CSRF-exempt on purpose: the form is anonymous (no session, nothing to act on a user's behalf), and a CSRF
# cookie refused by a phone would turn a citizen's answers into a 403; the token would also add
# "Vary: Cookie", which defeats the history cache above. Abuse is met by the idempotent client_id, the
# honeypot, the flood limit and the quality flags instead.
@csrf_exempt
@cache_control(private=True, no_cache=True)
@require_http_methods(["GET", "POST"])
def survey_form(request, token: str):
    link = _find_link(token)
    if link is None:
        return _unavailable(request, "unknown")
    campaign = link.campaign
    channel = Channel.QR if request.GET.get("c") == "qr" else Channel.WEB
    if link.single_use and link.used_at and request.method == "GET":
        return _unavailable(request, "used", link)
    questions = question_set(campaign, link.agency)
    form = SurveyForm(request.POST or None, questions=questions, scale=questions.scale)  # the agency's version
    errors: dict[str, str] = {}
    wait = False
    status = 200
    if request.method == "GET":
        reason = accepts(campaign, channel)
        if reason:
            return _unavailable(request, reason, link)
    elif form.is_valid():
        ip = client_ip(request)
        if not link.single_use and _flooded(campaign.pk, ip):
            # Its own message, not the answers' summary: nothing is wrong with the answers.
            wait = True
            status = 429
        else:
            try:
                submit_response(
                    campaign=campaign, agency=link.agency, service_point=link.service_point, link=link,
                    answers=form.raw_answers(), client_id=form.cleaned_data["client_id"], channel=channel,
                    respondent_type=form.cleaned_data["respondent_type"], duration_seconds=form.duration_seconds(),
                    ip=ip, device=request.COOKIES.get(DEVICE_COOKIE, ""), honeypot=bool(form.cleaned_data["website"]),
                    strict_skips=False, questions=questions,
                )  # fmt: skip
            except SubmissionRejected as rejected:
                if rejected.reason != "invalid":
                    return _unavailable(request, rejected.reason, link)
                errors = rejected.errors
                status = 400
            else:
                return redirect("surveys:thanks", token=token)
    else:
        errors = {"__all__": _("The form could not be read. Please check your answers and send again.")}
        status = 400
    response = render(
        request,
        "surveys/form.html",
        {"link": link, "campaign": campaign, "form": form, "sections": form.sections(errors),
         "errors": form.error_items(errors), "wait": wait, "channel": channel},
        status=status,
    )  # fmt: skip
    if DEVICE_COOKIE not in request.COOKIES:
        response.set_cookie(
            DEVICE_COOKIE,
            secrets.token_urlsafe(16),
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,  # Secure whenever DEBUG is off, like the session cookie
        )
    return response


def flood_limit() -> int:
    return settings.SURVEY_FLOOD_LIMIT


def _flooded(campaign_id: int, ip: str) -> bool:
    """Count submissions per address and campaign in the shared cache (Redis when REDIS_URL is set, so every
    worker sees one count) and tell whether this one is past the flood limit. The cache is optional here: if
    it is down, nobody is refused."""
    if not ip:
        return False
    key = f"survey-flood:{campaign_id}:{keyed_hash(ip, purpose='ip')}"
    try:
        cache.add(key, 0, FLOOD_WINDOW_SECONDS)
        return cache.incr(key) > flood_limit()
    except Exception:
        return False


@never_cache
def survey_thanks(request, token: str):
    link = _find_link(token)
    if link is None:
        return _unavailable(request, "unknown")
    return render(request, "surveys/thanks.html", {"link": link, "campaign": link.campaign})


def survey_qr(request, token: str, fmt: str):
    link = _find_link(token)
    if link is None:
        return _unavailable(request, "unknown")
    url = link_url(link) + "?c=qr"
    if fmt == "svg":
        return HttpResponse(qr_svg(url), content_type="image/svg+xml")
    return HttpResponse(qr_png(url), content_type="image/png")
