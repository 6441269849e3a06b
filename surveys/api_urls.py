"""Survey integration API, included under /api/v1/ by sipas/urls.py."""

from django.urls import path

from surveys import api

urlpatterns = [
    path("campaigns/<slug:slug>/invitations/", api.InvitationCreateView.as_view(), name="api-invitations"),
    path("campaigns/<slug:slug>/responses/", api.ResponseCreateView.as_view(), name="api-responses"),
]
