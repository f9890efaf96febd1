from django.urls import path
from rest_framework.routers import SimpleRouter

from kb import api

# Mounted at api/kb/ (outside the language prefixes; see kb.api for how the language is chosen).
app_name = "kb-api"

router = SimpleRouter()
router.register("articles", api.ArticleViewSet, basename="article")

urlpatterns = [
    path("search/", api.SearchApi.as_view(), name="search"),
    path("suggest/", api.SuggestApi.as_view(), name="suggest"),
    *router.urls,
]
