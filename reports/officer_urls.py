from django.urls import path

from reports import officer_views as views

app_name = "index"
urlpatterns = [
    path("<slug:slug>/", views.dashboard, name="dashboard"),
    path("<slug:slug>/publish/", views.publish_confirm, name="publish"),
    path("<slug:slug>/ranking/<str:level>/", views.level_ranking, name="ranking"),
    path("<slug:slug>/agency/<str:code>/", views.agency_page, name="agency"),
    path("<slug:slug>/agency/<str:code>/card/", views.agency_card, name="agency-card"),
    path("<slug:slug>/templates/<str:kind>/", views.document_template, name="document-template"),
]
