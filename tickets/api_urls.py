from django.urls import path

from tickets import api, desk_actions_api, desk_api, major_api

# Mounted at api/ (outside the language prefixes).
app_name = "tickets-api"

urlpatterns = [
    path("problem-types/", api.ProblemTypeListApi.as_view(), name="problem-types"),
    path("major-incidents/", api.MajorIncidentListApi.as_view(), name="major-incidents"),
    path(
        "major-incidents/<int:pk>/affected/",
        api.MajorIncidentAffectedApi.as_view(),
        name="major-incident-affected",
    ),
    path("desk/major-incidents/", major_api.DeskMajorIncidentListApi.as_view(), name="desk-major-incidents"),
    path("desk/major-incidents/<int:pk>/", major_api.DeskMajorIncidentDetailApi.as_view(), name="desk-major-incident"),
    path(
        "desk/major-incidents/<int:pk>/confirm/",
        major_api.DeskMajorIncidentConfirmApi.as_view(),
        name="desk-major-confirm",
    ),
    path(
        "desk/major-incidents/<int:pk>/split/", major_api.DeskMajorIncidentSplitApi.as_view(), name="desk-major-split"
    ),
    path(
        "desk/major-incidents/<int:pk>/dismiss/",
        major_api.DeskMajorIncidentDismissApi.as_view(),
        name="desk-major-dismiss",
    ),
    path(
        "desk/major-incidents/<int:pk>/updates/",
        major_api.DeskMajorIncidentUpdateApi.as_view(),
        name="desk-major-update",
    ),
    path(
        "desk/major-incidents/<int:pk>/status/",
        major_api.DeskMajorIncidentStatusApi.as_view(),
        name="desk-major-status",
    ),
    path(
        "desk/major-incidents/<int:pk>/resolve/",
        major_api.DeskMajorIncidentResolveApi.as_view(),
        name="desk-major-resolve",
    ),
    path("tickets/", api.TicketListCreateApi.as_view(), name="tickets"),
    path("queue/", desk_api.QueueListApi.as_view(), name="queue"),
    path("tickets/bulk/", desk_actions_api.TicketBulkApi.as_view(), name="tickets-bulk"),
    path("tickets/<str:reference>/assign/", desk_api.TicketAssignApi.as_view(), name="ticket-assign"),
    path("tickets/<str:reference>/reply/", desk_actions_api.TicketReplyApi.as_view(), name="ticket-reply"),
    path("tickets/<str:reference>/status/", desk_actions_api.TicketStatusApi.as_view(), name="ticket-status"),
    path("tickets/<str:reference>/priority/", desk_actions_api.TicketPriorityApi.as_view(), name="ticket-priority"),
    path("tickets/<str:reference>/merge/", desk_actions_api.TicketMergeApi.as_view(), name="ticket-merge"),
    path(
        "tickets/<str:reference>/solved-by-article/",
        desk_actions_api.TicketSolvedByArticleApi.as_view(),
        name="ticket-solved-by-article",
    ),
    path("tickets/<str:reference>/", api.TicketDetailApi.as_view(), name="ticket"),
]
