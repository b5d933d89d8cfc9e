"""A person's talent timeline from their certificates, in plain Python (no database): the rules of SPEC §2.1/§2.6.

- counted kinds: skill_level and legacy_qualification (special_ability never: docs/configuration.md);
- a reissue chain (supersedes_id → …) is one certificate, valid from the first certificate's issued_on; its status
  on a date is the latest status change (other than 'superseded') of any member effective on or before that date
  (changes in effective-date order, then id order);
- a person is 技能人才 on T when at least one chain is valid on T; the chain with the highest rank (then the earliest
  start, then the lowest id) decides the person's level, region, domicile, jurisdiction and occupation on T.

A *spell* is a stretch [valid_from, valid_to) over which that deciding chain stays the same (valid_to None = still
holds). `refresh.py` feeds this module rows it has read and writes the spells and the rollup it derives.

Legacy 职业资格证书 are the baseline (pre-ledger stock loaded by an administrator), and reports can leave the baseline
out. A person without one has one timeline, valid for both views (layer B); a person with one has two: with their
legacy certificates (layer A) and without them (layer L). A report reads layers B + A, or B + L.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ledger.reference.levels import SkillLevel

_RANK = {lv.digit: lv.rank for lv in SkillLevel.certificate_levels() if lv.digit is not None}


class CertificateFacts(NamedTuple):
    """What the timeline needs of one certificate (the institution's region and jurisdiction, the domicile its
    trainee row recorded, '' when none)."""

    id: int
    person_id: int
    kind: str
    supersedes_id: int | None
    superseded_by_id: int | None
    issued_on: dt.date
    level: int | None
    occupation_code: str
    region_code: str
    jurisdiction: str
    domicile_code: str


class Spell(NamedTuple):
    """One row of `talent_spells` (without its id)."""

    person_id: int
    valid_from: dt.date
    valid_to: dt.date | None
    certificate_id: int  # the chain's first certificate
    level: int  # 0 = a counted certificate without level
    region_code: str
    domicile_code: str
    jurisdiction: str
    occupation_code: str
    sex: str
    birth_year: int
    layer: str = "B"  # B = both views, A = with the baseline's legacy certificates only, L = ledger only


@dataclass(frozen=True, slots=True)
class _Chain:
    root_id: int
    start_on: dt.date
    rank: int
    head: CertificateFacts
    intervals: tuple[tuple[dt.date, dt.date | None], ...]


def _valid_intervals(
    start: dt.date, changes: Iterable[tuple[dt.date, int, str]]
) -> tuple[tuple[dt.date, dt.date | None], ...]:
    """The stretches a chain is valid, from its start and its members' (effective_on, id, status) changes."""
    points: list[tuple[dt.date, str]] = [(start, "valid")]
    for effective, _, status in sorted(changes):
        on = max(effective, start)
        if points[-1][0] == on:
            points[-1] = (on, status)
        else:
            points.append((on, status))
    out: list[tuple[dt.date, dt.date | None]] = []
    for i, (on, status) in enumerate(points):
        if status != "valid":
            continue
        until = points[i + 1][0] if i + 1 < len(points) else None
        if out and out[-1][1] == on:
            out[-1] = (out[-1][0], until)
        else:
            out.append((on, until))
    return tuple(out)


def person_spells(
    person_id: int,
    sex: str,
    birth_year: int,
    certificates: Sequence[CertificateFacts],
    changes: Mapping[int, Sequence[tuple[dt.date, int, str]]],
    kinds: Iterable[str],
    layer: str = "B",
) -> list[Spell]:
    """The spells of one person from all their certificates and the non-'superseded' status changes per
    certificate id, in date order. Adjacent stretches decided by the same chain are one spell."""
    counted = set(kinds)
    by_id = {c.id: c for c in certificates}
    chains: list[_Chain] = []
    for root in certificates:
        if root.supersedes_id is not None or root.kind not in counted:
            continue
        members = [root]
        while members[-1].superseded_by_id is not None and members[-1].superseded_by_id in by_id:
            members.append(by_id[members[-1].superseded_by_id])
        head = members[-1]
        chain_changes = [change for m in members for change in changes.get(m.id, ())]
        intervals = _valid_intervals(root.issued_on, chain_changes)
        if intervals:
            rank = _RANK.get(head.level, 0) if head.level is not None else 0
            chains.append(_Chain(root.id, root.issued_on, rank, head, intervals))
    if not chains:
        return []
    if len(chains) == 1:
        only = chains[0]
        return [_spell(person_id, sex, birth_year, only, f, t, layer) for f, t in only.intervals]
    chains.sort(key=lambda ch: (-ch.rank, ch.start_on, ch.root_id))  # the deciding order: the first valid decides
    bounds = sorted({b for ch in chains for f, t in ch.intervals for b in (f, t) if b is not None})
    out: list[Spell] = []
    for i, on in enumerate(bounds):
        best = next((ch for ch in chains for f, t in ch.intervals if f <= on and (t is None or t > on)), None)
        if best is None:
            continue
        until = bounds[i + 1] if i + 1 < len(bounds) else None
        if out and out[-1].certificate_id == best.root_id and out[-1].valid_to == on:
            out[-1] = out[-1]._replace(valid_to=until)
        else:
            out.append(_spell(person_id, sex, birth_year, best, on, until, layer))
    return out


def _spell(
    person_id: int,
    sex: str,
    birth_year: int,
    chain: _Chain,
    valid_from: dt.date,
    valid_to: dt.date | None,
    layer: str,
) -> Spell:
    head = chain.head
    return Spell(person_id, valid_from, valid_to, chain.root_id, head.level or 0, head.region_code,
                 head.domicile_code, head.jurisdiction, head.occupation_code, sex, birth_year, layer)  # fmt: skip


__all__ = ["CertificateFacts", "Spell", "person_spells"]
