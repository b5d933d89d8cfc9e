"""ledger.statistics.spells: a person's talent timeline from their certificates, without a database.

The property: the spells computed from any certificate history answer "is this person 技能人才 on T, and which
certificate (level, region, occupation …) decides it" exactly as a day-by-day brute force of SPEC §2.1/§2.6 does."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from ledger.statistics.spells import CertificateFacts, Spell, person_spells

START = dt.date(2024, 1, 1)
COUNTED = ("skill_level", "legacy_qualification")
RANK = {5: 1, 4: 2, 3: 3, 2: 4, 1: 5}  # a lower code is a higher level; no level ranks below every level


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def cert(
    id: int,
    issued: int,
    level: int | None = 4,
    *,
    kind: str = "skill_level",
    supersedes: int | None = None,
    superseded_by: int | None = None,
    region: str = "650100",
) -> CertificateFacts:
    return CertificateFacts(id, 7, kind, supersedes, superseded_by, day(issued), level, "6-18-01-01", region,
                            "zizhiqu", "653100")  # fmt: skip


def spells(certificates: list[CertificateFacts], changes: dict | None = None, kinds=COUNTED, layer="B") -> list:
    return person_spells(7, "F", 1990, certificates, changes or {}, kinds, layer)


def spans(result: list[Spell]) -> list[tuple[int, int | None, int, int]]:
    """(from, to, deciding certificate, level) with days as offsets from START."""
    return [
        (
            (s.valid_from - START).days,
            None if s.valid_to is None else (s.valid_to - START).days,
            s.certificate_id,
            s.level,
        )
        for s in result
    ]


def test_one_certificate_is_one_open_spell_carrying_what_it_is_counted_under() -> None:
    [spell] = spells([cert(1, 10, 3)], layer="A")
    assert spell == Spell(7, day(10), None, 1, 3, "650100", "653100", "zizhiqu", "6-18-01-01", "F", 1990, "A")


def test_revocation_and_reinstatement_cut_the_spell() -> None:
    changes = {1: [(day(20), 1, "revoked"), (day(30), 2, "valid")]}
    assert spans(spells([cert(1, 10)], changes)) == [(10, 20, 1, 4), (30, None, 1, 4)]


def test_a_change_dated_before_issue_applies_from_issue() -> None:
    assert spells([cert(1, 10)], {1: [(day(5), 1, "revoked")]}) == []
    assert spans(spells([cert(1, 10)], {1: [(day(5), 1, "suspended"), (day(12), 2, "valid")]})) == [(12, None, 1, 4)]


def test_the_same_day_latest_change_wins_by_id() -> None:
    changes = {1: [(day(20), 9, "valid"), (day(20), 3, "revoked")]}
    assert spans(spells([cert(1, 10)], changes)) == [(10, None, 1, 4)]


def test_the_highest_level_decides_and_the_lower_one_returns_when_it_goes() -> None:
    certificates = [cert(1, 10, 4), cert(2, 40, 3, region="653100")]
    result = spells(certificates, {2: [(day(60), 1, "revoked")]})
    assert spans(result) == [(10, 40, 1, 4), (40, 60, 2, 3), (60, None, 1, 4)]
    assert [s.region_code for s in result] == ["650100", "653100", "650100"]


def test_a_lower_level_later_changes_nothing() -> None:
    assert spans(spells([cert(1, 10, 2), cert(2, 40, 5)])) == [(10, None, 1, 2)]


def test_ties_go_to_the_earlier_start_then_the_lower_id() -> None:
    assert spans(spells([cert(2, 40, 3), cert(1, 10, 3)])) == [(10, None, 1, 3)]
    assert spans(spells([cert(5, 10, 3), cert(4, 10, 3)])) == [(10, None, 4, 3)]


def test_a_certificate_without_level_counts_below_every_level() -> None:
    result = spells([cert(1, 10, None, kind="legacy_qualification"), cert(2, 20, 5)])
    assert spans(result) == [(10, 20, 1, 0), (20, None, 2, 5)]


def test_a_reissue_chain_is_one_certificate_from_the_first_issue_with_the_latest_content() -> None:
    certificates = [cert(1, 10, 4, superseded_by=2), cert(2, 50, 4, supersedes=1, region="653100")]
    [spell] = spells(certificates)
    assert (spell.valid_from, spell.valid_to, spell.certificate_id, spell.region_code) == (day(10), None, 1, "653100")
    # a revocation of any member ends the chain
    assert spans(spells(certificates, {2: [(day(70), 1, "revoked")]})) == [(10, 70, 1, 4)]


def test_only_the_counted_kinds_count() -> None:
    certificates = [cert(1, 10, None, kind="training"), cert(2, 20, None, kind="special_ability")]
    assert spells(certificates) == []
    assert spans(spells(certificates, kinds=(*COUNTED, "special_ability"))) == [(20, None, 2, 0)]


def test_a_stretch_decided_by_one_certificate_across_another_ones_changes_is_one_spell() -> None:
    certificates = [cert(1, 10, 2), cert(2, 20, 4)]
    assert spans(spells(certificates, {2: [(day(30), 1, "revoked"), (day(40), 2, "valid")]})) == [(10, None, 1, 2)]


# --- the property --------------------------------------------------------------------------------------------

HORIZON = 120

history_st = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(("skill_level", "skill_level", "legacy_qualification", "training")),
            "level": st.one_of(st.none(), st.integers(1, 5)),
            "issued": st.integers(0, 90),
            "reissues": st.lists(st.tuples(st.integers(0, 30), st.integers(1, 5)), max_size=2),
            "changes": st.lists(
                st.tuples(st.integers(-10, 110), st.sampled_from(("revoked", "suspended", "valid"))), max_size=4
            ),
            "region": st.sampled_from(("650100", "653100", "659001")),
        }
    ),
    max_size=5,
)


def build(history: list[dict]) -> tuple[list[CertificateFacts], dict[int, list[tuple[dt.date, int, str]]]]:
    """Certificates (roots and their reissues) and status changes spread over a chain's members."""
    certificates: list[CertificateFacts] = []
    changes: dict[int, list[tuple[dt.date, int, str]]] = defaultdict(list)
    next_id, change_id = 1, 1
    for h in history:
        level = {"skill_level": h["level"] or 5, "training": None}.get(h["kind"], h["level"])
        members = [(next_id, h["issued"], level, h["region"])]
        for after, reissued_level in h["reissues"]:
            members.append((next_id + len(members), members[-1][1] + after, reissued_level if level else level,
                            "650100" if members[-1][3] != "650100" else "653100"))  # fmt: skip
        for i, (cid, issued, lv, region) in enumerate(members):
            certificates.append(cert(cid, issued, lv, kind=h["kind"], region=region,
                                     supersedes=members[i - 1][0] if i else None,
                                     superseded_by=members[i + 1][0] if i + 1 < len(members) else None))  # fmt: skip
        for n, (on, status) in enumerate(h["changes"]):
            changes[members[n % len(members)][0]].append((day(on), change_id, status))
            change_id += 1
        next_id += len(members)
    return certificates, dict(changes)


