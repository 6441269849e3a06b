from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    """Page-numbered lists; clients may ask for up to 1,000 rows a page with ?page_size=."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
