"""The institute's administration (admins only), one module per domain: ``overview`` (the first
page), ``people`` (accounts, sessions, one-time passwords, anonymising), ``imports`` (the officer
list), ``cohorts`` (members, trainers, assignments), ``course`` (publishing, referral contacts),
``settings`` (institute settings, the xAPI outbox) and ``audit`` (the log).

All of them are one blueprint, so every endpoint is ``admin.<view>``; each module lists its routes
in its ``register``, which is called here (the modules never import this one: no import cycle).
Shared pieces are in ``common``."""
from __future__ import annotations

from flask import Blueprint

from course.views.admin import audit, cohorts, course, imports, overview, people, settings

bp = Blueprint("admin", __name__, url_prefix="/admin")

for part in (overview, people, imports, cohorts, course, settings, audit):
    part.register(bp)
