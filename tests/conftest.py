"""Shared fixtures for gradviz's tests. Kept minimal: only what several test files need.

``torch`` is real PyTorch, the oracle for parity tests. It is never a runtime dependency of
gradviz, so tests that need it skip when it is missing, unless ``GRADVIZ_REQUIRE_TORCH=1``
(set in CI), in which case a missing torch is a failure, not a silent skip.
"""
from __future__ import annotations

import importlib
import os

import pytest


def import_torch():
    """Import real PyTorch, skipping (or failing, under GRADVIZ_REQUIRE_TORCH=1) without it."""
    try:
        return importlib.import_module("torch")
    except ImportError as exc:
        if os.environ.get("GRADVIZ_REQUIRE_TORCH") == "1":
            pytest.fail(f"PyTorch is required (GRADVIZ_REQUIRE_TORCH=1) but cannot be imported: {exc}",
                        pytrace=False)
        pytest.skip(_NO_TORCH)


_NO_TORCH = ("PyTorch, the oracle of the parity tests, is not installed; to run them: "
             "pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu")


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """A test module that imports torch (or gradviz.torch_graph) at the top is skipped, not an
    error, where torch is not installed: the README's test command needs no torch. Under
    GRADVIZ_REQUIRE_TORCH=1 the import error stays an error."""
    report = yield
    if (report.failed and isinstance(collector, pytest.Module)
            and os.environ.get("GRADVIZ_REQUIRE_TORCH") != "1"
            and "No module named 'torch'" in str(report.longrepr)):
        report.outcome = "skipped"
        report.longrepr = (str(collector.path), 0, f"Skipped: {_NO_TORCH}")
    return report


@pytest.fixture(scope="session")
def torch():
    """Real PyTorch (session scoped, so hypothesis tests may use it)."""
    return import_torch()
