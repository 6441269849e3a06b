from django.urls import path

from surveys import officer_flags
from surveys import officer_views as views

app_name = "officer"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<slug:slug>/", views.campaign_detail, name="detail"),
    path("<slug:slug>/edit/", views.campaign_edit, name="edit"),
    path("<slug:slug>/agencies/", views.campaign_agencies, name="agencies"),
    path("<slug:slug>/flags/", officer_flags.campaign_flags, name="flags"),
]
