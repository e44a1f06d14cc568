"""A group's observation from magent2's raw GridWorld, safe when the group is empty.

magent2 0.3.4's `GridWorld::get_observation` in minimap mode reads `agents[0]` of the observed
group; for a group with no agents left that is an out-of-bounds read. It crashed a default battle
run with a segmentation fault (team 0 wiped out, then its final observation read), so an empty
group is answered here without calling the engine. The engine also divides each group's minimap by
its head count, 0/0 = NaN once a group is empty: non-finite values are set to 0.
"""

from __future__ import annotations

import numpy as np


def group_observation(env, handle) -> tuple[np.ndarray, np.ndarray]:
    """(views, features) of the group's live agents as finite float32 copies (the engine reuses its buffers)."""
    if env.get_num(handle) == 0:
        view_shape = tuple(int(d) for d in env.get_view_space(handle))
        feature_size = int(env.get_feature_space(handle)[0])
        return np.zeros((0, *view_shape), np.float32), np.zeros((0, feature_size), np.float32)
    view, features = env.get_observation(handle)
    return (np.nan_to_num(view, nan=0.0, posinf=0.0, neginf=0.0), np.nan_to_num(features, nan=0.0, posinf=0.0, neginf=0.0))
