"""Typed SQLAlchemy models, grouped by domain.

``content``: what is authored (modules, lessons, quizzes, versioned questions).
``people``: users and their roles. ``stations``: the duty stations list. ``reminders``: trainers' reminders. ``institute``: cohorts, assignments, overrides, audit. ``learning``: what happens (lesson reads, attempts, answers).
``certificates``: completions recorded once, and the certificates issued for them. ``badges``: their
Open Badges credentials, revocation lists and the signing key history.
"""
from course.models.badges import BadgeCredential, SigningKey, StatusList
from course.models.certificates import Certificate, CertificateKind, CourseCompletion, ModuleCompletion
from course.models.content import Lesson, LessonText, Module, ModuleChange, Objective, Question, QuestionVersion, Quiz
from course.models.institute import (
                                   Assignment,
                                   AttemptGrant,
                                   AuditEntry,
                                   Cohort,
                                   CohortMember,
                                   CohortTrainer,
                                   GradeOverride,
                                   ImportBatch,
                                   ReferralContact,
                                   ResultRelease,
                                   Setting,
)
from course.models.learning import AnswerGrading, Attempt, AttemptAnswer, AttemptState, IllegalTransition, LessonRead
from course.models.outbox import XapiOutboxEntry
from course.models.people import LoginSession, Role, Sex, User
from course.models.reminders import Reminder
from course.models.stations import DutyStation, StationKind

__all__ = [
    "AnswerGrading",
    "Assignment", "AttemptGrant", "AuditEntry", "Cohort", "CohortMember", "CohortTrainer", "GradeOverride",
    "ImportBatch",
    "BadgeCredential", "SigningKey", "StatusList", "Certificate", "CertificateKind", "CourseCompletion", "ModuleCompletion",
    "ReferralContact", "ResultRelease", "Setting", "XapiOutboxEntry", "Attempt", "AttemptAnswer", "AttemptState", "IllegalTransition", "Lesson", "LessonRead", "LoginSession",
    "LessonText", "Module", "ModuleChange", "Objective", "Question", "QuestionVersion", "Quiz", "Role", "User",
    "Sex", "Reminder", "DutyStation", "StationKind",
]
