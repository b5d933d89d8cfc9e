"""Leaf bytes: version-1 content leaves stay byte-identical; other content versions are named in the leaf."""

from __future__ import annotations

import datetime as dt

from ledger.log.leaf import content_version, decode_leaf, encode_leaf

AT = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)


def test_a_version_1_leaf_has_no_content_version_field() -> None:
    leaf = encode_leaf("course.created", "course:1", {"code": "C"}, AT, "ab" * 32)
    assert leaf == (
        b'{"at":"2026-11-26T12:00:00.000000Z","commitment":"' + b"ab" * 32 + b'","kind":"course.created",'
        b'"refs":{"code":"C"},"subject":"course:1","v":1}'
    )
    assert content_version(decode_leaf(leaf)) == 1


def test_a_later_content_version_is_written_and_read_back() -> None:
    leaf = encode_leaf("course.created", "course:1", {}, AT, "ab" * 32, content_version=2)
    assert b'"cv":2' in leaf
    assert content_version(decode_leaf(leaf)) == 2
