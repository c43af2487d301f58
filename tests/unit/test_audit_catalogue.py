"""The audit trail's catalogue is closed (issue 25, ECO.4.1.1): every kind the code records
is in it, every kind in it is recorded somewhere, and ``audit_log`` refuses any other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from apps.audit.events import Event
from apps.audit.services import audit_log

ROOT = Path(__file__).resolve().parents[2]


def _kinds_in_the_code() -> set[str]:
    """Every string an ``event=`` argument can take in the code (both sides of a
    conditional included), and the buttons' table of ``flows.actions``."""
    from apps.flows.actions import AUDITED_ACTIONS

    found = set(AUDITED_ACTIONS.values())
    for path in (ROOT / "apps").rglob("*.py"):
        if "migrations" in path.parts or path.name == "events.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                found |= {kind for keyword in node.keywords if keyword.arg == "event"
                          for kind in _strings(keyword.value)}
    return found


def _strings(value: ast.expr) -> set[str]:
    """The strings an expression may be: a literal, or either side of a conditional."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return {value.value}
    if isinstance(value, ast.IfExp):
        return _strings(value.body) | _strings(value.orelse)
    return set()


def test_the_catalogue_is_what_the_code_records() -> None:
    kinds = _kinds_in_the_code()
    assert {"session_expired", "message_moved", "signin"} <= kinds  # the scan sees all three ways
    assert kinds == set(Event.values)


def test_an_event_outside_the_catalogue_is_refused() -> None:
    with pytest.raises(ValueError, match="not in the catalogue"):
        audit_log(event="message_readd", actor="899700123450")
