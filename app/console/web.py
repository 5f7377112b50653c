"""What every console page shares: who is looking (from the session cookie), rendering a
template in the viewer's language, and the guards for pages and forms."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app import access
from app.administration import models as db
from app.clock import NETHERLANDS
from app.console import i18n
from app.console.session import COOKIE, LANG_COOKIE, Sessions
from app.services import Services

TEMPLATES = Path(__file__).parent / "templates"
PREFIX = "/console"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Viewer:
    """The participant looking at the console (an ``access.Account``)."""

    id: int
    code: str
    role: str
    name: str
    nonce: str

    @property
    def operator(self) -> bool:
        return access.is_operator(self)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def sessions(request: Request) -> Sessions:
    found: Sessions = request.app.state.console_sessions
    return found


def lang(request: Request) -> str:
    return i18n.language(request.cookies.get(LANG_COOKIE))


def viewer(request: Request) -> Viewer | None:
    """The logged-in participant, if the cookie is ours, not expired, and the participant
    still active (a deactivated one is shut out at its next click)."""
    ticket = sessions(request).read(request.cookies.get(COOKIE))
    if ticket is None:
        return None
    with services(request).database.read() as s:
        p = s.scalar(
            select(db.Participant).where(
                db.Participant.id == ticket.participant_id, db.Participant.active
            )
        )
        if p is None:
            return None
        return Viewer(p.id, p.code, str(p.role), p.name, ticket.nonce)


def local(moment: datetime | None) -> str:
    """A moment as Dutch local time, to the minute."""
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite gives naive UTC
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(NETHERLANDS).strftime("%Y-%m-%d %H:%M")


def euros(cents: int | None, language: str = i18n.DEFAULT) -> str:
    if cents is None:
        return ""
    whole, rest = divmod(abs(cents), 100)
    sep, dec = (".", ",") if language == "nl" else (",", ".")
    text = f"{whole:,}".replace(",", sep)
    return f"{'-' if cents < 0 else ''}€ {text}{dec}{rest:02d}"


def render(
    request: Request, template: str, who: Viewer | None, status: int = 200, **context: Any
) -> HTMLResponse:
    language = lang(request)

    def t(key: str, **values: object) -> str:
        return i18n.translate(language, key, **values)

    html = environment.get_template(template).render(
        request=request,
        who=who,
        lang=language,
        t=t,
        role_name=lambda r: i18n.named(i18n.ROLE_NAMES, language, str(r)),
        status_name=lambda s: i18n.named(i18n.STATUS_NAMES, language, str(s)),
        csrf=sessions(request).csrf(who.nonce) if who else "",
        prefix=PREFIX,
        local=local,
        euros=lambda c: euros(c, language),
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


def to_login(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/login", status_code=303)


Page = Callable[[Request, Viewer], Response]
FormPage = Callable[[Request, Viewer, FormData], Response]


def page(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """A page for logged-in participants: the handler runs on a worker thread with the
    viewer; without a valid session, the login page."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        who = await run_in_threadpool(viewer, request)
        if who is None:
            return to_login(request)
        return await run_in_threadpool(handler, request, who)

    return endpoint


def form(handler: FormPage) -> Callable[[Request], Awaitable[Response]]:
    """A form post: a valid session and the session's CSRF token, or nothing happens."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        who = await run_in_threadpool(viewer, request)
        if who is None:
            return to_login(request)
        data = await request.form()
        if not sessions(request).csrf_ok(who.nonce, data.get("csrf")):
            return render(request, "error.html", who, status=403, message="csrf_failed")
        return await run_in_threadpool(handler, request, who, data)

    return endpoint


def not_found(request: Request, who: Viewer) -> HTMLResponse:
    return render(request, "error.html", who, status=404, message="not_found")


P = ParamSpec("P")


def operators_only(
    handler: Callable[Concatenate[Request, Viewer, P], Response],
) -> Callable[Concatenate[Request, Viewer, P], Response]:
    """A page or form for operators alone (as the access policy says): anyone else gets
    403 and the handler never runs."""

    @functools.wraps(handler)
    def guarded(request: Request, who: Viewer, /, *args: P.args, **kwargs: P.kwargs) -> Response:
        if not access.may_manage(who):
            return render(request, "error.html", who, status=403, message="forbidden")
        return handler(request, who, *args, **kwargs)

    return guarded
