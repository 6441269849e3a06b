from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def minutes(value) -> int | str:
    """A timedelta as whole minutes (rounded up), e.g. for the login lock-out page."""
    if not isinstance(value, timedelta):
        return ""
    return max(1, -(-int(value.total_seconds()) // 60))


@register.simple_tag(takes_context=True)
def page_url(context, number: int) -> str:
    """The current address's query with `page` set to `number` (every filter of the list kept), for the
    links of includes/pagination.html."""
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"
