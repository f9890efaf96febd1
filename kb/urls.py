from django.urls import path

from kb.views import editor, feedback, pages

app_name = "kb"

# Mounted at aide/ inside i18n_patterns. The fixed paths come before <slug>/, and their names are reserved slugs
# (kb.models.RESERVED_SLUGS).
urlpatterns = [
    path("", pages.home_view, name="home"),
    path("recherche/", pages.search_view, name="search"),
    path("retours/", feedback.feedback_report_view, name="feedback_report"),
    path("nouvel-article/", editor.article_create_view, name="article_create"),
    path("categorie/<slug:slug>/", pages.category_view, name="category"),
    path("<slug:slug>/", pages.article_view, name="article"),
    path("<slug:slug>/avis/", feedback.feedback_view, name="feedback"),
    path("<slug:slug>/modifier/", editor.article_edit_view, name="article_edit"),
    path("<slug:slug>/historique/", editor.history_view, name="history"),
    path("<slug:slug>/historique/<int:number>/", editor.revision_view, name="revision"),
    path("<slug:slug>/historique/<int:number>/restaurer/", editor.revision_restore_view, name="revision_restore"),
]
