from django.urls import path

from surveys import entry_views

app_name = "entry"
urlpatterns = [
    path("", entry_views.entry_home, name="home"),
    path("<slug:slug>/<str:agency_code>/", entry_views.agency_entry, name="agency"),
]
