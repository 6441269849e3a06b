from django.urls import path, re_path

from surveys import views

app_name = "surveys"
urlpatterns = [
    path("s/<str:token>/", views.survey_form, name="form"),
    path("s/<str:token>/thanks/", views.survey_thanks, name="thanks"),
    re_path(r"^s/(?P<token>[A-Za-z0-9_-]+)/qr\.(?P<fmt>svg|png)$", views.survey_qr, name="qr"),
]
