from django.urls import path

from tickets import api, desk_api

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
    path("tickets/", api.TicketListCreateApi.as_view(), name="tickets"),
    path("queue/", desk_api.QueueListApi.as_view(), name="queue"),
    path("tickets/<str:reference>/assign/", desk_api.TicketAssignApi.as_view(), name="ticket-assign"),
    path("tickets/<str:reference>/", api.TicketDetailApi.as_view(), name="ticket"),
]
