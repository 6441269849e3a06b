from django.urls import path, re_path

from surveys import staff_views

app_name = "staff"
urlpatterns = [
    path("", staff_views.campaign_list, name="campaigns"),
    path("<slug:slug>/", staff_views.campaign_detail, name="campaign"),
    path("<slug:slug>/posters.pdf", staff_views.campaign_posters_pdf, name="campaign-posters"),
    re_path(
        r"^(?P<slug>[-a-zA-Z0-9_]+)/links/(?P<token>[A-Za-z0-9_-]+)/(?P<size>a4|a6)\.pdf$",
        staff_views.poster_pdf,
        name="poster",
    ),
    path("<slug:slug>/invitations/", staff_views.invitation_create, name="invitation-create"),
    path("<slug:slug>/invitations/<str:token>/", staff_views.invitation_detail, name="invitation"),
    path("<slug:slug>/invitations/<str:token>/slip.pdf", staff_views.invitation_slip_pdf, name="invitation-slip"),
]
