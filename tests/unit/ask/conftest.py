"""One fixed dataset (tests/fakes/ask_dataset.py) shared by the ask tests of a process."""

from __future__ import annotations

import pytest

from tests.fakes import ask_dataset
from workloads.config import Paths


@pytest.fixture(scope="session")
def ask_paths(tmp_path_factory) -> Paths:
    paths = Paths(tmp_path_factory.mktemp("ask-home"))
    ask_dataset.write(paths)
    return paths
