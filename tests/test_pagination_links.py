"""The one pagination include every list uses: its links keep the list's filters and replace the page."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation


def render(query: str, **extra) -> str:
    request = RequestFactory().get(f"/list/?{query}")
    page = Paginator(range(100), 10).page(2)
    with translation.override("en"):
        return render_to_string("includes/pagination.html", {"page": page, **extra}, request=request)


def test_links_keep_every_filter_and_replace_the_page():
    html = render("q=H%C3%A0+N%E1%BB%99i&kind=commune&page=2")

    assert 'href="?q=H%C3%A0+N%E1%BB%99i&amp;kind=commune&amp;page=1"' in html
    assert 'href="?q=H%C3%A0+N%E1%BB%99i&amp;kind=commune&amp;page=3"' in html
    assert "Previous" in html and "Next" in html and "Page 2 of 10" in html


def test_a_list_newest_first_says_newer_and_older_and_lands_on_its_anchor():
    html = render("", anchor="comments", label="Comment pages", newest_first=True)

    assert 'aria-label="Comment pages"' in html
    assert 'href="?page=1#comments">Newer<' in html and 'href="?page=3#comments">Older<' in html
