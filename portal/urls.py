from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from portal import views

# French pages have no prefix and English ones live under /en/, so a link always opens in the language it was
# shared in, whatever the browser's preferences.
urlpatterns = [
    path("health/", views.health_view, name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]
urlpatterns += i18n_patterns(
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)
