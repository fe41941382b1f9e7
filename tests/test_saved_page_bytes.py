"""A saved page weighs the same whichever process writes it, and its recorded passes are the same
bytes: its size is checked against a bound with about a kilobyte to spare, and a page whose
recording followed Python's hash seed (set order) once crossed it."""
from __future__ import annotations

import base64
import gzip
import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("panel")

_SAVE = """
import sys
from gradviz import examples
from gradviz.viz.explorer import Explorer
ex = examples.build("seed")
Explorer(ex.root, names=ex.names, **ex.kwargs).save(sys.argv[1])
"""


def _saved(tmp_path, hash_seed: int) -> tuple[int, list]:
    """The page's size, and its gzipped data (the recorded passes, the inspector's views)."""
    path = tmp_path / f"seed-{hash_seed}.html"
    subprocess.run([sys.executable, "-c", _SAVE, str(path)], check=True, timeout=300,
                   env={**os.environ, "PYTHONHASHSEED": str(hash_seed)})
    text = path.read_text()
    blobs = [gzip.decompress(base64.b64decode(b))
             for b in re.findall(r'"(H4sI[A-Za-z0-9+/=]{100,})"', text)]
    return len(text.encode()), blobs


def test_the_saved_seed_page_does_not_depend_on_the_hash_seed(tmp_path):
    size_1, data_1 = _saved(tmp_path, 1)
    size_2, data_2 = _saved(tmp_path, 2)
    assert len(data_1) >= 2  # the recording and the inspector's views are there
    assert data_1 == data_2
    assert size_1 == size_2