def brute_force(certificates: list[CertificateFacts], changes: dict, on: dt.date) -> tuple | None:
    """Who decides on day `on`, straight from the rules: every counted chain valid that day, the highest level,
    then the earliest first issue, then the lowest id; the chain's latest member gives what is counted."""
    by_id = {c.id: c for c in certificates}
    candidates = []
    for root in certificates:
        if root.supersedes_id is not None or root.kind not in COUNTED or on < root.issued_on:
            continue
        members = [root]
        while members[-1].superseded_by_id is not None:
            members.append(by_id[members[-1].superseded_by_id])
        effective = sorted((d, i, s) for m in members for d, i, s in changes.get(m.id, ()) if d <= on)
        if effective and effective[-1][2] != "valid":
            continue
        head = members[-1]
        candidates.append(((-RANK.get(head.level or 0, 0), root.issued_on, root.id), root.id, head))
    if not candidates:
        return None
    _, root_id, head = min(candidates)
    return (root_id, head.level or 0, head.region_code)


@given(history_st)
def test_spells_answer_every_day_as_a_brute_force_does(history: list[dict]) -> None:
    certificates, changes = build(history)
    result = person_spells(7, "F", 1990, certificates, changes, COUNTED)
    for a, b in pairwise(result):
        assert a.valid_to is not None and a.valid_to <= b.valid_from  # in order, never overlapping
        assert not (a.valid_to == b.valid_from and a.certificate_id == b.certificate_id)  # and as long as can be
    for n in range(-5, HORIZON + 60):
        on = day(n)
        covering = [s for s in result if s.valid_from <= on and (s.valid_to is None or on < s.valid_to)]
        assert len(covering) <= 1
        got = (covering[0].certificate_id, covering[0].level, covering[0].region_code) if covering else None
        assert got == brute_force(certificates, changes, on), on
