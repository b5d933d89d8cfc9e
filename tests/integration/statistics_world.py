"""Raw rows for statistics tests, written straight into the tables (as the write path will), and a brute-force
recount of every figure from those raw rows, written independently of `ledger.statistics`."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from ledger.levels import SkillLevel

INSTITUTIONS = (  # code, region, jurisdiction
    ("URUMQI", "650100", "zizhiqu"),
    ("KASHGAR", "653100", "zizhiqu"),
    ("SHUFU", "653121", "zizhiqu"),
    ("SHIHEZI", "659001", "bingtuan"),
)
OCCUPATIONS = ("6-18-01-01", "4-03-02-01", "4-10-01-05")
DOMICILES = ("650102", "653101", "653201", None)


@dataclass
class Raw:
    """Everything the brute-force recount needs, as plain Python values."""

    persons: dict[int, tuple[str, dt.date]] = field(default_factory=dict)  # id → sex, birth date
    institutions: dict[int, tuple[str, str]] = field(default_factory=dict)  # id → region, jurisdiction
    trainees: dict[tuple[int, int], str | None] = field(default_factory=dict)  # (person, institution) → domicile
    certificates: dict[int, dict] = field(default_factory=dict)
    changes: list[tuple[int, int, str, dt.date]] = field(default_factory=list)  # id, certificate, status, effective
    baseline: list[tuple[str, str, int, dt.date, int]] = field(default_factory=list)  # region, jur, level, as_of, n
    regions: dict[str, tuple[str | None, str, bool]] = field(default_factory=dict)  # code → parent, level, south4


class Writer:
    """Inserts raw rows through the session's asyncpg connection (inside the test's transaction)."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.raw = Raw()
        self._serial = itertools.count(1)

    async def load_regions(self) -> None:
        for r in await self.conn.fetch("SELECT code, parent_code, level, south4 FROM regions"):
            self.raw.regions[r["code"]] = (r["parent_code"], r["level"], r["south4"])

    async def institution(self, code: str, region: str, jurisdiction: str) -> int:
        iid = await self.conn.fetchval(
            "INSERT INTO institutions (code, name, kind, region_code, jurisdiction) "
            "VALUES ($1, $1, 'evaluator', $2, $3) RETURNING id",
            code,
            region,
            jurisdiction,
        )
        self.raw.institutions[iid] = (region, jurisdiction)
        return iid

    async def person(self, sex: str, birth: dt.date) -> int:
        n = next(self._serial)
        pid = await self.conn.fetchval(
            "INSERT INTO persons (id_lookup, id_masked, name, name_key, sex, birth_date) "
            "VALUES ($1, '650102********0000', $2, $2, $3, $4) RETURNING id",
            hashlib.sha256(f"person-{n}-{uuid.uuid4()}".encode()).digest(),
            f"人{n}",
            sex,
            birth,
        )
        self.raw.persons[pid] = (sex, birth)
        return pid

    async def trainee(self, person: int, institution: int, domicile: str | None) -> uuid.UUID:
        key = (person, institution)
        row = await self.conn.fetchrow(
            "SELECT id FROM trainees WHERE person_id = $1 AND institution_id = $2", person, institution
        )
        if row:
            return row["id"]
        tid = uuid.uuid4()
        await self.conn.execute(
            "INSERT INTO trainees (id, institution_id, person_id, name, domicile_region_code) "
            "VALUES ($1, $2, $3, 'x', $4)",
            tid,
            institution,
            person,
            domicile,
        )
        self.raw.trainees[key] = domicile
        return tid

    async def completion(
        self,
        person: int,
        institution: int,
        occupation: str,
        completed_on: dt.date,
        *,
        passed: bool = True,
        level: int = 5,
        domicile: str | None = None,
        mode_tags: Iterable[str] = (),
        dual_rule: str = "none",
    ) -> tuple[int, int]:
        n = next(self._serial)
        course = await self.conn.fetchval(
            "INSERT INTO courses (institution_id, code, name, occupation_code, catalogue_version, target_level, "
            "outcome, dual_rule, mode_tags, hours, starts_on, ends_on) VALUES ($1, $2, $2, $3, '2022', $4, "
            "'skill_level', $5, $6::varchar[], 40, $7, $7) RETURNING id",
            institution,
            f"C{n}",
            occupation,
            level,
            dual_rule,
            list(mode_tags),
            completed_on,
        )
        trainee = await self.trainee(person, institution, domicile)
        completion = await self.conn.fetchval(
            "INSERT INTO completions (course_id, trainee_id, completed_on, hours, passed) "
            "VALUES ($1, $2, $3, 40, $4) RETURNING id",
            course,
            trainee,
            completed_on,
            passed,
        )
        return course, completion

    async def certificate(
        self,
        person: int,
        institution: int,
        kind: str,
        level: int | None,
        occupation: str,
        issued_on: dt.date,
        *,
        domicile: str | None = None,
        supersedes: int | None = None,
        course_completion: tuple[int, int] | None = None,
    ) -> int:
        if course_completion is None:
            course_completion = await self.completion(
                person, institution, occupation, issued_on, level=level or 5, domicile=domicile
            )
        course, completion = course_completion
        n = next(self._serial)
        number = (
            f"S000065650101{issued_on:%y}{level}{n:06d}" if kind == "skill_level" else f"{kind[:3].upper()}{n:010d}"
        )
        code = "".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[(n >> (5 * i)) & 31] for i in range(16))
        cid = await self.conn.fetchval(
            "INSERT INTO certificates (kind, number, verification_code, status_index, institution_id, course_id, "
            "completion_id, person_id, occupation_code, level, issued_on, supersedes_id, template_version, snapshot) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'v1', '{}') RETURNING id",
            kind,
            number,
            code,
            n,
            institution,
            course,
            completion,
            person,
            occupation,
            level if kind == "skill_level" else None,
            issued_on,
            supersedes,
        )
        self.raw.certificates[cid] = {
            "id": cid,
            "kind": kind,
            "level": level if kind == "skill_level" else None,
            "occupation": occupation,
            "issued_on": issued_on,
            "person": person,
            "institution": institution,
            "supersedes": supersedes,
            "superseded_by": None,
        }
        if supersedes is not None:
            await self.conn.execute(
                "UPDATE certificates SET status = 'superseded', superseded_by_id = $1 WHERE id = $2", cid, supersedes
            )
            self.raw.certificates[supersedes]["superseded_by"] = cid
            await self.change(supersedes, "superseded", issued_on)
        return cid

    async def reissue(self, certificate: int, on: dt.date) -> int:
        old = self.raw.certificates[certificate]
        row = await self.conn.fetchrow("SELECT course_id, completion_id FROM certificates WHERE id = $1", certificate)
        new = await self.certificate(
            old["person"],
            old["institution"],
            old["kind"],
            old["level"],
            old["occupation"],
            old["issued_on"],
            supersedes=certificate,
            course_completion=(row["course_id"], row["completion_id"]),
        )
        # the superseded change is effective on the reissue day, not the original issue day
        await self.conn.execute(
            "UPDATE certificate_status_changes SET effective_on = $1 WHERE certificate_id = $2 AND status = "
            "'superseded'",
            on,
            certificate,
        )
        self.raw.changes = [c if c[1] != certificate or c[2] != "superseded" else (c[0], c[1], c[2], on)
                            for c in self.raw.changes]  # fmt: skip
        return new

    async def change(self, certificate: int, status: str, effective_on: dt.date) -> None:
        cid = await self.conn.fetchval(
            "INSERT INTO certificate_status_changes (certificate_id, status, reason, effective_on) "
            "VALUES ($1, $2, 'test', $3) RETURNING id",
            certificate,
            status,
            effective_on,
        )
        if status in ("revoked", "suspended", "valid"):
            await self.conn.execute("UPDATE certificates SET status = $1 WHERE id = $2", status, certificate)
        self.raw.changes.append((cid, certificate, status, effective_on))

    async def baseline(self, region: str, jurisdiction: str, level: int, as_of: dt.date, persons: int) -> None:
        await self.conn.execute(
            "INSERT INTO baseline_stock (region_code, jurisdiction, level, as_of, persons) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (region_code, jurisdiction, level) DO UPDATE SET as_of = excluded.as_of, "
            "persons = excluded.persons",
            region,
            jurisdiction,
            level,
            as_of,
            persons,
        )
        self.raw.baseline = [b for b in self.raw.baseline if (b[0], b[1], b[2]) != (region, jurisdiction, level)]
        self.raw.baseline.append((region, jurisdiction, level, as_of, persons))


