"""Every text the web client shows is a translation key (t('…'), i18n.t('…'), i18nKey('…')) with a
German translation in web/src/locales/de.json, and the table holds nothing the code no longer uses.
English needs no table: the keys are the English text."""

from __future__ import annotations

import json
import re

from tests.project import REPO_ROOT

SOURCE = REPO_ROOT / "web" / "src"
KEY_CALL = re.compile(r"\b(?:i18n\.t|i18nKey|t)\(\s*'((?:[^'\\]|\\.)*)'")
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def used_keys() -> set[str]:
    keys = set()
    for path in SOURCE.rglob("*.ts*"):
        keys |= {key.replace("\\'", "'") for key in KEY_CALL.findall(path.read_text(encoding="utf-8"))}
    return keys


def test_every_key_has_a_german_translation_and_none_is_stale():
    german = json.loads((SOURCE / "locales" / "de.json").read_text(encoding="utf-8"))
    used = used_keys()
    assert len(used) > 50
    assert sorted(used - set(german)) == [], "keys without a German translation"
    assert sorted(set(german) - used) == [], "translations no code uses"
    for key, text in german.items():
        assert set(PLACEHOLDER.findall(key)) == set(PLACEHOLDER.findall(text)), key
        assert text.strip(), key
