"""The domain's errors cross between processes whole (the writer, api/writer.py; the CPU pool, ledger/cpu.py):
what a clerk is told about rows and fields must not be lost on the way back."""

from __future__ import annotations

import pickle

from ledger.errors import Conflict, FieldError, InvalidInput, NotFound, RuleViolation
from ledger.registration.sheets import SheetRejected, SheetWarning


def test_every_domain_error_pickles_with_its_rows_and_fields() -> None:
    errors = [FieldError("trainee.id_number", "id_checksum", "身份证号校验位错误", row=9_999, column="身份证号")]
    for cls in (InvalidInput, Conflict, RuleViolation, NotFound):
        back = pickle.loads(pickle.dumps(cls("第 9999 行有误", errors=errors)))
        assert type(back) is cls and back.detail == "第 9999 行有误" and back.errors == errors
        assert str(back) == "第 9999 行有误"
    warning = SheetWarning("title_row", "已跳过标题行", row=1)
    rejected = SheetRejected("文件中有 1 处错误", errors=errors, warnings=(warning,), lang="en")
    back = pickle.loads(pickle.dumps(rejected))
    assert type(back) is SheetRejected and back.errors == errors and back.warnings == (warning,)
    assert back.lang == "en"
