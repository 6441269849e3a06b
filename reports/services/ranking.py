from __future__ import annotations

from collections.abc import Iterable


def competition_ranks(items: Iterable[tuple[object, float]]) -> dict[object, int]:
    """Rank by value, highest first; values equal at 2 decimals share a rank and the next rank skips
    (1, 2, 2, 4), as in the official rankings."""
    ordered = sorted(items, key=lambda item: -round(item[1], 2))
    ranks: dict[object, int] = {}
    previous = None
    for position, (key, value) in enumerate(ordered, start=1):
        rounded = round(value, 2)
        if rounded != previous:
            rank = position
            previous = rounded
        ranks[key] = rank
    return ranks
