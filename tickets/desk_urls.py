"""The agents' workspace, mounted at espace-agents/ inside i18n_patterns."""

from django.urls import path

from tickets.views import dashboard, desk

app_name = "desk"

urlpatterns = [
    path("", desk.queue_view, name="queue"),
    path("actions-groupees/", desk.bulk_view, name="bulk"),
    path("tableau-de-bord/", dashboard.dashboard_view, name="dashboard"),
    path("export.csv", desk.export_view, name="export"),
    path("vues/", desk.view_save_view, name="view-save"),
    path("vues/<int:pk>/supprimer/", desk.view_delete_view, name="view-delete"),
    path("incidents/<str:reference>/prendre/", desk.take_view, name="take"),
    path("incidents/<str:reference>/attribuer/", desk.assign_view, name="assign"),
]
