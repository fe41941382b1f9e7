"""Edge-label candidates come in bands (graph_view._label_candidates): the order must be exactly
the one a sort of every candidate gives, which is what decided where labels went before (and
what the screenshots show)."""
from __future__ import annotations

import math
import random

from gradviz.viz import graph_view


def every_candidate_sorted(route, w, h):
    """The reference: every base point times every offset, scored and sorted at once."""
    gap = graph_view.LABEL_GAP
    pts = [(float(x), float(y)) for x, y in route]
    middle = (len(pts) - 2) / 2
    bases = []
    for i in sorted(range(len(pts) - 1), key=lambda i: abs(i - middle)):
        (x0, y0), (x1, y1) = pts[i], pts[i + 1]
        for t in (0.5, 0.35, 0.65, 0.2, 0.8):
            bases.append((x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
    step = h / 2 + gap
    offsets = [(0.0, 0.0)]
    for k in range(1, 7):
        for dx in (0.0, -w / 2, w / 2):
            offsets += [(dx, k * step), (dx, -k * step)]
    offsets += [(w / 2 + gap, 0.0), (-w / 2 - gap, 0.0)]
    scored = sorted((math.hypot(dx, dy) + 4.0 * rank, bx + dx, by + dy)
                    for rank, (bx, by) in enumerate(bases) for dx, dy in offsets)
    return [(x, y) for _, x, y in scored]


def test_banded_candidates_come_in_the_order_of_a_full_sort():
    rng = random.Random(2)
    for trial in range(300):
        n = rng.choice([2, 3, 4, 7, 20, 150])
        # Repeated coordinates and equal scores on purpose: ties are broken by position.
        route = [(rng.uniform(0, 1000) if rng.random() < 0.7 else 100.0,
                  rng.choice([0.0, 50.0, rng.uniform(-100, 100)])) for _ in range(n)]
        w, h = rng.choice([(30.0, 20.0), (60.0, 20.0), (12.0, 18.5), (4.0, 4.0)])
        assert list(graph_view._label_candidates(route, w, h)) == \
            every_candidate_sorted(route, w, h), trial


def test_the_first_candidates_of_a_long_edge_come_without_scoring_all_of_them():
    route = [(float(i), float(i % 3)) for i in range(2000)]  # a weight shared by every step
    gen = graph_view._label_candidates(route, 30.0, 20.0)
    first = [next(gen) for _ in range(5)]
    assert first == every_candidate_sorted(route, 30.0, 20.0)[:5]
    # The generator has scored only the first band of bases, not 2000 segments' worth.
    frame = gen.gi_frame
    assert frame.f_locals["rank"] < 100
