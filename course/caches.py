"""In-memory caches of what is in the database, one set per database and process, bounded, and
emptied when a stamp in the database says their source changed.

A stamp is a ``settings`` row rewritten with a fresh random value in the transaction that changes
what it stands for (``course.services.stamps``). A cache remembers the stamp it was filled under;
its user reads the current stamp (one single-row query, or one it already has) and passes it with
every look-up, which empties the cache when they differ. A change made by any process,
worker or command is therefore seen by every other on its next check: nothing here is ever a
second source of truth, only a saving.

Caches are found by the engine a session is bound to (:func:`cache_for`): every app has its own
engine, so two apps in one process (two databases, or two apps on one database in a test) never
share an entry, and an app's caches go away with its engine.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy.orm import Session

T = TypeVar("T")
_MISSING = object()


class StampedLRU:
    """At most ``size`` entries, the least recently used dropped first, all filled under one stamp.

    :meth:`get` and :meth:`put` take the stamp the caller read: a different one empties the cache
    first (atomically), so an entry is only ever returned to a caller that read the stamp it was
    stored under. ``None`` (nothing published yet: nothing would tell a change) keeps nothing.
    Thread-safe (gunicorn may run several threads per worker)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.stamp: Any = None
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def _sync(self, stamp: Any) -> None:  # under the lock
        if stamp is None or stamp != self.stamp:
            self._entries.clear()
            self.stamp = stamp

    def get(self, stamp: Any, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            self._sync(stamp)
            value = self._entries.get(key, _MISSING)
            if value is _MISSING:
                return default
            self._entries.move_to_end(key)
            return value

    def put(self, stamp: Any, key: Hashable, value: Any) -> None:
        with self._lock:
            self._sync(stamp)
            if stamp is None:
                return
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def peek(self, key: Hashable, default: Any = None) -> Any:
        """An entry whatever the stamp now is: only for a caller whose own check guards against a
        stale one (the one-statement autosave compares the question's content hash in SQL)."""
        with self._lock:
            return self._entries.get(key, default)

    def keep(self, key: Hashable, value: Any) -> None:
        """Store an entry under whatever stamp the cache now has, without reading the database's:
        only for what never changes under its key and is checked again wherever it is used (a
        question version, checked by its content hash). A later look-up under a new stamp drops it."""
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.stamp = None


_caches: WeakKeyDictionary = WeakKeyDictionary()
_lock = threading.Lock()


def cache_for(session: Session, name: str, factory: Callable[[], T]) -> T:
    """The cache called ``name`` of the database ``session`` is bound to, made by ``factory()`` on
    first use: one per engine (so per app) and process."""
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    caches = _caches.get(engine)
    if caches is None:
        with _lock:
            caches = _caches.setdefault(engine, {})
    cache = caches.get(name)
    if cache is None:
        with _lock:
            cache = caches.setdefault(name, factory())
    return cache
