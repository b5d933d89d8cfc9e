"""The public pages' words: one catalogue per language, the same keys in each, every key the templates use."""

from __future__ import annotations

import re

from api.i18n import LANGUAGES, LOCALES, catalogue
from tests.unit.test_templates import API

USED = re.compile(r"""\bt\[\s*["']([a-z_]+\.[a-z0-9_]+)["']\s*\]""")
PREFIXED = re.compile(r"""\bt\[\s*["']([a-z_]+\.)["']\s*\+""")
LATIN = re.compile(r"[A-Za-z]{3,}")
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")
HAN = re.compile(r"[\u4e00-\u9fff]")


def test_there_is_one_catalogue_per_language_with_the_same_keys() -> None:
    assert sorted(p.stem for p in LOCALES.glob("*.po")) == sorted(LANGUAGES)
    keys = {lang: set(catalogue(lang)) for lang in LANGUAGES}
    for lang in LANGUAGES:
        assert keys[lang] == keys["zh"], (lang, keys[lang] ^ keys["zh"])
        assert all(text.strip() for text in catalogue(lang).values()), f"an empty message in {lang}"


def test_every_message_is_written_in_its_own_language() -> None:
    """Uyghur in Arabic script with no Chinese or English word left over (QR stays QR); English without
    Chinese. A message copied unchanged from 中文 fails here."""
    for key, text in catalogue("ug").items():
        if key == "punct.colon":
            continue
        assert ARABIC_SCRIPT.search(text) and not HAN.search(text), key
        assert not [w for w in LATIN.findall(text) if w not in {"QR", "JSON", "PDF", "Merkle", "RFC", "COSE"}], key
    for key, text in catalogue("en").items():
        assert not HAN.search(text), key


def test_every_key_the_pages_use_is_in_the_catalogue() -> None:
    sources = [p for p in (API / "templates" / "verification").rglob("*.html")]
    sources += [p for p in (API / "certificates").glob("*.py")]
    used = {key for p in sources for key in USED.findall(p.read_text(encoding="utf-8"))}
    assert used, "the pattern finds the keys"
    assert used <= set(catalogue("zh")), used - set(catalogue("zh"))
    prefixes = {prefix for p in sources for prefix in PREFIXED.findall(p.read_text(encoding="utf-8"))}
    assert all(any(k.startswith(prefix) for k in catalogue("zh")) for prefix in prefixes)


def test_every_status_kind_level_and_reason_is_translated() -> None:
    from ledger.certificates.reasons import REASON_CODES
    from ledger.certificates.tables import CERTIFICATE_KINDS, STATUSES

    wanted = {f"status.{s}" for s in (*STATUSES, "invalid_qr", "not_found")}
    wanted |= {f"kind.{k}" for k in CERTIFICATE_KINDS} | {f"level.{n}" for n in range(1, 6)}
    wanted |= {f"reason.{code}" for code in REASON_CODES}
    for lang in LANGUAGES:
        assert wanted <= set(catalogue(lang)), (lang, wanted - set(catalogue(lang)))
