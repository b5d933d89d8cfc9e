"""ledger.people.names: normalising, matching and masking person names."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.people.names import DOT_LOOKALIKES, MAX_LENGTH, NameError_, mask_name, name_match_key, normalize_name

DOT = "\u00b7"


def error_code(raw: str) -> str:
    with pytest.raises(NameError_) as caught:
        normalize_name(raw)
    return caught.value.code


@pytest.mark.parametrize("lookalike", sorted(DOT_LOOKALIKES | {"\u0387"}))
def test_every_dot_lookalike_between_parts_becomes_the_middle_dot(lookalike: str) -> None:
    assert normalize_name(f"买买提{lookalike}艾力") == f"买买提{DOT}艾力"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  张三  ", "张三"),
        ("买买提 · 艾力", "买买提·艾力"),
        ("买买提 .  艾力", "买买提·艾力"),
        ("阿卜杜拉·买买提·艾力", "阿卜杜拉·买买提·艾力"),
        ("John   Smith", "John Smith"),
        ("John\tSmith", "John Smith"),
        ("张\u3000三", "张 三"),  # ideographic space is whitespace
        ("Jose\u0301", "José"),  # NFC composes the accent
        ("Jean-Luc O'Brien", "Jean-Luc O'Brien"),
        ("𠮷野家", "𠮷野家"),  # CJK extension B
        ("李\U000323af", "李\U000323af"),  # CJK extension H: unassigned in older Unicode tables
        ("王\ue000", "王\ue000"),  # private use, as some registration systems store rare characters
        ("〇明", "〇明"),  # IDEOGRAPHIC NUMBER ZERO is a letter-number used in names
        ("ئەخمەت", "ئەخمەت"),  # Uyghur in Arabic script
        ("单", "单"),  # one character
    ],
)
def test_names_are_normalised(raw: str, expected: str) -> None:
    assert normalize_name(raw) == expected


def test_long_names_are_accepted_up_to_the_bound() -> None:
    name = "阿" * (MAX_LENGTH - 5) + "·艾力克木"
    assert normalize_name(name) == name


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "name_empty"),
        ("   \u3000\t", "name_empty"),
        ("张三1", "name_digit"),
        ("张三１", "name_digit"),
        ("张①", "name_digit"),
        ("张\x00三", "name_control"),
        ("张\x1b三", "name_control"),
        ("张\u200b三", "name_control"),  # zero-width space
        ("张\u202e三", "name_control"),  # right-to-left override
        ("张三!", "name_charset"),
        ("<张三>", "name_charset"),
        ("张三😀", "name_charset"),
        ("·张三", "name_dot"),
        ("张三.", "name_dot"),
        ("买买提..艾力", "name_dot"),
        ("买买提 · · 艾力", "name_dot"),
        ("阿" * (MAX_LENGTH + 1), "name_length"),
    ],
)
def test_bad_names_are_rejected_with_a_stable_code(raw: str, code: str) -> None:
    assert error_code(raw) == code


def test_error_converts_to_a_field_error() -> None:
    with pytest.raises(NameError_) as caught:
        normalize_name("张3")
    field_error = caught.value.field_error("trainee.name", row=2)
    assert (field_error.field, field_error.code, field_error.row) == ("trainee.name", "name_digit", 2)


@given(st.text(max_size=60))
def test_normalising_is_idempotent_and_leaves_no_lookalikes(raw: str) -> None:
    try:
        name = normalize_name(raw)
    except NameError_:
        return
    assert normalize_name(name) == name
    assert name == unicodedata.normalize("NFC", name)
    assert not DOT_LOOKALIKES & set(name)
    assert "  " not in name and name == name.strip()
    assert f" {DOT}" not in name and f"{DOT} " not in name
    assert 1 <= len(name) <= MAX_LENGTH


@pytest.mark.parametrize(
    "variant",
    ["买买提·艾力", "买买提.艾力", "买买提 • 艾力", "买买提．艾力", " 买买提・艾力 ", "买买提‧艾力"],
)
def test_dot_variants_share_a_match_key(variant: str) -> None:
    assert name_match_key(variant) == name_match_key("买买提·艾力")


def test_match_key_ignores_case_width_and_spaces() -> None:
    assert name_match_key("John Smith") == name_match_key("JOHN  SMITH") == name_match_key("Ｊｏｈｎ Ｓｍｉｔｈ")
    assert name_match_key("张 三") == name_match_key("张三")


def test_different_names_have_different_keys() -> None:
    assert name_match_key("张三") != name_match_key("张山")
    assert name_match_key("买买提·艾力") != name_match_key("买买提·艾力江")


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("张小明", "张*明"),
        ("欧阳小明", "欧**明"),
        ("单", "*"),
        ("买买提·艾力", "买买提·艾*"),
        ("阿卜杜拉·买买提·艾力克木", "阿卜杜拉·买买提·艾***"),
        ("买买提·艾", "买买提·*"),
        ("John Smith", "John S****"),
        ("Madonna", "M*****a"),
        ("Jose\u0301 Ba\u0301ez", "José B***"),  # an accent stays with its letter
    ],
)
def test_public_mask(name: str, masked: str) -> None:
    assert mask_name(normalize_name(name)) == masked


cjk = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


@given(st.text(cjk, min_size=2, max_size=12))
def test_mask_of_a_single_word_shows_only_the_ends(name: str) -> None:
    masked = mask_name(name)
    assert len(masked) == len(name)
    assert masked[0] == name[0]
    if len(name) >= 3:
        assert masked[-1] == name[-1]
        assert masked[1:-1] == "*" * (len(name) - 2)
    else:
        assert masked[1:] == "*"


@given(st.lists(st.text(cjk, min_size=1, max_size=6), min_size=2, max_size=4))
def test_mask_of_a_dotted_name_hides_all_but_the_first_character_of_the_last_part(parts: list[str]) -> None:
    name = DOT.join(parts)
    masked = mask_name(name)
    last = parts[-1]
    assert masked.startswith(DOT.join(parts[:-1]) + DOT)
    tail = masked.rsplit(DOT, 1)[1]
    assert len(tail) == len(last)
    assert tail == (last[0] + "*" * (len(last) - 1) if len(last) > 1 else "*")
