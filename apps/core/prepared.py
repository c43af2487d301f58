"""Querysets compiled once per process, then run with new parameters.

Why: the reads every page repeats (the user's mailboxes with their delegation rights, a
folder, a message's summary) cost Django more to compile than the database to answer: the
mailbox list with its delegation subquery takes ~1.3 ms to compile and ~0.05 ms to run on
SQLite, and a message open made a dozen of them. A ``PreparedQuery`` is written as an
ordinary queryset (one definition, the ORM's SQL for every engine); it is compiled the
first time with sentinel parameters, the positions of those sentinels in the parameter
list are kept, and every later call runs the same SQL with the real values through
``Model.objects.raw`` (model instances, field converters applied).

Limits, checked when compiling: parameters are ints (ids, UIDs) or strings compared for
equality (a lookup that transforms its value, such as ``icontains``, would hide the
sentinel and is refused); a value that changes by day is passed as ``today`` and the SQL
is compiled again for a new day; no ``select_related`` (a raw query fills one model).
Annotations come back as the database gives them (SQLite's 0/1 for a boolean).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.models import Model, QuerySet
from django.utils import timezone

M = TypeVar("M", bound=Model)

_INT_SENTINEL = -2_000_000_000  # ids and UIDs are never negative; within a 32-bit column's range
_STR_SENTINEL = "\x00prepared:{name}\x00"


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    slots: tuple[tuple[int, str, type], ...]  # (position in params, parameter name, its type)
    model: type[Model]
    using: str


class PreparedQuery(Generic[M]):
    """``build(**params)`` returns the queryset; ``params`` names its parameters and their
    types (int or str); ``daily``: ``build`` also takes ``today`` (the local date)."""

    def __init__(self, build: Callable[..., QuerySet[M]], *, params: dict[str, type],
                 daily: bool = False) -> None:
        for name, kind in params.items():
            if kind not in (int, str):
                raise ImproperlyConfigured(f"prepared query parameter {name}: int or str only")
        self._build, self._params, self._daily = build, params, daily
        self._compiled: dict[tuple[str, dt.date | None], _Compiled] = {}
        self._lock = threading.Lock()

    def _sentinels(self) -> dict[str, Any]:
        return {name: (_INT_SENTINEL - index if kind is int else _STR_SENTINEL.format(name=name))
                for index, (name, kind) in enumerate(self._params.items())}

    def _compile(self, today: dt.date | None) -> _Compiled:
        sentinels = self._sentinels()
        queryset = self._build(**sentinels, **({"today": today} if self._daily else {}))
        if queryset.query.select_related:
            raise ImproperlyConfigured("a prepared query cannot select_related: a raw query fills one model")
        sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
        by_value = {value: name for name, value in sentinels.items()}
        # A driver may wrap a value (psycopg's Int8 for a bigint column, an int subclass): the
        # real value is wrapped the same way, so that it is bound as the ORM would bind it.
        slots = tuple((position, by_value[value], type(value)) for position, value in enumerate(params)
                      if isinstance(value, (int, str)) and not isinstance(value, bool) and value in by_value)
        missing = set(sentinels) - {name for _, name, _ in slots}
        if missing:
            raise ImproperlyConfigured(f"prepared query: {sorted(missing)} not found as plain parameters "
                                       f"(a lookup transformed them)")
        return _Compiled(sql=sql, params=tuple(params), slots=slots, model=queryset.model, using=queryset.db)

    def _get(self) -> _Compiled:
        today = timezone.localdate() if self._daily else None
        key = (connections["default"].vendor, today)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(today)
                if today is not None:  # yesterday's SQL will not be asked again
                    self._compiled = {k: v for k, v in self._compiled.items() if k[1] == today}
                self._compiled[key] = compiled
        return compiled

    def list(self, **values: Any) -> list[M]:
        """The rows for these parameter values, as model instances."""
        compiled = self._get()
        params = list(compiled.params)
        for position, name, kind in compiled.slots:
            params[position] = kind(values[name])
        return list(compiled.model._default_manager.db_manager(compiled.using)  # type: ignore[arg-type]
                    .raw(compiled.sql, params))

    def first(self, **values: Any) -> M | None:
        """The first row (slice the queryset to one in ``build``), or None."""
        rows = self.list(**values)
        return rows[0] if rows else None
