"""Read-only API of the knowledge base: articles, search and suggestions.

Open to anyone (``AllowAny`` is explicit: the project default requires a session that passed the second factor), and
every answer is limited to what the requester may read, exactly as on the pages: the session decides the audience.
The language is the one portal.web.middleware.ApiLanguageMiddleware activated: the ``lang`` query parameter, else the
language cookie or Accept-Language, else French. Query parameters are validated (portal.web.api.query_parameters): a bad
``limit``, ``category`` or ``lang`` is a 400 that says which values are accepted, never a silent default.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from kb.categories import CategoryCode
from kb.models import Article
from kb.search import (
    LISTING_FIELDS,
    MAX_QUERY_LENGTH,
    MAX_SUGGEST_LENGTH,
    SEARCH_LIMIT,
    SUGGEST_LIMIT,
    search_page,
    suggest_articles,
)
from kb.selectors import article_versions
from portal.identity.api_auth import SessionAuthentication, TokenAuthentication
from portal.web.api import (
    LanguageField,
    PageNumberPagination,
    SearchThrottle,
    query_parameters,
)
from portal.web.language import content_language

SUGGEST_MAX = 10


class PublicKbApi:
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [AllowAny]


class SearchTextField(serializers.CharField):
    """Text typed or pasted into a search: never refused, control characters (NUL included) count as spaces."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_blank=True, trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        return "".join(" " if ord(character) < 32 else character for character in text)


class LanguageQuery(serializers.Serializer):
    lang = LanguageField()


class ArticleListQuery(LanguageQuery):
    category = serializers.ChoiceField(choices=CategoryCode.values, required=False, help_text="A category's code.")


class SearchQuery(LanguageQuery):
    q = SearchTextField(help_text=f"Words or an error message (cut at {MAX_QUERY_LENGTH} characters).")
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=SEARCH_LIMIT, help_text=f"1 to {SEARCH_LIMIT} (default {SEARCH_LIMIT})."
    )


class SuggestQuery(LanguageQuery):
    text = SearchTextField(help_text=f"Free text (cut at {MAX_SUGGEST_LENGTH} characters).")
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=SUGGEST_MAX, help_text=f"1 to {SUGGEST_MAX} (default {SUGGEST_LIMIT})."
    )


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
        summary="List the articles the requester may read, in one language", parameters=[ArticleListQuery]
    ),
    retrieve=extend_schema(
        summary="Read one article (in the other language when it has no version in the requested one)",
        parameters=[LanguageQuery],
    ),
)
class ArticleViewSet(PublicKbApi, viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    pagination_class = ArticlePagination
    serializer_class = ArticleSerializer

    def get_serializer_class(self):
        return ArticleSummarySerializer if self.action == "list" else ArticleSerializer

    def get_queryset(self):
        articles = Article.objects.visible_to(self.request.user).filter(language=content_language())
        category = query_parameters(self.request, ArticleListQuery).get("category")
        if category:
            articles = articles.filter(category=category)
        return articles.only(*LISTING_FIELDS).order_by("title")

    def retrieve(self, request, slug=None):
        article, others = article_versions(user=request.user, slug=slug)
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
    corrected = serializers.CharField(
        help_text='When the query found nothing: the corrected query whose results are given ("did you mean"), '
        "else empty."
    )
    other_language = SearchResultSerializer(
        many=True,
        help_text="Answers in the other language, when this one has none or the query looks written in the other.",
    )
    more_after_sign_in = serializers.BooleanField(help_text="Articles for signed-in staff match too.")


class SuggestResponseSerializer(serializers.Serializer):
    language = serializers.CharField()
    results = SearchHitSerializer(many=True)


class SearchApi(PublicKbApi, APIView):
    throttle_classes = [SearchThrottle]

    @extend_schema(summary="Search the knowledge base", parameters=[SearchQuery], responses=SearchResponseSerializer)
    def get(self, request):
        language = content_language()
        params = query_parameters(request, SearchQuery)
        query = params.get("q", "")[:MAX_QUERY_LENGTH]
        limit = params.get("limit", SEARCH_LIMIT)
        found = search_page(query=query, user=request.user, language=language, limit=limit)
        response = {
            "query": query,
            "language": language,
            "results": found.hits,
            "corrected": found.corrected,
            "other_language": found.other_language,
            "more_after_sign_in": found.more_after_sign_in,
        }
        return Response(SearchResponseSerializer(response).data)


class SuggestApi(PublicKbApi, APIView):
    throttle_classes = [SearchThrottle]

    @extend_schema(
        summary="Suggest articles for a free text (an error message, an incident title)",
        description="Fast enough to call after every pause in typing; the last word counts as a prefix.",
        parameters=[SuggestQuery],
        responses=SuggestResponseSerializer,
    )
    def get(self, request):
        language = content_language()
        params = query_parameters(request, SuggestQuery)
        limit = params.get("limit", SUGGEST_LIMIT)
        text = params.get("text", "")
        hits = suggest_articles(text=text, user=request.user, language=language, limit=limit)
        return Response(SuggestResponseSerializer({"language": language, "results": hits}).data)
