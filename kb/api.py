"""Read-only API of the knowledge base: articles, search and suggestions.

Open to anyone (``AllowAny`` is explicit: the project default requires a session that passed the second factor), and
every answer is limited to what the requester may read, exactly as on the pages: the session decides the audience.
The language is the one portal.middleware.ApiLanguageMiddleware activated: the ``lang`` query parameter, else the
language cookie or Accept-Language, else French.
"""

from django.http import Http404
from django.utils import translation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from kb.categories import CategoryCode
from kb.models import Article
from kb.search import LISTING_FIELDS, MAX_QUERY_LENGTH, SEARCH_LIMIT, SUGGEST_LIMIT, search_articles, suggest_articles

LANG_PARAMETER = OpenApiParameter(
    "lang", OpenApiTypes.STR, enum=["fr", "en"], description="Language of the articles (default: Accept-Language)."
)


def request_language(request) -> str:
    """The articles' language: the one the API middleware activated for this request."""
    return "en" if (translation.get_language() or "fr").startswith("en") else "fr"


def limit_parameter(request, default: int, maximum: int) -> int:
    try:
        return max(1, min(maximum, int(request.query_params.get("limit", default))))
    except ValueError:
        return default


class PublicKbApi:
    authentication_classes = [SessionAuthentication]
    permission_classes = [AllowAny]


class ArticleSummarySerializer(serializers.ModelSerializer):
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    # A plain string: "status" enums of other apps would collide with this one's name in the schema.
    status = serializers.CharField(read_only=True, help_text="published, or draft (drafts reach agents only).")

    class Meta:
        model = Article
        fields = ["slug", "language", "title", "summary", "category", "audience", "status", "updated_at", "url"]


class ArticleSerializer(ArticleSummarySerializer):
    tags = serializers.ListField(source="tag_list", child=serializers.CharField(), read_only=True)
    errors = serializers.ListField(source="error_list", child=serializers.CharField(), read_only=True)
    related = serializers.ListField(source="related_slugs", child=serializers.CharField(), read_only=True)
    body_html = serializers.CharField(read_only=True, help_text="Sanitised HTML.")
    translations = serializers.SerializerMethodField()

    class Meta(ArticleSummarySerializer.Meta):
        fields = [*ArticleSummarySerializer.Meta.fields, "tags", "errors", "related", "body_html", "translations"]

    def get_translations(self, article) -> dict[str, str]:
        """{language: url} of the other versions the requester may read."""
        return {other.language: other.get_absolute_url() for other in self.context.get("translations", [])}


class ArticlePagination(PageNumberPagination):
    page_size = 50


@extend_schema_view(
    list=extend_schema(
        summary="List the articles the requester may read, in one language",
        parameters=[LANG_PARAMETER, OpenApiParameter("category", OpenApiTypes.STR, enum=CategoryCode.values)],
    ),
    retrieve=extend_schema(
        summary="Read one article (in the other language when it has no version in the requested one)",
        parameters=[LANG_PARAMETER],
    ),
)
class ArticleViewSet(PublicKbApi, viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    pagination_class = ArticlePagination
    serializer_class = ArticleSerializer

    def get_serializer_class(self):
        return ArticleSummarySerializer if self.action == "list" else ArticleSerializer

    def get_queryset(self):
        articles = Article.objects.visible_to(self.request.user).filter(language=request_language(self.request))
        category = self.request.query_params.get("category")
        if category:
            articles = articles.filter(category=category)
        return articles.only(*LISTING_FIELDS).order_by("title")

    def retrieve(self, request, slug=None):
        language = request_language(request)
        versions = list(Article.objects.visible_to(request.user).filter(slug=slug))
        article = next((version for version in versions if version.language == language), None)
        article = article or next(iter(versions), None)
        if article is None:
            raise Http404
        others = [version for version in versions if version.pk != article.pk]
        return Response(ArticleSerializer(article, context={"request": request, "translations": others}).data)


class SearchHitSerializer(serializers.Serializer):
    slug = serializers.CharField(source="article.slug")
    language = serializers.CharField(source="article.language")
    title = serializers.CharField(source="article.title")
    summary = serializers.CharField(source="article.summary")
    category = serializers.CharField(source="article.category")
    url = serializers.CharField(source="article.get_absolute_url")
    score = serializers.FloatField(help_text="Higher is better; comparable within one response only.")


class SearchResultSerializer(SearchHitSerializer):
    snippet_html = serializers.CharField(
        source="snippet", help_text="Escaped text of the article around the matches, matches in <mark>."
    )


class SearchResponseSerializer(serializers.Serializer):
    query = serializers.CharField()
    language = serializers.CharField()
    results = SearchResultSerializer(many=True)


class SuggestResponseSerializer(serializers.Serializer):
    language = serializers.CharField()
    results = SearchHitSerializer(many=True)


class SearchApi(PublicKbApi, APIView):
    @extend_schema(
        summary="Search the knowledge base",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Words or an error message (cut at 200 characters)."),
            LANG_PARAMETER,
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"At most {SEARCH_LIMIT}."),
        ],
        responses=SearchResponseSerializer,
    )
    def get(self, request):
        language = request_language(request)
        query = request.query_params.get("q", "")[:MAX_QUERY_LENGTH]
        limit = limit_parameter(request, SEARCH_LIMIT, SEARCH_LIMIT)
        hits = search_articles(query=query, user=request.user, language=language, limit=limit)
        return Response(SearchResponseSerializer({"query": query, "language": language, "results": hits}).data)


class SuggestApi(PublicKbApi, APIView):
    @extend_schema(
        summary="Suggest articles for a free text (an error message, an incident title)",
        description="Fast enough to call after every pause in typing; the last word counts as a prefix.",
        parameters=[
            OpenApiParameter("text", OpenApiTypes.STR, description="Free text (cut at 500 characters)."),
            LANG_PARAMETER,
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most 10 (default 5)."),
        ],
        responses=SuggestResponseSerializer,
    )
    def get(self, request):
        language = request_language(request)
        limit = limit_parameter(request, SUGGEST_LIMIT, 10)
        text = request.query_params.get("text", "")
        hits = suggest_articles(text=text, user=request.user, language=language, limit=limit)
        return Response(SuggestResponseSerializer({"language": language, "results": hits}).data)
