"""Trainer reports: gradebook, item analysis, knowledge gain, score distributions.

Every figure comes from SQL aggregates (GROUP BY over attempts and answers), so a report costs a
fixed number of queries whatever the cohort's size; Python only combines the small aggregated
results (per question, per module, per objective).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, Row, Select, Text, and_, case, cast, func, select
from sqlalchemy.orm import Session, aliased, selectinload

from course.models import (
    Attempt,
    AttemptAnswer,
    AttemptState,
    Cohort,
    CohortMember,
    DutyStation,
    Module,
    Objective,
    Question,
    QuestionVersion,
    Quiz,
    User,
)
from course.models.content import questions_of, text_in
from course.questions import REGISTRY, get_type
from course.questions.base import Choice
from course.services import progress

CLOSED = (AttemptState.SUBMITTED, AttemptState.EXPIRED)


def _filter_officers(query: Select, search: str, station: str) -> Select:
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(func.lower(User.full_name).like(pattern) | func.lower(User.staff_number).like(pattern))
    if station:  # by the station's English name, as the gradebook's filter offers it
        query = query.where(User.duty_station_id.in_(select(DutyStation.id).where(DutyStation.name_en == station)))
    return query


def cohort_officer_ids(cohort: Cohort, search: str = "", station: str = "") -> Select:
    """The ids of the cohort's officers matching ``search`` and ``station``, as a select for
    ``IN (...)``: a cohort can have more officers than PostgreSQL accepts bound parameters (65,535)."""
    query = select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)
    if search or station:
        query = _filter_officers(query.join(User, User.id == CohortMember.user_id), search, station)
    return query


def cohort_roster(session: Session, cohort: Cohort, search: str = "", station: str = "") -> list[Row]:
    """The cohort's officers by name, as rows of what reports show of them (id, full_name, staff_number,
    duty_station, the station's English name, and station_ar, its Arabic name or ""): a large
    cohort's report does not need, nor can afford, 100,000 ORM objects."""
    query = (select(User.id, User.full_name, User.staff_number, DutyStation.name_en.label("duty_station"),
                    DutyStation.name_ar.label("station_ar"))
             .join(CohortMember, CohortMember.user_id == User.id)
             .outerjoin(DutyStation, DutyStation.id == User.duty_station_id)
             .where(CohortMember.cohort_id == cohort.id).order_by(User.full_name))
    return list(session.execute(_filter_officers(query, search, station)))


def station_name(row: Row, lang: str) -> str:
    """A roster row's station as a reader of ``lang`` reads it: its Arabic name in Arabic, when the
    list has one; "" for an officer without a station."""
    return ((row.station_ar if lang == "ar" else "") or row.duty_station) or ""


def cohort_stations(session: Session, cohort: Cohort, lang: str = "en") -> list[tuple[str, str]]:
    """The stations the cohort's officers serve at, as (English name, the name in ``lang``), in the
    order of the names shown: the English name is what the gradebook's filter sends."""
    rows = session.execute(
        select(DutyStation.name_en, DutyStation.name_ar).distinct()
        .join(User, User.duty_station_id == DutyStation.id)
        .join(CohortMember, CohortMember.user_id == User.id).where(CohortMember.cohort_id == cohort.id))
    named = [(name_en, (name_ar if lang == "ar" else "") or name_en) for name_en, name_ar in rows]
    return sorted(named, key=lambda pair: (pair[1], pair[0]))


@dataclass
class GradebookPage:
    #: Rows from ``cohort_roster``.
    officers: list[Row]
    modules: list[Module]
    statuses: dict
    total: int
    page: int
    pages: int


STATUS_ORDER = {"overdue": 0, "failed": 1, "in_progress": 2, "not_started": 3, "completed": 4}


