from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import Http404
from django.utils import translation


class LanguageMiddleware:
    """Vietnamese unless the visitor chose another language with the switcher (a cookie).

    Django's LocaleMiddleware would follow the browser's Accept-Language header; a Vietnamese public service
    shows Vietnamese first, whatever the phone's system language, and English only on request. The API is
    the exception: a client without cookies may ask for English with Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.GET.get("lang")  # the citizen pages switch with a plain link (?lang=en), no form
        language = chosen if chosen in self.supported else request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported and request.path.startswith("/api/"):
            # Integrating systems have no cookie: they ask with Accept-Language (Vietnamese by default).
            language = translation.get_language_from_request(request)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        if chosen in self.supported:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, chosen, max_age=365 * 24 * 3600, samesite="Lax")
        return response


# Characters no address of the portal contains: C0 controls and DEL. NUL is refused anywhere in a request's
# values too, since PostgreSQL stores no NUL in text (a query with one fails instead of finding nothing).
_CONTROL = frozenset(chr(code) for code in [*range(0x20), 0x7F])


class ControlCharactersMiddleware:
    """An address with a control character is a page that does not exist (404); a NUL in a query-string or
    form value is a bad request (400). Both answer with the portal's error pages instead of reaching a view
    whose database query would fail on the NUL (a 500). Placed after LanguageMiddleware so those pages speak
    the visitor's language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any(char in _CONTROL for char in request.path):
            raise Http404("control character in the address")
        values = [*request.GET.keys(), *request.GET.values()]
        # Url-encoded forms only: their body stays readable for DRF; a multipart body read here would be consumed,
        # and its text fields go through form fields, which refuse NUL themselves.
        if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
            values += [*request.POST.keys(), *request.POST.values()]
        if any("\x00" in value for value in values):
            raise BadRequest("NUL character in a request value")
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Sends PERMISSIONS_POLICY as the Permissions-Policy header of every response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response
