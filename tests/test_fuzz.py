"""A short round of bench/fuzz_readers.py: mutated and random inputs to every reader
give a clear error or a result, never another exception. The long run (10,000 inputs a
reader) is `python bench/fuzz_readers.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import fuzz_readers


@pytest.mark.parametrize("reader", sorted(fuzz_readers.seeds()))
def test_every_reader_fails_clearly_or_reads(reader):
    figures = fuzz_readers.run(300, seed=7, only=[reader], save=False)[reader]
    assert figures["inputs"] == 300
    assert figures["failures"] == []
    assert figures["errors"] > 0  # the mutations do reach the error paths
