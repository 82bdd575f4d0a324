"""Shared fixtures: an end-to-end world on the sandbox, checked for API drift at teardown."""

from __future__ import annotations

import pytest

from tests.world import World, make_world


@pytest.fixture
def world(tmp_path) -> World:
    sb, world = make_world(tmp_path)
    try:
        yield world
        assert not sb.violations, f"undocumented API calls: {sb.violations}"
    finally:
        sb.close()


@pytest.fixture
def world_without_slack(tmp_path) -> World:
    sb, world = make_world(tmp_path, slack=False)
    try:
        yield world
        assert not sb.violations, f"undocumented API calls: {sb.violations}"
    finally:
        sb.close()
