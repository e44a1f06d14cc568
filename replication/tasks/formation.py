"""Battle's starting formations (the reference code's `generate_map`), apart from the engine: the
config's validation and the task both read them, and neither needs magent2 for it."""

from __future__ import annotations

import math


def formation(map_size: int, agents: int, left: bool) -> list[list[int]]:
    """The reference code's square formation: ⌈√n⌉ columns 2 apart, 3 cells from the middle."""
    columns = math.ceil(math.sqrt(agents))
    side = columns * 2
    gap = 3
    xs = (
        range(map_size // 2 - gap - side, map_size // 2 - gap, 2)
        if left
        else range(map_size // 2 + gap, map_size // 2 + gap + side, 2)
    )
    ys = range((map_size - side) // 2, (map_size - side) // 2 + side, 2)
    cells = [[x, y, 0] for x in xs for y in ys if 0 < x < map_size - 1 and 0 < y < map_size - 1]
    return cells[:agents]


def check_fits(map_size: int, agents: int) -> None:
    """Raise ValueError if the map cannot hold both formations."""
    if map_size < 12:
        raise ValueError(f"map_size: magent2 needs at least 12, got {map_size}")
    placed = len(formation(map_size, agents, True))
    if placed < agents:
        raise ValueError(
            f"map_size {map_size} holds only {placed} agents per side in formation; "
            f"agents_per_side = {agents} needs a map of at least {minimum_map_size(agents)}"
        )


def minimum_map_size(agents: int) -> int:
    size = 12
    while len(formation(size, agents, True)) < agents:
        size += 1
    return size