def gradebook(session: Session, cohort: Cohort, *, search: str = "", station: str = "", status: str = "",
              module_id: int | None = None, sort: str = "name", page: int = 1, per_page: int = 50,
              now: datetime, lang: str = "en") -> GradebookPage:
    """One page of the cohort's gradebook; ``lang`` is the reader's (stations sort by the names shown)."""
    modules = progress.active_modules(session)
    officers = cohort_roster(session, cohort, search, station)
    statuses = progress.statuses_for(session, [o.id for o in officers], modules, now=now,
                                     scope=cohort_officer_ids(cohort, search, station))
    focus = [m for m in modules if m.id == module_id] or modules
    if status:
        officers = [o for o in officers if any(statuses[o.id][m.id].status == status for m in focus)]
    if sort == "progress":
        officers.sort(key=lambda o: (sum(statuses[o.id][m.id].completed for m in modules), o.full_name))
    elif sort == "score" and module_id:
        officers.sort(key=lambda o: (statuses[o.id][module_id].best_percent or -1, o.full_name))
    elif sort == "status" and module_id:
        officers.sort(key=lambda o: (STATUS_ORDER.get(statuses[o.id][module_id].status, 9), o.full_name))
    elif sort == "station":
        officers.sort(key=lambda o: (station_name(o, lang), o.full_name))
    total = len(officers)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    shown = officers[(page - 1) * per_page: page * per_page]
    return GradebookPage(shown, modules, {o.id: statuses[o.id] for o in shown}, total, page, pages)


#: Which finished attempts item statistics read, as Moodle's statistics report offers them: each
#: officer's first (before they have seen the questions: the default), each officer's last, or all.
ATTEMPT_CHOICES = ("first", "last", "all")


def closed_attempts(cohort: Cohort | None, quiz_id: int, language: str | None = None, which: str = "first", *,
                    officers: Select | None = None, until: datetime | None = None):
    """A subquery of the cohort members' finished attempts at the quiz: each one's first, each one's
    last, or ``all`` of them (``which``). With ``language``, only attempts answered in that language
    (to spot an item that a translation made harder). Instead of a cohort, ``officers`` (a select of
    user ids) names whose attempts count; with ``until``, only attempts submitted before it."""
    if which not in ATTEMPT_CHOICES:
        raise ValueError(f"unknown attempt choice {which!r}")
    order = Attempt.number.desc() if which == "last" else Attempt.number
    ranked = (select(Attempt.id.label("attempt_id"), Attempt.user_id, Attempt.score, Attempt.max_score,
                     Attempt.percent, Attempt.language,
                     func.row_number().over(partition_by=Attempt.user_id, order_by=order).label("rank"))
              .where(Attempt.quiz_id == quiz_id, Attempt.state.in_(CLOSED)))
    if cohort is not None:
        ranked = ranked.join(CohortMember, and_(CohortMember.user_id == Attempt.user_id,
                                                CohortMember.cohort_id == cohort.id))
    if officers is not None:
        ranked = ranked.where(Attempt.user_id.in_(officers))
    if until is not None:
        ranked = ranked.where(Attempt.submitted_at < until)
    ranked = ranked.subquery()
    # An attempt awaiting a trainer's grading has no score to analyse yet (it keeps its rank).
    query = select(ranked).where(ranked.c.percent.is_not(None))
    if which != "all":
        query = query.where(ranked.c.rank == 1)
    if language:
        query = query.where(ranked.c.language == language)
    return query.subquery()


def first_closed_attempts(cohort: Cohort, quiz_id: int, language: str | None = None):
    """Each cohort member's first finished attempt (see ``closed_attempts``)."""
    return closed_attempts(cohort, quiz_id, language, "first")


@dataclass
class ItemStats:
    question: Question
    definition: dict
    n: int
    facility: float | None
    #: The corrected item-total (item-rest) correlation, -1..1 (Moodle's discrimination index / 100).
    discrimination: float | None
    #: Moodle's discriminative efficiency / 100: the item-rest covariance over the largest covariance
    #: these same marks could have (item marks and rest-of-test marks paired in sorted order), -1..1.
    efficiency: float | None = None
    option_counts: dict[str, int] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)

    @property
    def summary(self) -> list[Choice]:
        """How often each response was given, as the question's type summarises it."""
        return get_type(self.definition["type"]).report_summary(self.definition, self.option_counts)


