from django.urls import path

from agencies import views

app_name = "agencies"
urlpatterns = [
    path("", views.agency_list, name="list"),
    path("import/", views.agency_import, name="import"),
    path("<str:code>/", views.agency_detail, name="detail"),
]
