"""The published course structure (modules, lessons, their texts), kept in memory per process.

Every lesson page needs the same few rows, and they change only when a course package is
published. Each process keeps one read-only snapshot per app (per database: ``course.caches``),
tagged with the ``catalog_stamp`` setting that every publication rewrites
(``course.package.sync.apply_package``). A request reads that one small row (the lesson page reads
it with the settings stamp, ``course.services.stamps``) and rebuilds the snapshot only when the
stamp differs, so a package published through any process, or from the command line, is served by
every process from its next request on: nothing here can go stale across processes, it only saves
the reloading.

The snapshot holds plain frozen objects, never ORM rows, so it is safe to share between threads
and outlives the session that built it. Lesson HTML is rendered and sanitised on first view, then
cached by ``render_markdown``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from course.caches import StampedLRU, cache_for
from course.markdown import render_markdown
from course.models import Lesson, Module
from course.models.content import text_in
from course.services import stamps

#: The ``settings`` row that changes whenever the published course changes.
CATALOG_STAMP = stamps.CATALOG


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


def stamp_changed(session: Session) -> None:
    """Mark the published course as changed (called in the publishing transaction)."""
    stamps.renew(session, CATALOG_STAMP)


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


_NO_STAMP = object()


def current(session: Session, stamp=_NO_STAMP) -> Catalog:
    """The published structure as of now: one single-row query when nothing was published since
    (none when the caller already read the catalog stamp and passes it)."""
    if stamp is _NO_STAMP:
        stamp = stamps.catalog(session)
    # One snapshot per database and process, under the key "" of a one-entry cache.
    kept = cache_for(session, "catalog", lambda: StampedLRU(1))
    cached = kept.get(stamp, "")
    if cached is not None:
        return cached
    fresh = build(session, stamp)
    kept.put(stamp, "", fresh)  # without a stamp (no publication yet) nothing tells a change: not kept
    return fresh
