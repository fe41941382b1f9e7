"""Scopes: which modules (or named blocks of code) were running when an op was recorded.

Every ``Node`` takes the module-level ``current`` tuple when it is created (one attribute
read on the hot path); ``nn.Module.__call__`` and ``with gradviz.scope("name"):`` push a
``Frame`` onto it for the duration of their body. The graph export turns each node's frames
into the ``scope`` attribute: a tuple of names, outermost first, ``()`` at the top level.

Names. A module called while no other module runs is the *outermost* module: its frame is named
after its class (``GPT``); every module called inside it is named by its qualified name in the
outermost module (``blocks.3.attn``, as ``named_modules`` spells it). A module that is not a
registered submodule of the outermost one (kept in a plain list, say) is named by its class.
``gradviz.scope(name)`` pushes ``name`` as given.

Each call is a scope of its own: an RNN cell called 50 times gives 50 scopes, which the
export names ``RNNCell``, ``RNNCell#2``, ... ``RNNCell#50`` (numbered per graph, in the order
the calls ran, so the same program gives the same names in every process). Keeping calls apart
is what keeps a collapsed graph acyclic: a call records its ops in one uninterrupted stretch,
so a box standing for one call can never be both upstream and downstream of the same node.

Recording is per process, not per thread: ops recorded on several threads at once would see
each other's scopes.
"""
from __future__ import annotations

import itertools
from contextlib import contextmanager

__all__ = ["scope", "Frame", "current_scope", "frame_names", "parameter_name"]

# The running scopes, outermost first. Read by Node.__init__ for every recorded op.
current: tuple = ()

# The outermost module running (its qualified-name table names the modules inside it).
_outermost = None

_serial = itertools.count()


class Frame:
    """One running scope: a module call or a ``gradviz.scope`` block."""

    __slots__ = ("name", "module_class", "serial", "parent", "module", "path", "__weakref__")

    def __init__(self, name: str, module_class: str | None, parent: "Frame | None",
                 module=None, path: str = ""):
        self.name = name
        self.module_class = module_class  # None for a gradviz.scope block
        self.serial = next(_serial)
        self.parent = parent
        # The module called and its qualified name in the outermost module ("" for the
        # outermost itself): what names the parameters it used (``parameter_name``). Held
        # strongly, as the graph holds the parameters: a model built inside a function and
        # dropped after its forward still names them.
        self.module = module
        self.path = path

    def __repr__(self) -> str:
        kind = self.module_class or "scope"
        return f"<Frame {self.name!r} ({kind}) #{self.serial}>"


def current_scope() -> tuple:
    """The names of the running scopes, outermost first (``()`` outside every scope)."""
    return tuple(f.name for f in current)


@contextmanager
def scope(name: str):
    """Name a group of ops: ``with gradviz.scope("attention"): ...``.

    The ops recorded inside get ``"attention"`` appended to their ``scope``; in the explorer
    they can be collapsed into one box. Scopes nest, with each other and with module calls."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"scope() needs a non-empty string name, got {name!r}")
    global current
    saved = current
    current = saved + (Frame(name, None, saved[-1] if saved else None),)
    try:
        yield
    finally:
        current = saved


def enter_module(module) -> tuple:
    """Push the frame of a module call; returns what ``exit_module`` needs to pop it."""
    global current, _outermost
    saved, saved_outer = current, _outermost
    if saved_outer is None:
        _outermost = module
        name, path = type(module).__name__, ""
    else:
        name = path = _qualified_name(saved_outer, module)
    current = saved + (Frame(name, type(module).__name__, saved[-1] if saved else None,
                             module, path),)
    return saved, saved_outer


def exit_module(token) -> None:
    global current, _outermost
    current, _outermost = token


def _qualified_name(outer, module) -> str:
    """``module``'s name inside ``outer`` (``blocks.3.attn``), from a table cached on ``outer``
    and rebuilt when a module is not found in it (submodules added or replaced since)."""
    table = outer.__dict__.get("_gv_scope_names")
    entry = table.get(id(module)) if table is not None else None
    if entry is None or entry[0] is not module:
        table = {id(m): (m, n) for n, m in outer.named_modules() if n}
        object.__setattr__(outer, "_gv_scope_names", table)
        entry = table.get(id(module))
        if entry is None or entry[0] is not module:
            return type(module).__name__
    return entry[1]


def parameter_name(tensor, frames, paths_of: dict) -> str | None:
    """The name of the parameter ``tensor`` used by an op recorded under ``frames`` (innermost
    last), as ``named_parameters`` of the outermost module spells it (``blocks.3.attn.query.
    weight``): the innermost module call whose module holds it, with that call's path in front.
    None when no module called there holds it (a plain tensor). ``paths_of`` caches each
    module's ``{id(parameter): qualified name}``."""
    for f in reversed(frames):
        module = f.module
        if module is None:
            continue
        paths = paths_of.get(id(module))
        if paths is None:
            paths = paths_of[id(module)] = {id(p): n for n, p in module.named_parameters()}
        name = paths.get(id(tensor))
        if name is not None:
            return f"{f.path}.{name}" if f.path else name
    return None


def frame_names(frame_tuples) -> dict:
    """Names for the frames of one graph: ``{frame: name}``.

    Calls that share a parent and a name (the same module called again, a scope block entered
    again) are numbered in the order they ran: ``cell``, ``cell#2``, ``cell#3``."""
    frames: dict = {}
    for ft in frame_tuples:
        for f in ft:
            frames[f] = None
    names: dict = {}
    siblings: dict = {}
    for f in sorted(frames, key=lambda f: f.serial):
        key = (f.parent, f.name)
        k = siblings.get(key, 0) + 1
        siblings[key] = k
        names[f] = f.name if k == 1 else f"{f.name}#{k}"
    return names
