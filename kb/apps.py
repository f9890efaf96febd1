from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "kb"
    verbose_name = _("Knowledge base")

    def ready(self):
        from django.db.models.signals import post_delete, post_save, pre_delete

        from kb.models import Article, Concept
        from kb.page_cache import articles_changed
        from kb.vocabulary import article_deleted

        pre_delete.connect(article_deleted, sender=Article, dispatch_uid="kb_article_deleted")
        # The article pages kept rendered in every web process are dropped on any change (kb/page_cache.py).
        post_save.connect(articles_changed, sender=Article, dispatch_uid="kb_article_pages_saved")
        post_delete.connect(articles_changed, sender=Article, dispatch_uid="kb_article_pages_deleted")
        # So are the search answers kept there, which also depend on the thesaurus.
        post_save.connect(articles_changed, sender=Concept, dispatch_uid="kb_concept_saved")
        post_delete.connect(articles_changed, sender=Concept, dispatch_uid="kb_concept_deleted")
