"""gradviz.progress: a build's stages reach the listener of its own thread, and the layout
counts its boxes up to the number it draws."""
import threading

import gradviz as torch
from gradviz import progress
from gradviz.layout import collapse
from gradviz.layout.scoped import ScopedLayout
from gradviz.viz.graph_view import node_size

from test_collapse import random_scoped_program


def test_nobody_listening_is_a_no_op_and_blocks_nest():
    progress.report("nobody hears this")
    outer, inner = [], []
    with progress.reporting(lambda *a: outer.append(a)):
        progress.report("a")
        with progress.reporting(lambda *a: inner.append(a)):
            progress.report("b", 1, 2)
        progress.report("c")
    progress.report("d")
    assert outer == [("a", None, None), ("c", None, None)]
    assert inner == [("b", 1, 2)]


def test_a_listener_hears_its_own_thread_only():
    heard, other = [], []

    def elsewhere():
        progress.report("from another thread")
        with progress.reporting(lambda *a: other.append(a)):
            progress.report("its own")

    with progress.reporting(lambda *a: heard.append(a)):
        t = threading.Thread(target=elsewhere)
        t.start()
        t.join()
        progress.report("mine")
    assert heard == [("mine", None, None)]
    assert other == [("its own", None, None)]


def test_the_layout_counts_every_level_it_draws_then_says_drawing():
    G = torch.to_networkx(random_scoped_program(4, 80), {})
    heard = []
    with progress.reporting(lambda *a: heard.append(a)):
        tree = collapse.scope_tree(G)
        open_set = frozenset(tree.scopes)
        ScopedLayout(G, tree, node_size).drawing(open_set, collapse.visible_graph(G, tree, open_set))
    stages = [s for s, _, _ in heard]
    assert stages[0] == "Finding the modules" and stages[-1] == "Drawing"
    counts = [(d, t) for s, d, t in heard if s == "Laying out boxes"]
    levels = 1 + len(tree.scopes)  # the top level and every scope, all open
    assert counts[0] == (0, levels) and counts[-1] == (levels, levels)
    assert [d for d, _ in counts] == list(range(levels + 1))


def test_listener_is_the_callback_of_the_innermost_block_on_this_thread():
    from gradviz import progress

    assert progress.listener() is None

    def outer(*a):
        pass

    def inner(*a):
        pass

    with progress.reporting(outer):
        assert progress.listener() is outer
        with progress.reporting(inner):
            assert progress.listener() is inner
        assert progress.listener() is outer
    assert progress.listener() is None