# ---- brute force -----------------------------------------------------------------------------------------------


def _rank(level: int | None) -> int:
    return SkillLevel.from_code(level).rank if level is not None else 0


def chain_valid_on(raw: Raw, root: int, day: dt.date) -> bool:
    """A reissue chain is one certificate: valid from the root's issue date; its status on `day` is the last
    non-'superseded' change of any member effective on or before `day`."""
    if day < raw.certificates[root]["issued_on"]:
        return False
    members = chain_members(raw, root)
    changes = sorted((c for c in raw.changes if c[1] in members and c[2] != "superseded" and c[3] <= day),
                     key=lambda c: (c[3], c[0]))  # fmt: skip
    return not changes or changes[-1][2] == "valid"


def chain_members(raw: Raw, root: int) -> list[int]:
    out = [root]
    while raw.certificates[out[-1]]["superseded_by"] is not None:
        out.append(raw.certificates[out[-1]]["superseded_by"])
    return out


def top_certificate(raw: Raw, person: int, day: dt.date, kinds: tuple[str, ...]) -> dict | None:
    """The chain that decides `person`'s level and attribution on `day` (its head's fields), or None."""
    best: tuple | None = None
    for cert in raw.certificates.values():
        if cert["person"] != person or cert["supersedes"] is not None or cert["kind"] not in kinds:
            continue
        if not chain_valid_on(raw, cert["id"], day):
            continue
        head = raw.certificates[chain_members(raw, cert["id"])[-1]]
        key = (-_rank(head["level"]), cert["issued_on"], cert["id"])
        if best is None or key < best[0]:
            best = (key, head)
    return best[1] if best else None


def descendants(raw: Raw, code: str) -> set[str]:
    out = {code}
    grew = True
    while grew:
        more = {c for c, (parent, _, _) in raw.regions.items() if parent in out} - out
        out |= more
        grew = bool(more)
    return out


def prefecture(raw: Raw, code: str) -> str:
    while code in raw.regions and raw.regions[code][1] == "county":
        code = raw.regions[code][0] or code
    return code


def age_band(age: int, bands: tuple[int, ...]) -> str:
    if age < bands[0]:
        return f"<{bands[0]}"
    for low, high in itertools.pairwise(bands):
        if low <= age < high:
            return f"{low}-{high - 1}"
    return f"{bands[-1]}+"