def _pearson(n, sx, sy, sxx, syy, sxy) -> float | None:
    numerator = n * sxy - sx * sy
    denominator = (n * sxx - sx * sx) * (n * syy - sy * sy)
    if n < 3 or denominator <= 1e-12:
        return None
    return round(numerator / math.sqrt(denominator), 3)


def _sorted_products(session: Session, closed) -> dict[int, float]:
    """Per question, the sum of item mark times rest-of-test mark with both lists sorted and paired in
    order: what the covariance would be if the ranks agreed perfectly (Moodle's covariance maximum).
    Ranked in SQL with window functions, so the cost stays a fixed number of queries."""
    mark = func.coalesce(AttemptAnswer.score, 0)
    marks = (select(QuestionVersion.question_id.label("question_id"), mark.label("mark"),
                    (func.coalesce(closed.c.score, 0) - mark).label("rest"))
             .select_from(closed)
             .join(AttemptAnswer, AttemptAnswer.attempt_id == closed.c.attempt_id)
             .join(QuestionVersion, QuestionVersion.id == AttemptAnswer.question_version_id)).subquery()
    by_mark = select(marks.c.question_id, marks.c.mark, func.row_number().over(
        partition_by=marks.c.question_id, order_by=marks.c.mark).label("rank")).subquery()
    by_rest = select(marks.c.question_id, marks.c.rest, func.row_number().over(
        partition_by=marks.c.question_id, order_by=marks.c.rest).label("rank")).subquery()
    rows = session.execute(
        select(by_mark.c.question_id, func.sum(by_mark.c.mark * by_rest.c.rest))
        .join(by_rest, and_(by_rest.c.question_id == by_mark.c.question_id, by_rest.c.rank == by_mark.c.rank))
        .group_by(by_mark.c.question_id)).all()
    return {question_id: float(total or 0) for question_id, total in rows}


def _efficiency(n: int, sa: float, sr: float, sar: float, sorted_sum: float | None) -> float | None:
    """Moodle's discriminative efficiency (as a fraction): covariance(item, rest) / its maximum.
    Both covariances share the divisor, so sums of products minus n times the means' product suffice."""
    if n < 3 or sorted_sum is None:
        return None
    covariance = sar - sa * sr / n
    maximum = sorted_sum - sa * sr / n
    if maximum <= 1e-9:
        return None
    return round(covariance / maximum, 3)


