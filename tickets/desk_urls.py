"""The agents' workspace, mounted at espace-agents/ inside i18n_patterns."""

from django.urls import path

from tickets.views import dashboard, desk, major_desk, ticket_actions

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
    path("incidents-majeurs/", major_desk.major_list_view, name="majors"),
    path("incidents-majeurs/<int:pk>/", major_desk.major_detail_view, name="major"),
    path("incidents-majeurs/<int:pk>/confirmer/", major_desk.major_confirm_view, name="major-confirm"),
    path("incidents-majeurs/<int:pk>/scinder/", major_desk.major_split_view, name="major-split"),
    path("incidents-majeurs/<int:pk>/ecarter/", major_desk.major_dismiss_view, name="major-dismiss"),
    path("incidents-majeurs/<int:pk>/communiquer/", major_desk.major_update_view, name="major-update"),
    path("incidents-majeurs/<int:pk>/statut/", major_desk.major_status_view, name="major-status"),
    path("incidents-majeurs/<int:pk>/resoudre/", major_desk.major_resolve_view, name="major-resolve"),
    path("incidents/<str:reference>/statut/", ticket_actions.status_view, name="status"),
    path("incidents/<str:reference>/priorite/", ticket_actions.priority_view, name="priority"),
    path("incidents/<str:reference>/resolu-par-article/", ticket_actions.solved_by_article_view, name="solved"),
    path("incidents/<str:reference>/fusionner/", ticket_actions.merge_view, name="merge"),
]
