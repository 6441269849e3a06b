"""The officer's questionnaire screens, included by sipas/urls.py as path("methods/", include("surveys.method_urls"))."""

from django.urls import path

from surveys import method_views as views

app_name = "methods"
urlpatterns = [
    path("", views.method_list, name="list"),
    path("import/", views.method_import, name="import"),
    path("campaigns/<slug:slug>/levels/", views.campaign_levels, name="campaign-levels"),
    path("<str:code>/", views.method_detail, name="detail"),
    path("<str:code>/settings/", views.method_settings, name="settings"),
    path("<str:code>/factors/new/", views.factor_edit, name="factor-new"),
    path("<str:code>/factors/<str:factor_code>/", views.factor_edit, name="factor"),
    path("<str:code>/questions/new/", views.question_edit, name="question-new"),
    path("<str:code>/questions/<str:question_code>/", views.question_edit, name="question"),
    path("<str:code>/preview/", views.method_preview, name="preview"),
    path("<str:code>/export.xlsx", views.method_export, name="export"),
]
