"""Shared pytest configuration: the integration gate.

Integration tests drive real pip against a local fault-injecting index; they run only with
``--run-integration`` (as pypa/build gates its own), and CI passes that flag.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-integration",
        action="store_true",
        default=False,
        help="run the tests that drive real pip against a local index on 127.0.0.1",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-integration"):
        return
    skip = pytest.mark.skip(reason="needs --run-integration")
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)