def item_analysis(session: Session, cohort: Cohort, quiz: Quiz, lang: str = "en",
                  answered_in: str | None = None, attempts: str = "first") -> list[ItemStats]:
    """Facility, discrimination and discriminative efficiency of each question, over the cohort's
    finished attempts chosen by ``attempts`` (see ``ATTEMPT_CHOICES``)."""
    firsts = closed_attempts(cohort, quiz.id, answered_in, attempts)
    fraction = cast(AttemptAnswer.score, Float) / func.nullif(AttemptAnswer.max_score, 0)
    sums = session.execute(
        select(QuestionVersion.question_id, func.count(), func.sum(fraction),
               func.sum(firsts.c.score), func.sum(firsts.c.score * firsts.c.score), func.sum(AttemptAnswer.score),
               func.sum(AttemptAnswer.score * AttemptAnswer.score), func.sum(AttemptAnswer.score * firsts.c.score))
        .select_from(firsts)
        .join(AttemptAnswer, AttemptAnswer.attempt_id == firsts.c.attempt_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptAnswer.question_version_id)
        .group_by(QuestionVersion.question_id)).all()
    choice_rows = session.execute(
        select(QuestionVersion.question_id, cast(AttemptAnswer.response, Text), func.count())
        .select_from(firsts)
        .join(AttemptAnswer, AttemptAnswer.attempt_id == firsts.c.attempt_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptAnswer.question_version_id)
        .where(QuestionVersion.type.in_([t.name for t in REGISTRY.values() if t.counts_responses]))
        .group_by(QuestionVersion.question_id, cast(AttemptAnswer.response, Text))).all()
    counts: dict[int, dict[str, int]] = {}
    for question_id, raw, n in choice_rows:
        if raw is None or raw == "null":
            continue
        value = json.loads(raw)
        chosen = value if isinstance(value, list) else [value]
        bucket = counts.setdefault(question_id, {})
        for option in chosen:
            key = str(option).lower() if isinstance(option, bool) else str(option)
            bucket[key] = bucket.get(key, 0) + n
    by_question = {row[0]: row for row in sums}
    sorted_sums = _sorted_products(session, firsts) if sums else {}
    out = []
    # A bank's questions are counted over the attempts at this quiz that drew them.
    questions = session.scalars(select(Question).where(questions_of(quiz), Question.retired.is_(False))
                                .options(selectinload(Question.current_version))
                                .order_by(Question.bank.is_not(None), Question.position))
    for question in questions:
        definition = question.current_version.definition
        row = by_question.get(question.id)
        if row is None:
            out.append(ItemStats(question, definition, 0, None, None))
            continue
        _, n, sx, sy, syy, sa, saa, say = row
        n = int(n)
        facility = round(sx / n, 3) if n and sx is not None else None
        # Corrected item-total correlation: the item against the rest of the test (total minus the item),
        # so an item is not correlated with itself.
        sr = (sy or 0) - (sa or 0)
        srr = (syy or 0) - 2 * (say or 0) + (saa or 0)
        sar = (say or 0) - (saa or 0)
        discrimination = _pearson(n, sa or 0, sr, saa or 0, srr, sar)
        efficiency = _efficiency(n, float(sa or 0), float(sr), float(sar), sorted_sums.get(question.id))
        stats = ItemStats(question, definition, n, facility, discrimination, efficiency, counts.get(question.id, {}))
        stats.flags = _flags(stats)
        out.append(stats)
    return out


def _flags(stats: ItemStats) -> list:
    """What the trainer should check about a question: lazy strings, shown in the reader's language."""
    flags = []
    if stats.n < 5 or stats.facility is None:
        return [_l("too few answers to judge")] if stats.n else []
    if stats.facility >= 0.9:
        flags.append(_l("too easy: almost everyone gets it right"))
    elif stats.facility <= 0.3:
        flags.append(_l("very hard: check the teaching and the wording"))
    if stats.discrimination is not None:
        if stats.discrimination < 0:
            flags.append(_l("stronger officers get this wrong: check the key"))
        elif stats.discrimination < 0.15:
            flags.append(_l("does not separate stronger from weaker officers"))
    flags.extend(get_type(stats.definition["type"]).report_flags(stats.definition, stats.option_counts))
    return flags


@dataclass
class ObjectiveMastery:
    objective: Objective
    questions: int
    mastery: float | None


def objective_mastery(session: Session, stats: list[ItemStats]) -> list[ObjectiveMastery]:
    keys: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    for item in stats:
        for key in item.definition["objectives"]:
            counts[key] = counts.get(key, 0) + 1
            if item.facility is not None:
                keys.setdefault(key, []).append(item.facility)
    objectives = session.scalars(select(Objective).where(Objective.key.in_(list(counts)))
                                 .order_by(Objective.key)).all()
    return [ObjectiveMastery(o, counts[o.key], round(sum(keys[o.key]) / len(keys[o.key]), 3) if keys.get(o.key)
                             else None) for o in objectives]


class OfficerName(NamedTuple):
    id: int
    full_name: str
    staff_number: str | None


