"""Finding nodes in a big graph: by name, op, shape or scope.

``search(G, "MmBackward0")``, ``search(G, "3x4")``, ``search(G, "blocks.3")``,
``search(G, "blocks.3 softmax")``: the ids of the matching nodes, best first. Pure: it reads
the exported graph (``gradviz.to_networkx``, or any graph with the same attributes).

Several words must all match (each one anywhere: name, op, shape or scope). A word's score
says how well it matched: the whole name or op exactly > a shape exactly > a scope by its
name > the start of a name or op > a part of one. Ties keep the graph's node order.
"""
from __future__ import annotations

import re

__all__ = ["search", "parse_shape"]

EXACT_NAME = 100
EXACT_SHAPE = 90
SCOPE_NAME = 70
PREFIX = 60
SCOPE_PART = 40
PART = 30

_SHAPE = re.compile(r"^[\(\[]?\s*(\d+(?:\s*[,x×*]\s*\d+)*)?\s*,?\s*[\)\]]?$")


def parse_shape(text: str):
    """``"(3, 4)"``, ``"3x4"``, ``"3×4"``, ``"[3, 4]"``, ``"()"`` -> ``(3, 4)``/``()``; None when
    the text is not a shape (a bare number is not one: it is as likely part of a name)."""
    t = text.strip().lower()
    if t in ("scalar", "()", "[]"):
        return ()
    if t.isdigit():
        return None
    m = _SHAPE.match(t)
    if not m or not m.group(1):
        return None
    if not any(c in t for c in "(,x×*["):
        return None
    return tuple(int(d) for d in re.split(r"\s*[,x×*]\s*", m.group(1)))


def _op_short(name: str) -> str:
    """``MmBackward0`` -> ``mm`` (what a person may type for an op)."""
    i = name.find("Backward")
    return (name[:i] if i > 0 else name).lower()


def _word_score(word: str, attrs: dict) -> int:
    w = word.lower()
    best = 0
    shape = parse_shape(word)
    if shape is not None and attrs.get("kind") == "tensor" and tuple(attrs.get("shape") or ()) == shape:
        best = EXACT_SHAPE
    for text in (attrs.get("name"), attrs.get("label")):
        if not text:
            continue
        t = str(text).lower()
        if t == w or (attrs.get("kind") == "function" and _op_short(str(text)) == w):
            return EXACT_NAME
        if t.startswith(w):
            best = max(best, PREFIX)
        elif w in t:
            best = max(best, PART)
    for s in attrs.get("scope") or ():
        s = s.lower()
        if s == w:
            best = max(best, SCOPE_NAME)
        elif s.startswith(w + ".") or s.startswith(w + "#") or w in s:
            best = max(best, SCOPE_PART)
    return best


def search(G, text: str, limit: int | None = None) -> list:
    """Ids of the nodes of ``G`` matching ``text``, best first (see the module docstring)."""
    text = (text or "").strip()
    if not text:
        return []
    words = [text] if parse_shape(text) is not None else text.split()
    scored = []
    for i, (n, attrs) in enumerate(G.nodes(data=True)):
        total = 0
        for w in words:
            s = _word_score(w, attrs)
            if s == 0:
                break
            total += s
        else:
            # Deeper in a matched scope ranks lower: the scope's own ops before its children's.
            scored.append((-total, len(attrs.get("scope") or ()), i, n))
    scored.sort()
    ids = [n for *_, n in scored]
    return ids[:limit] if limit is not None else ids
