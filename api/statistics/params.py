"""The query parameters of the statistics routes, and the one they refuse (`k`: the bureau sets it)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from litestar.exceptions import HTTPException
from litestar.params import Parameter, QueryParameter

Format = Literal["json", "csv", "xlsx"]

GroupBy = Annotated[
    list[str] | None,
    Parameter(description="any of region, prefecture, south4, level, occupation_group, occupation, gender, "
              "age_band, year, mode (comma-separated or repeated)"),
]  # fmt: skip
Region = Annotated[str | None, Parameter(description="a region within the key's scope (default: the key's region)")]
Jurisdiction = Annotated[Literal["all", "zizhiqu", "bingtuan"], Parameter(description="自治区, 兵团 or all (全疆)")]
Basis = Annotated[Literal["institution", "domicile"], Parameter(description="region of the institution or domicile")]
AgeBands = Annotated[str | None, Parameter(description="lower bounds of the age bands, e.g. 16,25,35,45,55")]
From = Annotated[dt.date | None, QueryParameter(name="from", description="first day of the period (default 1 Jan)")]
To = Annotated[dt.date | None, QueryParameter(name="to", description="last day of the period (default today)")]
Output = Annotated[Format, QueryParameter(name="format")]
RefusedK = Annotated[
    str | None,
    Parameter(max_length=100, description="refused (400): the publication threshold is the bureau's setting "
              "LEDGER_PUBLISH_K, never the request's, so that tables cannot be differenced by varying it"),
]  # fmt: skip
K_REFUSED = (
    "发布阈值 k 由局方设置（LEDGER_PUBLISH_K），请求不能指定；去掉 k 参数即可。"
    " / k is set by the bureau (LEDGER_PUBLISH_K), not per request: leave the k parameter out."
)


def refuse_k(k: str | None) -> None:
    """A request naming k is refused loudly: with k per request, a cell of v persons shows at k = v and hides at
    k = v + 1, so any cell could be recovered (docs/statistics.md, "Publication")."""
    if k is not None:
        raise HTTPException(status_code=400, detail=K_REFUSED)