@dataclass
class OfficerGain:
    officer: OfficerName
    pre: float
    post: float

    @property
    def gain(self) -> float:
        return round(self.post - self.pre, 2)

    @property
    def normalised(self) -> float | None:
        return round((self.post - self.pre) / (100 - self.pre), 3) if self.pre < 100 else None


@dataclass
class KnowledgeGain:
    pre_quiz: Quiz | None
    post_quiz: Quiz | None
    officers: list[OfficerGain]
    pre_only: int
    by_module: list[tuple[Module, float | None, float | None]]

    @property
    def paired(self) -> int:
        return len(self.officers)

    @property
    def mean_pre(self) -> float | None:
        return round(sum(o.pre for o in self.officers) / self.paired, 2) if self.paired else None

    @property
    def mean_post(self) -> float | None:
        return round(sum(o.post for o in self.officers) / self.paired, 2) if self.paired else None

    @property
    def mean_gain(self) -> float | None:
        return round(self.mean_post - self.mean_pre, 2) if self.paired else None

    @property
    def normalised_gain(self) -> float | None:
        """Hake's class normalised gain: the share of the possible improvement achieved."""
        if not self.paired or self.mean_pre >= 100:
            return None
        return round((self.mean_post - self.mean_pre) / (100 - self.mean_pre), 3)

    @property
    def ceiling(self) -> int:
        """Officers who scored 100 % on the pre-test: their normalised gain is undefined."""
        return sum(1 for o in self.officers if o.normalised is None)

    @property
    def mean_normalised(self) -> float | None:
        """The mean of the officers' own normalised gains, those at the pre-test ceiling left out
        (``ceiling`` counts them); ``normalised_gain`` is the class gain, from the means."""
        gains = [o.normalised for o in self.officers if o.normalised is not None]
        return round(sum(gains) / len(gains), 3) if gains else None

    @property
    def improved_share(self) -> float | None:
        return round(sum(o.post > o.pre for o in self.officers) / self.paired, 3) if self.paired else None


def course_tests(session: Session) -> tuple[Quiz | None, Quiz | None]:
    """The course's pre-test and post-test (either may be missing)."""
    return (session.scalar(select(Quiz).where(Quiz.kind == "pre-test", Quiz.retired.is_(False))),
            session.scalar(select(Quiz).where(Quiz.kind == "post-test", Quiz.retired.is_(False))))


def pre_post_percents(session: Session, officers: Select, until: datetime | None = None
                  ) -> dict[int, tuple[float, float | None]]:
    """Each officer's first pre-test percent and first post-test percent (None: not taken), for the
    officers named by ``officers`` who took the pre-test, counting attempts submitted before
    ``until``: the pairing knowledge gain uses, for any group of officers."""
    pre_quiz, post_quiz = course_tests(session)
    if pre_quiz is None or post_quiz is None:
        return {}
    pre = closed_attempts(None, pre_quiz.id, officers=officers, until=until)
    post = closed_attempts(None, post_quiz.id, officers=officers, until=until)
    rows = session.execute(select(pre.c.user_id, pre.c.percent, post.c.percent)
                           .outerjoin(post, post.c.user_id == pre.c.user_id)).all()
    return {user_id: (p, q) for user_id, p, q in rows}


def knowledge_gain(session: Session, cohort: Cohort) -> KnowledgeGain:
    pre_quiz, post_quiz = course_tests(session)
    if pre_quiz is None or post_quiz is None:
        return KnowledgeGain(pre_quiz, post_quiz, [], 0, [])
    pre, post = first_closed_attempts(cohort, pre_quiz.id), first_closed_attempts(cohort, post_quiz.id)
    pre_alias, post_alias = aliased(pre), aliased(post)
    # Columns, not User rows: a large cohort pairs thousands of officers and the page needs their names.
    rows = session.execute(
        select(User.id, User.full_name, User.staff_number, pre_alias.c.percent, post_alias.c.percent)
        .join(pre_alias, pre_alias.c.user_id == User.id)
        .outerjoin(post_alias, post_alias.c.user_id == User.id)
        .order_by(User.full_name, User.id)).all()
    officers = [OfficerGain(OfficerName(user_id, name, staff_number), p, q)
                for user_id, name, staff_number, p, q in rows if q is not None]
    pre_only = sum(1 for row in rows if row[-1] is None)
    by_module = _gain_by_module(session, cohort, pre_quiz, post_quiz)
    return KnowledgeGain(pre_quiz, post_quiz, officers, pre_only, by_module)


