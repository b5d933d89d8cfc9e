"""How far the holder check's budget keeps an ID number out of reach: the candidates a masked ID number leaves and
the days a guesser needs, for the residual-risk figures of docs/verification.md.

A certificate copy shows the full name, the masked ID number (650102********0520: the region, then eight hidden
digits, the birth date, then the sequence digits and the check character) and the code. The hidden eight digits are a
calendar date; the visible check character keeps about one in eleven of them. Run: `python -m bench.holder_check_odds`.
"""

from __future__ import annotations

import datetime as dt
import platform

from ledger.people.identity import check_char

MASKED = "650102********0520"


def candidates(masked: str, first_year: int, last_year: int) -> int:
    head, tail = masked[:6], masked[14:]
    day, found = dt.date(first_year, 1, 1), 0
    while day.year <= last_year:
        body = head + day.strftime("%Y%m%d") + tail[:3]
        found += check_char(body) == tail[3]
        day += dt.timedelta(days=1)
    return found


def main() -> None:
    print(f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}")
    budget, window_days = 5, 1
    print(f"budget: {budget} failed checks per certificate per {window_days * 24} h, whatever the address")
    print("| birth years the guesser assumes | candidates | expected days to hit (half) | days to try all |")
    print("|---|---|---|---|")
    for first, last in ((1990, 1991), (1985, 1994), (1970, 2007)):
        n = candidates(MASKED, first, last)
        print(f"| {first}–{last} ({last - first + 1} years) | {n} | {n / 2 / budget:.1f} | {n / budget:.1f} |")
    print(
        "without the budget, at 5 requests a minute per address: the 2-year case falls in "
        f"{candidates(MASKED, 1990, 1991) / 5:.0f} minutes from one address"
    )


if __name__ == "__main__":
    main()
