"""The reference point of SPEC §7 for verification: a minimal Litestar + asyncpg primary-key lookup.

    BENCH_BASELINE_DSN=postgresql://... python bench/baseline_app.py --port 8001

One route, `GET /lookup/{code}`: one `pool.fetchrow` by verification code, a small JSON answer. The pool is
asyncpg's with its default settings (including the reset query on release) and the server's pool size; uvicorn
runs exactly as `ledger serve` runs it (one worker, auto loop and HTTP parser, log level info, access log on).
`/health` exists only so the benchmark knows when the process is ready.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

import asyncpg
import uvicorn
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.exceptions import NotFoundException

LOOKUP_SQL = "SELECT verification_code, status, number FROM certificates WHERE verification_code = $1"


@get("/lookup/{code:str}")
async def lookup(code: str, state: State) -> dict[str, str]:
    row = await state.pool.fetchrow(LOOKUP_SQL, code)
    if row is None:
        raise NotFoundException()
    return {"code": row["verification_code"], "status": row["status"], "number": row["number"]}


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app(dsn: str, pool_size: int) -> Litestar:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        app.state.pool = await asyncpg.create_pool(dsn, max_size=pool_size, min_size=min(10, pool_size))
        try:
            yield
        finally:
            await app.state.pool.close()

    return Litestar(route_handlers=[lookup, health], lifespan=[lifespan], debug=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--pool-size", type=int, default=int(os.environ.get("LEDGER_DB_POOL_SIZE", "10")))
    args = parser.parse_args()
    app = create_app(os.environ["BENCH_BASELINE_DSN"], args.pool_size)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
