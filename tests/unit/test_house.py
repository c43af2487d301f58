"""The house drawn from the code (``devstack/house.py``, issue 24): the drawing in
``docs/house.md`` is today's, the use cases are a floor of their own between the pages and
the domains, the protocol package stands apart, and no arrow runs back up."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def house() -> ModuleType:
    spec = importlib.util.spec_from_file_location("house", ROOT / "devstack" / "house.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def drawn(house: ModuleType) -> tuple[dict[str, set[str]], dict[str, int], str]:
    import grimp

    graph = grimp.build_graph(*house.ROOTS, cache_dir=None)
    edges = house.arrows(graph, house.rooms(graph))
    return edges, house.floors(edges), house.drawing()


def test_the_committed_drawing_is_todays(drawn: tuple[dict[str, set[str]], dict[str, int], str]) -> None:
    assert (ROOT / "docs" / "house.md").read_text() == drawn[2], "run: python devstack/house.py --write"


def test_flows_are_a_floor_between_the_pages_and_the_domains(
        drawn: tuple[dict[str, set[str]], dict[str, int], str]) -> None:
    edges, floor, _ = drawn
    domains = {"apps.mail", "apps.documents", "apps.patients", "apps.trust"}
    assert "apps.flows" in edges["apps.webmail"] and domains <= edges["apps.flows"]
    assert floor["apps.webmail"] > floor["apps.flows"] > max(floor[d] for d in domains)
    assert not edges["apps.flows"] & {"apps.webmail"}


def test_the_protocol_package_stands_apart_and_every_arrow_points_down(
        drawn: tuple[dict[str, set[str]], dict[str, int], str]) -> None:
    edges, floor, _ = drawn
    assert edges["mailproto"] == set() and floor["mailproto"] == 0
    assert edges["mss"] <= {"mailproto"}  # the MSSanté vocabulary: pure too
    assert all(floor[room] > floor[other] for room, imported in edges.items() for other in imported)


def test_a_cycle_is_named(house: ModuleType) -> None:
    with pytest.raises(ValueError, match="cycle: a → b → a"):
        house.floors({"a": {"b"}, "b": {"a"}, "c": set()})
    assert house.floors({"a": {"b"}, "b": set()}) == {"a": 1, "b": 0}
