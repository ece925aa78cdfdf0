"""Pages that are the same for every signed-in user of a role and language, rendered once per process.

A lesson page differs between two officers only in the name in its header and the form token in
its forms; everything else (the lesson text, the navigation, about forty translated strings and
a dozen URLs) depends on the published course, the language and the role. Rendering all of that
for every request cost more than the rest of the request together, so the page is rendered once
with *slots* in place of the per-user parts, kept, and the slots are filled per request.

Correctness rules, each enforced in ``render``:

* The view passes a ``key`` naming everything the page depends on besides the user (content
  hashes, read state, language); role and staff flag are added here. The cache is therefore only
  a copy of what rendering would produce, valid in any number of processes.
* While the shared copy is rendered, ``current_user`` is a :class:`SlotUser` that exposes only
  what is the same for everyone of the role; reading anything else raises, so a template change
  that starts showing per-user data fails loudly instead of leaking one officer's data to another.
* Requests that carry anything else per-user (a flashed message, a query string, a sign-in that
  must change its password) are rendered the ordinary way.
* A visitor's page (the sign-in form, ``key`` naming its language and the release) has no user to
  stand in for: only its form token is a slot. Its form must print ``csrf_token()``, not a form
  field's own token (which would be rendered into the shared copy).
"""
from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, render_template, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import escape

# Random per process, so lesson text cannot contain a slot by accident or by design.
_MARK = secrets.token_hex(12)
NAME_SLOT = f"marsa-slot-name-{_MARK}"
TOKEN_SLOT = f"marsa-slot-token-{_MARK}"
OWNER_SLOT = f"marsa-slot-owner-{_MARK}"

#: Pages kept per process (a lesson page is 5-30 KB: at most a few MB per worker).
MAX_PAGES = 128


class SlotUser:
    """``current_user`` while a shared page renders: the role's view of a user, nothing personal."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    must_change_password = False

    def __init__(self, role, is_staff: bool) -> None:
        self.role = role
        self.is_staff = is_staff
        self.full_name = NAME_SLOT
        self.offline_owner = OWNER_SLOT

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        # Not AttributeError: Jinja would print an empty string and the page would be cached.
        raise RuntimeError(f"a shared page read current_user.{name}, which differs between users; "
                           "render that page without sharedpages or add the attribute to SlotUser")


class SharedPages:
    def __init__(self, size: int = MAX_PAGES) -> None:
        self.size = size
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pages)

    def render(self, template: str, key: Hashable, lazy: Callable[[], dict] | None = None, **context: Any) -> str:
        """``lazy`` returns more of the context, built only when the page is rendered (not when the
        shared copy serves it): the sign-in page's form."""
        user = current_user._get_current_object()

        def rendered(**extra: Any) -> str:
            return render_template(template, **extra, **context, **(lazy() if lazy is not None else {}))

        if request.query_string or session.get("_flashes"):
            return rendered()
        if user.is_authenticated:
            if user.must_change_password:
                return rendered()
            who: tuple = (user.role, user.is_staff)
            stand_in: Any = SlotUser(user.role, user.is_staff)
        else:
            # A visitor (the sign-in page): nothing personal to keep out, only the form token.
            who, stand_in = ("visitor",), user
        full_key = (template, key, *who, request.path)
        with self._lock:
            page = self._pages.get(full_key)
            if page is not None:
                self._pages.move_to_end(full_key)
        if page is None:
            page = rendered(current_user=stand_in, csrf_token=lambda: TOKEN_SLOT)
            with self._lock:
                self._pages[full_key] = page
                while len(self._pages) > self.size:
                    self._pages.popitem(last=False)
        page = page.replace(TOKEN_SLOT, str(escape(generate_csrf())))
        if not user.is_authenticated:
            return page
        return page.replace(NAME_SLOT, str(escape(user.full_name))).replace(OWNER_SLOT, str(escape(user.offline_owner)))


def render_shared(template: str, key: Hashable, lazy: Callable[[], dict] | None = None, **context: Any) -> str:
    """``render_template`` for a page shared by a role and language: one cache per app (its
    configuration, such as the institute's name, is part of every page)."""
    pages = current_app.extensions.get("marsa_shared_pages")
    if pages is None:
        pages = current_app.extensions.setdefault("marsa_shared_pages", SharedPages())
    return pages.render(template, key, lazy, **context)
