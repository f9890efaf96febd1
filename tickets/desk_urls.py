"""The agents' workspace, mounted at espace-agents/ inside i18n_patterns."""

from django.urls import path

from tickets.views import desk, ticket_actions

app_name = "desk"

urlpatterns = [
    path("", desk.queue_view, name="queue"),
    path("actions-groupees/", desk.bulk_view, name="bulk"),
    path("export.csv", desk.export_view, name="export"),
    path("incidents/<str:reference>/prendre/", desk.take_view, name="take"),
    path("incidents/<str:reference>/attribuer/", desk.assign_view, name="assign"),
    path("incidents/<str:reference>/statut/", ticket_actions.status_view, name="status"),
    path("incidents/<str:reference>/priorite/", ticket_actions.priority_view, name="priority"),
    path("incidents/<str:reference>/resolu-par-article/", ticket_actions.solved_by_article_view, name="solved"),
    path("incidents/<str:reference>/fusionner/", ticket_actions.merge_view, name="merge"),
]
