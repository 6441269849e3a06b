from django.urls import path, re_path

from surveys import views

app_name = "surveys"
urlpatterns = [
    path("s/<str:token>/", views.survey_form, name="form"),
    # The form posts here, not to its own URL: a POST to a URL drops the browser's cached copy of it, so
    # "Back" would fetch a new page with a new client_id and a resend would count twice.
    path("s/<str:token>/send/", views.survey_form, name="send"),
    path("s/<str:token>/thanks/", views.survey_thanks, name="thanks"),
    re_path(r"^s/(?P<token>[A-Za-z0-9_-]+)/qr\.(?P<fmt>svg|png)$", views.survey_qr, name="qr"),
]
