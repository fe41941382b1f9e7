"""gradviz.utils.data against torch.utils.data: the same batches (unshuffled), lengths,
collation of tensors, numbers, tuples and dicts; shuffling visits every sample once."""
from __future__ import annotations

import numpy as np
import pytest

import gradviz

pytestmark = pytest.mark.torch

X = np.arange(42, dtype=np.float32).reshape(14, 3)
Y = np.arange(14) % 3


def batches(lib, **kwargs):
    ds = lib.utils.data.TensorDataset(lib.tensor(X), lib.tensor(Y))
    loader = lib.utils.data.DataLoader(ds, **kwargs)
    return len(loader), [tuple(t.numpy().copy() for t in b) for b in loader]


@pytest.mark.parametrize("kwargs", [dict(batch_size=4), dict(batch_size=4, drop_last=True),
                                    dict(batch_size=20), dict(), dict(batch_size=5, shuffle=False)])
def test_same_batches_as_pytorch(torch, kwargs):
    (n1, b1), (n2, b2) = batches(gradviz, **kwargs), batches(torch, **kwargs)
    assert n1 == n2 and len(b1) == len(b2)
    for a, b in zip(b1, b2):
        for u, v in zip(a, b):
            assert u.dtype == v.dtype
            np.testing.assert_array_equal(u, v)


class Pairs:
    """A plain dataset of (dict, number, float) samples."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": self.lib.tensor([i, i + 1.0]), "label": i}, i * 2, i / 2


def test_default_collate_matches(torch):
    out = []
    for lib in (gradviz, torch):
        batch = next(iter(lib.utils.data.DataLoader(Pairs(lib), batch_size=3)))
        out.append((batch[0]["x"].numpy(), batch[0]["label"].numpy(), batch[1].numpy(),
                    batch[2].numpy(), str(batch[2].dtype).split(".")[-1], type(batch).__name__))
    for a, b in zip(*out):
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
        else:
            assert a == b


def test_shuffle_and_random_split_cover_every_sample():
    gradviz.manual_seed(3)
    n, got = batches(gradviz, batch_size=4, shuffle=True)
    seen = np.concatenate([b[1] for b in got])
    rows = np.concatenate([b[0] for b in got])
    assert n == 4 and sorted(rows[:, 0].tolist()) == sorted(X[:, 0].tolist())
    assert not np.array_equal(rows, X)  # shuffled (a fixed seed, so this cannot flake)
    np.testing.assert_array_equal(seen, (rows[:, 0] // 3).astype(np.int64) % 3)
    ds = gradviz.utils.data.TensorDataset(gradviz.tensor(X))
    a, b = gradviz.utils.data.random_split(ds, [10, 4])
    ids = sorted(int(a[i][0][0]) for i in range(len(a))) + sorted(int(b[i][0][0]) for i in range(len(b)))
    assert sorted(ids) == list(range(0, 42, 3)) and len(a) == 10 and len(b) == 4
    with pytest.raises(ValueError, match="Sum of input lengths"):
        gradviz.utils.data.random_split(ds, [3, 4])


def test_size_mismatch_is_refused(torch):
    for lib in (gradviz, torch):
        with pytest.raises(AssertionError, match="Size mismatch between tensors"):
            lib.utils.data.TensorDataset(lib.ones(3), lib.ones(4))
