"""Raw rows for statistics tests, written straight into the tables (as the write path will), and a brute-force
recount of every figure from those raw rows, written independently of `ledger.statistics`."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ledger.reference.levels import SkillLevel

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
    courses: dict[int, dict] = field(default_factory=dict)  # id → institution, occupation, level, modes, dual_rule
    completions: dict[int, dict] = field(default_factory=dict)  # id → course, person, institution, on, passed
    awards: dict[int, tuple[int, int]] = field(default_factory=dict)  # completion → companion, skill certificate
    plans: list[dict] = field(default_factory=list)


class Writer:
    """Inserts raw rows through the session's asyncpg connection (inside the test's transaction)."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.raw = Raw()
        self._serial = itertools.count(1)

    async def load_regions(self) -> None:
        for r in await self.conn.fetch("SELECT code, parent_code, level, south4 FROM regions"):
            self.raw.regions[r["code"]] = (r["parent_code"], r["level"], r["south4"])

    async def institution(self, code: str, region: str, jurisdiction: str, kind: str = "evaluator") -> int:
        iid = await self.conn.fetchval(
            "INSERT INTO institutions (code, name, kind, region_code, jurisdiction) "
            "VALUES ($1, $1, $4, $2, $3) RETURNING id",
            code,
            region,
            jurisdiction,
            kind,
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
        level: int | None = 5,
        domicile: str | None = None,
        mode_tags: Iterable[str] = (),
        dual_rule: str = "none",
    ) -> tuple[int, int]:
        """One course (a training-only course when `level` is None) and one trainee's completion of it."""
        n = next(self._serial)
        modes = tuple(mode_tags)
        course = await self.conn.fetchval(
            "INSERT INTO courses (institution_id, code, name, occupation_code, catalogue_version, target_level, "
            "outcome, dual_rule, mode_tags, hours, starts_on, ends_on) VALUES ($1, $2, $2, $3, '2022', $4, "
            "$5, $6, $7::varchar[], 40, $8, $8) RETURNING id",
            institution,
            f"C{n}",
            occupation,
            level,
            "training" if level is None else "skill_level",
            dual_rule,
            list(modes),
            completed_on,
        )
        self.raw.courses[course] = {"institution": institution, "occupation": occupation, "level": level,
                                    "modes": modes, "dual_rule": dual_rule}  # fmt: skip
        trainee = await self.trainee(person, institution, domicile)
        completion = await self.conn.fetchval(
            "INSERT INTO completions (course_id, trainee_id, completed_on, hours, passed) "
            "VALUES ($1, $2, $3, 40, $4) RETURNING id",
            course,
            trainee,
            completed_on,
            passed,
        )
        self.raw.completions[completion] = {"course": course, "person": person, "institution": institution,
                                            "on": completed_on, "passed": passed}  # fmt: skip
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
        imported: bool = False,  # an imported legacy 职业资格证书: from no course, and it may carry a level
    ) -> int:
        if course_completion is None and not imported:
            course_completion = await self.completion(
                person, institution, occupation, issued_on, level=level or 5, domicile=domicile
            )
        course, completion = course_completion or (None, None)
        level = level if kind == "skill_level" or imported else None
        n = next(self._serial)
        if kind == "skill_level":
            number = f"S000065650101{issued_on:%y}{level}{n:06d}"
        elif kind == "legacy_qualification":  # a 职业资格证书 number is 16 digits
            number = f"{n:016d}"
        else:
            number = f"{kind[:3].upper()}{n:010d}"
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
            level,
            issued_on,
            supersedes,
        )
        self.raw.certificates[cid] = {
            "id": cid,
            "kind": kind,
            "level": level,
            "occupation": occupation,
            "issued_on": issued_on,
            "person": person,
            "institution": institution,
            "course": course,
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

    async def legacy(
        self, person: int, region: str, level: int | None, occupation: str, issued_on: dt.date, domicile: str | None
    ) -> int:
        """A legacy certificate imported person by person (ledger/legacy.py): issued by the region's archive
        institution, with the holder's domicile as the archive records it."""
        archive = await self.conn.fetchval("SELECT id FROM institutions WHERE code = $1", f"ARCHIVE-{region}")
        if archive is None:
            jurisdiction = "bingtuan" if region.startswith("659") else "zizhiqu"
            archive = await self.institution(f"ARCHIVE-{region}", region, jurisdiction, kind="archive")
        await self.trainee(person, archive, domicile)
        return await self.certificate(
            person, archive, "legacy_qualification", level, occupation, issued_on, imported=True
        )

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

    async def award(self, completion: int, rule: str, companion: int, skill: int) -> None:
        """A dual award (一培双证 / 一考双证): the companion and the skill certificate of one completion."""
        await self.conn.execute(
            "INSERT INTO dual_awards (id, completion_id, rule, companion_certificate_id, skill_certificate_id) "
            "VALUES ($1, $2, $3, $4, $5)",
            uuid.uuid4(),
            completion,
            rule,
            companion,
            skill,
        )
        self.raw.awards[completion] = (companion, skill)

    async def plan(self, code: str, metric: str, region: str, jurisdiction: str, span: tuple[dt.date, dt.date],
                   target: int) -> None:  # fmt: skip
        await self.conn.execute(
            "INSERT INTO plan_targets (code, name, metric, region_code, jurisdiction, starts_on, ends_on, target) "
            "VALUES ($1, $1, $2, $3, $4, $5, $6, $7)",
            code,
            metric,
            region,
            jurisdiction,
            *span,
            target,
        )
        self.raw.plans.append({"code": code, "metric": metric, "region": region, "jurisdiction": jurisdiction,
                               "starts_on": span[0], "ends_on": span[1], "target": target})  # fmt: skip

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


# ---- brute force of the flows (volume.py): training, certificates, dual awards, new high-skill talent ----------

# Flows count the ledger only: imported legacy certificates are the baseline, which no flow includes.
LEDGER_KINDS = ("skill_level",)
HIGH = (1, 2, 3)  # 三级/高级工 and above
BANDS = (16, 25, 35, 45, 55)
Tally = dict[tuple[tuple, str], set]


@dataclass(frozen=True)
class Where:
    """A query's scope: region (with everything below it; the root also takes unknown regions), jurisdiction and
    attribution basis."""

    codes: frozenset[str]
    root: bool
    jurisdiction: str = "all"
    basis: str = "institution"

    @classmethod
    def of(cls, raw: Raw, region: str, jurisdiction: str = "all", basis: str = "institution") -> Where:
        return cls(frozenset(descendants(raw, region)), raw.regions[region][0] is None, jurisdiction, basis)

    def region(self, raw: Raw, person: int, institution: int) -> str | None:
        """The region a record of `person` at `institution` is counted under, or None when it is out of scope."""
        region, jurisdiction = raw.institutions[institution]
        if self.basis == "domicile":
            region = raw.trainees.get((person, institution)) or ""
        if self.jurisdiction not in ("all", jurisdiction):
            return None
        return region if region in self.codes or (self.root and region == "") else None


def labels(raw: Raw, dims: tuple[str, ...], person: int, region: str, fields: dict, age_year: int) -> tuple:
    """The group a record falls in, as the report labels it; `fields` has level, occupation, on and mode."""
    sex, birth = raw.persons[person]
    south4 = raw.regions[region][2] if region else None
    values = {
        "region": region,
        "prefecture": prefecture(raw, region) if region else "",
        "south4": {True: "南疆四地州", False: "其他地区", None: "未知"}[south4],
        "level": fields["level"],
        "occupation_group": fields["occupation"][0],
        "occupation": fields["occupation"],
        "gender": {"M": "男", "F": "女"}[sex],
        "age_band": age_band(age_year - birth.year, BANDS),
        "year": fields["on"].year,
        "mode": fields.get("mode") or "无",
    }
    return tuple(values[d] for d in dims)


def _modes(raw: Raw, course: int | None, dims: tuple[str, ...]) -> tuple[str | None, ...]:
    """Grouped by mode, a record counts under each tag of its course (under none when it has no tag)."""
    tags = raw.courses[course]["modes"] if course in raw.courses else ()
    return (tags or (None,)) if "mode" in dims else (None,)


def _figures(tally: Tally) -> Counter:
    return +Counter({k: len(v) for k, v in tally.items()})


def training(raw: Raw, where: Where, start: dt.date, end: dt.date, dims: tuple[str, ...]) -> Counter:
    """Passed completions in [start, end]: person-times (one per completion) and distinct persons."""
    tally: Tally = defaultdict(set)
    for cid, c in raw.completions.items():
        region = where.region(raw, c["person"], c["institution"])
        if not c["passed"] or not start <= c["on"] <= end or region is None:
            continue
        course = raw.courses[c["course"]]
        for mode in _modes(raw, c["course"], dims):
            key = labels(raw, dims, c["person"], region, {**course, "on": c["on"], "mode": mode}, end.year)
            tally[(key, "person_times")].add(cid)
            tally[(key, "persons")].add(c["person"])
    return _figures(tally)


def certificates(raw: Raw, where: Where, start: dt.date, end: dt.date, dims: tuple[str, ...]) -> Counter:
    """Original skill certificates issued in [start, end], whatever became of them later."""
    tally: Tally = defaultdict(set)
    for cert in raw.certificates.values():
        if cert["supersedes"] is not None or cert["kind"] not in LEDGER_KINDS or not start <= cert["issued_on"] <= end:
            continue
        region = where.region(raw, cert["person"], cert["institution"])
        if region is None:
            continue
        for mode in _modes(raw, cert["course"], dims):
            key = labels(raw, dims, cert["person"], region, {**cert, "on": cert["issued_on"], "mode": mode}, end.year)
            tally[(key, "certificates")].add(cert["id"])
            tally[(key, "persons")].add(cert["person"])
    return _figures(tally)


def dual(raw: Raw, where: Where, start: dt.date, end: dt.date, dims: tuple[str, ...]) -> Counter:
    """Completions (passed or not) of dual-rule courses in [start, end], their awards, and the awards whose two
    certificates (a reissue standing in for its predecessor) are both valid on `end`."""
    tally: Tally = defaultdict(set)
    for cid, c in raw.completions.items():
        course = raw.courses[c["course"]]
        region = where.region(raw, c["person"], c["institution"])
        if course["dual_rule"] == "none" or not start <= c["on"] <= end or region is None:
            continue
        award = raw.awards.get(cid)
        for mode in _modes(raw, c["course"], dims):
            key = labels(raw, dims, c["person"], region, {**course, "on": c["on"], "mode": mode}, end.year)
            tally[(key, "completions")].add(cid)
            if award is not None:
                tally[(key, "awards")].add(cid)
                if all(chain_valid_on(raw, certificate, end) for certificate in award):
                    tally[(key, "complete_awards")].add(cid)
    return _figures(tally)


def new_high_skill(raw: Raw, where: Where, start: dt.date, end: dt.date, dims: tuple[str, ...]) -> Counter:
    """(a) first_reached: persons whose top valid ledger certificate is first 三级 or above on a day in [start, end],
    counted under that certificate; (b) obtained: persons issued an original 三级-or-above skill certificate in
    [start, end], counted under the first one (issue date, then id)."""
    tally: Tally = defaultdict(set)
    for person in raw.persons:
        mine = {c["id"]: c for c in raw.certificates.values() if c["person"] == person}
        days = sorted({c["issued_on"] for c in mine.values()} | {ch[3] for ch in raw.changes if ch[1] in mine})
        reached = [(on, head) for on in days if (head := top_certificate(raw, person, on, LEDGER_KINDS)) is not None
                   and head["level"] in HIGH]  # fmt: skip
        originals = [c for c in mine.values() if c["supersedes"] is None and c["kind"] == "skill_level"]
        obtained = sorted(
            (c["issued_on"], c["id"], c) for c in originals if c["level"] in HIGH and start <= c["issued_on"] <= end
        )
        for figure, firsts in (("first_reached", reached), ("obtained", [(on, c) for on, _, c in obtained])):
            for on, cert in firsts[:1]:
                region = where.region(raw, person, cert["institution"])
                if start <= on <= end and region is not None:
                    tally[(labels(raw, dims, person, region, {**cert, "on": on}, end.year), figure)].add(person)
    return _figures(tally)
