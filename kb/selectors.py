"""What other apps may read from the knowledge base, without touching its tables or its views."""

from kb.models import Article


def known_error_texts(*, user, language: str) -> list[str]:
    """Each exact error message the articles this person may read list in their metadata, one per line as written.
    One query."""
    rows = Article.objects.visible_to(user).filter(language=language).exclude(errors="")
    lines = (line.strip() for errors in rows.values_list("errors", flat=True) for line in errors.splitlines())
    return [line for line in lines if line]
