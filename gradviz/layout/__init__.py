"""Layered (Sugiyama-style) layout of computation graphs, in pure Python and numpy.

The pipeline, one module per step:

    ranking       which layer each node goes in
    long_edges    dummy nodes where edges skip layers
    ordering      crossing reduction (order within layers)
    coordinates   where layers and nodes sit
    routing       edge polylines through the dummies
    crossings     counting crossings, inside and for any drawing
    layered       layered_layout, which runs them all
    model         the Layout it returns and default node sizes
"""

from .crossings import count_crossings
from .layered import layered_layout
from .model import Layout, default_node_size

__all__ = ["Layout", "count_crossings", "default_node_size", "layered_layout"]
