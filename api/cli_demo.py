"""`ledger demo --scale xinjiang|small`: fill the database with a synthetic province and say how long it took."""

from __future__ import annotations

import asyncio
import time

import click

from api.cli_context import database_of, domain_settings
from ledger.database import migrate


@click.command("demo")
@click.option("--scale", type=click.Choice(["xinjiang", "small"]), default="small", show_default=True)
@click.option(
    "--fraction",
    type=click.FloatRange(0.001, 1.0),
    default=1.0,
    show_default=True,
    help="generate this share of the scale's persons and completions (a machine too small for all)",
)
def demo(scale: str, fraction: float) -> None:
    """Generate a synthetic province (xinjiang ≈ 3.2 M persons, 5 M certificates, 9 M completions) with bulk SQL,
    build the talent rollup, and print the time of each phase. Use an empty database."""
    from ledger.database.engine import make_engine, make_sessionmaker
    from ledger.reference import load as ref
    from ledger.statistics.synthetic import SCALES, generate

    settings = domain_settings()
    url = database_of(settings)
    migrate.upgrade(url)

    async def main() -> dict[str, float]:
        engine = make_engine(url, pool_size=1)
        try:
            async with make_sessionmaker(engine)() as session:
                if not await ref.has_reference_data(session):
                    await ref.load_regions(session, ref.shipped_regions())
                    await ref.load_occupations(session, ref.shipped_occupations())
                timings = await generate(session, SCALES[scale].share(fraction), say=click.echo)
                started = time.perf_counter()
                await session.commit()
                timings["commit"] = time.perf_counter() - started
                return timings
        finally:
            await engine.dispose()

    click.echo(f"generating the {scale!r} province{f' at {fraction:.0%}' if fraction < 1 else ''} …")
    started = time.perf_counter()
    timings = asyncio.run(main())
    click.echo(
        f"loaded in {time.perf_counter() - started:.1f} s ({', '.join(f'{k} {v:.1f} s' for k, v in timings.items())})"
    )
