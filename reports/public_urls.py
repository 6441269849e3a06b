from django.urls import path

from reports import public_views

app_name = "results"
urlpatterns = [
    path("", public_views.campaign_list, name="list"),
    path("<slug:slug>/data.json", public_views.data_json, name="data-json"),
    path("<slug:slug>/data.csv", public_views.data_csv, name="data-csv"),
    path("<slug:slug>/data.xlsx", public_views.data_xlsx, name="data-xlsx"),
    path("<slug:slug>/", public_views.campaign_results, name="campaign"),
    path("<slug:slug>/<str:agency_code>/", public_views.agency_results, name="agency"),
]
