from django.conf import settings
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
