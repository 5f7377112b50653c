"""Logging in with an API key, logging out, and choosing the language."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from app.administration import participants
from app.console import i18n
from app.console.session import COOKIE, LANG_COOKIE, LOGIN_COOKIE, LOGIN_SECONDS
from app.console.web import PREFIX, render, services, sessions, viewer


def _cookie(response: Response, request: Request, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


async def login_form(request: Request) -> Response:
    if await run_in_threadpool(viewer, request) is not None:
        return RedirectResponse(f"{PREFIX}/", status_code=303)
    return _login_page(request)


def _login_page(request: Request, failed: str | None = None, status: int = 200) -> Response:
    cookie, token = sessions(request).login_nonce()
    response = render(
        request,
        "login.html",
        None,
        status=status,
        login_token=token,
        failed=failed,
        minutes=sessions(request).lifetime // 60,
    )
    _cookie(response, request, LOGIN_COOKIE, cookie, LOGIN_SECONDS)
    return response


def _authenticate(request: Request, key: str) -> int | None:
    with services(request).database.read() as s:
        p = participants.authenticate(s, key)
        return None if p is None else p.id


async def login(request: Request) -> Response:
    data = await request.form()
    if not sessions(request).login_ok(request.cookies.get(LOGIN_COOKIE), data.get("csrf")):
        return _login_page(request, "csrf_failed", 403)
    key = data.get("api_key")
    pid = (
        await run_in_threadpool(_authenticate, request, key.strip())
        if isinstance(key, str)
        else None
    )
    if pid is None:
        return _login_page(request, "login_failed", 401)
    response = RedirectResponse(f"{PREFIX}/", status_code=303)
    _cookie(response, request, COOKIE, sessions(request).issue(pid), sessions(request).lifetime)
    response.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return response


async def logout(request: Request) -> Response:
    who = await run_in_threadpool(viewer, request)
    data = await request.form()
    if who is not None and not sessions(request).csrf_ok(who.nonce, data.get("csrf")):
        return render(request, "error.html", who, status=403, message="csrf_failed")
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX)
    return response


async def choose_language(request: Request) -> Response:
    """``?to=en`` or ``?to=nl``; back to the page it was asked from (within the console)."""
    chosen = i18n.language(request.query_params.get("to"))
    back = request.query_params.get("back", f"{PREFIX}/")
    if not back.startswith(PREFIX + "/") or "//" in back or "\\" in back:
        back = f"{PREFIX}/"
    response = RedirectResponse(back, status_code=303)
    _cookie(response, request, LANG_COOKIE, chosen, 365 * 24 * 3600)
    return response