def _form_facility_by_module(session: Session, cohort: Cohort, quiz: Quiz) -> dict[str, float]:
    firsts = first_closed_attempts(cohort, quiz.id)
    rows = session.execute(
        select(AttemptAnswer.question_version_id, func.sum(AttemptAnswer.score), func.sum(AttemptAnswer.max_score))
        .join(firsts, firsts.c.attempt_id == AttemptAnswer.attempt_id)
        .group_by(AttemptAnswer.question_version_id)).all()
    if not rows:
        return {}
    versions = {v.id: v for v in session.scalars(select(QuestionVersion)
                                                 .where(QuestionVersion.id.in_([r[0] for r in rows])))}
    module_of = dict(session.execute(select(Objective.key, Module.key).join(Module)).all())
    earned: dict[str, float] = {}
    possible: dict[str, float] = {}
    for version_id, score, maximum in rows:
        objectives = versions[version_id].definition.get("objectives") or []
        module_key = module_of.get(objectives[0]) if objectives else None
        if module_key:
            earned[module_key] = earned.get(module_key, 0) + (score or 0)
            possible[module_key] = possible.get(module_key, 0) + (maximum or 0)
    return {k: round(100 * earned[k] / possible[k], 1) for k in possible if possible[k]}


def _gain_by_module(session, cohort, pre_quiz, post_quiz):
    pre = _form_facility_by_module(session, cohort, pre_quiz)
    post = _form_facility_by_module(session, cohort, post_quiz)
    return [(m, pre.get(m.key), post.get(m.key)) for m in progress.active_modules(session)]


def score_distribution(session: Session, cohort: Cohort, quiz: Quiz, answered_in: str | None = None,
                       attempts: str = "first") -> list[int]:
    """How many of the chosen attempts (see ``ATTEMPT_CHOICES``) fall in each 10-point band (0-9, ..., 90-100)."""
    firsts = closed_attempts(cohort, quiz.id, answered_in, attempts)
    band = case((firsts.c.percent >= 100, 9), else_=func.floor(firsts.c.percent / 10))
    rows = session.execute(select(band, func.count()).select_from(firsts).group_by(band)).all()
    bands = [0] * 10
    for value, count in rows:
        bands[min(9, max(0, int(value)))] += count
    return bands


def completions_over_time(session: Session, cohort: Cohort) -> list[tuple[str, int]]:
    """Cumulative number of module quizzes passed by the cohort, day by day."""
    first_pass = (select(Attempt.user_id, Attempt.quiz_id, func.min(Attempt.submitted_at).label("day"))
                  .join(CohortMember, and_(CohortMember.user_id == Attempt.user_id, CohortMember.cohort_id == cohort.id))
                  .join(Quiz, Quiz.id == Attempt.quiz_id)
                  .where(Attempt.passed.is_(True), Quiz.module_id.is_not(None))
                  .group_by(Attempt.user_id, Attempt.quiz_id)).subquery()
    rows = session.execute(select(func.date(first_pass.c.day), func.count()).group_by(func.date(first_pass.c.day))
                           .order_by(func.date(first_pass.c.day))).all()
    total, out = 0, []
    for day, count in rows:
        total += count
        out.append((str(day), total))
    return out


def option_label(definition: dict, option_id: str, lang: str) -> str:
    for option in definition.get("options", []):
        if option["id"] == option_id:
            return text_in(option["text"], lang)
    return option_id
