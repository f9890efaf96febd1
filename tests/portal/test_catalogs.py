"""French is complete and both catalogs are compiled from their current sources."""

import polib
import pytest

from tests.helpers import ROOT

LOCALE = ROOT / "locale"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_compiled_catalog_matches_its_source(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    mo = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in mo}
    source = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in po.translated_entries()}
    assert compiled == {**source, **{key: value for key, value in compiled.items() if key[1] == ""}}, (
        "run `make messages`: the .mo file is out of date"
    )


def test_every_french_message_is_translated():
    po = polib.pofile(str(LOCALE / "fr" / "LC_MESSAGES" / "django.po"))
    assert [entry.msgid for entry in po.untranslated_entries()] == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []
