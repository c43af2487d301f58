"""SQL that differs by database engine, for migrations (triggers, full-text tables): the
one way both the mail index and the audit table write theirs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def vendor_sql(statements: dict[str, list[str]]) -> Callable[[Any, Any], None]:
    """A ``RunPython`` function running the statements of the current engine
    (``{"sqlite": [...], "postgresql": [...]}``); nothing for an engine not named."""
    def run(apps: Any, schema_editor: Any) -> None:
        for statement in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)
    return run
