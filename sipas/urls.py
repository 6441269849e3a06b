from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from agencies.api import AgencyViewSet
from reports.api import CampaignResultsView
from sipas import views

api = DefaultRouter()
api.register("agencies", AgencyViewSet, basename="agency")

urlpatterns = [
    path("", views.home, name="home"),
    path("workspace/", views.workspace, name="workspace"),
    path("jobs/<int:job_id>/", views.job_status, name="job-status"),
    path("jobs/<int:job_id>/download/", views.job_download, name="job-download"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("agencies/", include("agencies.urls")),
    path("", include("surveys.urls")),
    path("campaigns/", include("surveys.officer_urls")),
    path("methods/", include("surveys.method_urls")),
    path("staff/", include("surveys.staff_urls")),
    path("entry/", include("surveys.entry_urls")),
    path("index/", include("reports.officer_urls")),
    path("results/", include("reports.public_urls")),
    path("api/v1/", include(api.urls)),
    path("api/v1/", include("surveys.api_urls")),
    path("api/v1/campaigns/<slug:slug>/results/", CampaignResultsView.as_view(), name="campaign-results"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

# Uploaded and rendered files are never served from MEDIA_URL, in any mode: each is reached through a view that
# checks who asks (e.g. job-download).

handler400 = "sipas.api_errors.bad_request"
handler404 = "sipas.api_errors.page_not_found"
