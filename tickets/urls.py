"""Incident pages, mounted at incidents/ inside i18n_patterns (French paths; English under /en/)."""

from django.urls import path

from tickets.views import filing, requester

app_name = "tickets"

# Fixed paths come before <reference>/, which only matches INC-YYYY-NNNNNN (checked in tickets.access).
urlpatterns = [
    path("", requester.my_tickets_view, name="mine"),
    path("signaler/", filing.choose_view, name="choose"),
    path("signaler/<slug:slug>/", filing.file_view, name="file"),
    path("signaler/<slug:slug>/resolu/", filing.deflect_view, name="deflect"),
    path("incidents-majeurs/<int:pk>/je-suis-concerne/", filing.affected_view, name="affected"),
    path("<str:reference>/", requester.detail_view, name="detail"),
    path("<str:reference>/repondre/", requester.reply_view, name="reply"),
    path("<str:reference>/cloturer/", requester.close_view, name="close"),
    path("<str:reference>/rouvrir/", requester.reopen_view, name="reopen"),
    path("<str:reference>/pieces-jointes/<int:pk>/", requester.attachment_view, name="attachment"),
]
