from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    """The visitor's address. With PROXY_COUNT trusted proxies in front (e.g. 1 behind nginx), it is the
    address the outermost trusted proxy saw, read from X-Forwarded-For counting from the right, so a client
    cannot forge it by sending its own header; with none, REMOTE_ADDR. Used by login throttling and by the
    survey form's rate limit and burst check."""
    count = settings.PROXY_COUNT
    if count:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR", "")
