"""The published course structure (modules, lessons, their texts), kept in memory per process.

Every lesson page needs the same few rows, and they change only when a course package is
published. Each process keeps one read-only snapshot, tagged with the ``catalog_stamp`` setting
that every publication rewrites (``course.package.sync.apply_package``). A request reads that one
small row and rebuilds the snapshot only when the stamp differs, so a package published through
any process, or from the command line, is served by every process from its next request on:
nothing here can go stale across processes, it only saves the reloading.

The snapshot holds plain frozen objects, never ORM rows, so it is safe to share between threads
and outlives the session that built it. Lesson HTML is rendered and sanitised on first view, then
cached by ``render_markdown``.
"""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from course.markdown import render_markdown
from course.models import Lesson, Module, Setting
from course.models.content import text_in

#: The ``settings`` row that changes whenever the published course changes.
CATALOG_STAMP = "catalog_stamp"
#: Built once and run as Core on the session's connection: every lesson page asks it.
_STAMP = select(Setting.value).where(Setting.key == CATALOG_STAMP)


@dataclass(frozen=True)
class LessonBody:
    language: str
    body_hash: str
    body: str

    @property
    def html(self) -> Markup:
        # Rendered on first view, not when the catalog is built: a new worker's first page would
        # otherwise wait for every lesson of the course to be rendered.
        return render_markdown(self.body)


@dataclass(frozen=True)
class CatalogLesson:
    id: int
    key: str
    title: dict | str
    minutes: int
    content_hash: str
    texts: dict[str, LessonBody]

    def title_in(self, lang: str) -> str:
        return text_in(self.title, lang)

    def text_for(self, lang: str) -> LessonBody | None:
        return self.texts.get(lang) or self.texts.get("en")


@dataclass(frozen=True)
class CatalogModule:
    id: int
    key: str
    slug: str
    title: dict | str
    content_hash: str
    lessons: tuple[CatalogLesson, ...]

    def title_in(self, lang: str) -> str:
        return text_in(self.title, lang)


@dataclass(frozen=True)
class Catalog:
    stamp: str | None
    modules: dict[str, CatalogModule] = field(default_factory=dict)  # by slug, active modules only

    def module(self, slug: str) -> CatalogModule | None:
        return self.modules.get(slug)


_lock = threading.Lock()
_current: Catalog | None = None


def stamp_changed(session: Session) -> None:
    """Mark the published course as changed (called in the publishing transaction)."""
    setting = session.get(Setting, CATALOG_STAMP)
    value = uuid.uuid4().hex
    if setting is None:
        session.add(Setting(key=CATALOG_STAMP, value=value))
    else:
        setting.value = value


def build(session: Session, stamp: str | None) -> Catalog:
    modules = session.scalars(select(Module).where(Module.retired.is_(False))
                              .options(selectinload(Module.lessons).selectinload(Lesson.texts)))
    out = {}
    for module in modules:
        lessons = tuple(
            CatalogLesson(id=lesson.id, key=lesson.key, title=lesson.title, minutes=lesson.minutes,
                          content_hash=lesson.content_hash,
                          texts={t.language: LessonBody(t.language, t.body_hash, t.body)
                                 for t in lesson.texts})
            for lesson in module.active_lessons)
        out[module.slug] = CatalogModule(id=module.id, key=module.key, slug=module.slug, title=module.title,
                                         content_hash=module.content_hash, lessons=lessons)
    return Catalog(stamp=stamp, modules=out)


def current(session: Session) -> Catalog:
    """The published structure as of now: one single-row query when nothing was published since."""
    global _current
    stamp = session.connection().scalar(_STAMP)
    cached = _current
    if cached is not None and stamp is not None and cached.stamp == stamp:
        return cached
    fresh = build(session, stamp)
    if stamp is not None:  # without a stamp (no publication yet) nothing tells a change: never keep it
        with _lock:
            _current = fresh
    return fresh
