from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from portal.identity.views.mail_events import mail_events_view
from portal.identity.views.mail_policy import mail_policy_view
from portal.site import metrics
from portal.site.views import api_docs, contact, errors, home

handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.not_found
handler500 = errors.server_error

# French pages have no prefix and English ones live under /en/, so a link always opens in the language it was
# shared in, whatever the browser's preferences.
urlpatterns = [
    path("health/", home.health_view, name="health"),
    path("metrics/", metrics.metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Interactive documentation, served from our own static files (drf-spectacular-sidecar): no CDN.
    path("api/docs/", api_docs.SwaggerView.as_view(), name="api-docs"),
    path("api/docs/redoc/", api_docs.RedocView.as_view(), name="api-redoc"),
    path("api/mail/policy/", mail_policy_view, name="mail-policy"),  # Dovecot's auth_policy_server_url
    path("api/mail/events/", mail_events_view, name="mail-events"),  # batches of events read from mail logs
    path("api/kb/", include("kb.api_urls")),
    path("api/", include("tickets.api_urls")),
]
urlpatterns += i18n_patterns(
    path("", home.home, name="home"),
    path("compte/", include("portal.identity.urls")),
    path("aide/contact/", contact.contact_view, name="contact"),
    path("aide/", include("kb.urls")),
    path("incidents/", include("tickets.urls")),
    path("espace-agents/", include("tickets.desk_urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)
