"""For operators: participants (register, issue a new key — shown once —, deactivate),
contracts (view; load a file, with a dry run listing every problem) and catalogues. The
same functions as the CLI and the management API do the work."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from app import access
from app.administration import models as db
from app.administration import participants
from app.console.web import (
    Viewer,
    form,
    operators_only,
    page,
    render,
    services,
    sessions,
    to_login,
    viewer,
)
from app.routing import contracts
from app.routing.models import Contract, FunctionCatalogue

MAX_FILE = 1024 * 1024  # a contract file larger than this is refused


def _forget(request: Request) -> None:
    """Keys and participants changed: the API's key cache and the pipeline ask again."""
    request.app.state.key_cache.clear()
    services(request).intake.participants.forget()


@operators_only
def _participants(request: Request, who: Viewer, /, **context: Any) -> Response:
    with services(request).database.read() as s:
        rows = list(
            s.scalars(select(db.Participant).order_by(db.Participant.role, db.Participant.code))
        )
        return render(
            request,
            "participants.html",
            who,
            rows=rows,
            roles=participants.ROLES,
            may_deactivate=lambda code: access.may_deactivate(who, code),
            **context,
        )


participant_list = page(_participants)


@operators_only
def _register(request: Request, who: Viewer, data: FormData) -> Response:
    code = str(data.get("code") or "").strip()
    role = str(data.get("role") or "")
    name = str(data.get("name") or "").strip()[:200]
    if not name:
        return _participants(request, who, error="name: required")
    try:
        with services(request).database.write() as s:
            if participants.by_code(s, code) is not None:
                return _participants(request, who, error=f"a participant with code {code} exists")
            _, key = participants.add(
                s,
                code,
                role,
                name,
                allow_unknown_municipality=data.get("allow_unknown") == "on",
                extra_municipalities=services(request).settings.extra_municipality_codes,
            )
    except participants.ParticipantError as exc:
        return _participants(request, who, error=str(exc))
    except IntegrityError:
        return _participants(request, who, error=f"a participant with code {code} exists")
    _forget(request)
    return _participants(request, who, new_key=(code, key))


register = form(_register)


@operators_only
def _rotate(request: Request, who: Viewer, data: FormData) -> Response:
    code = request.path_params["code"]
    with services(request).database.write() as s:
        if participants.by_code(s, code) is None:
            return _participants(request, who, error=f"no participant {code}")
        key = participants.rotate_key(s, code)
    _forget(request)
    return _participants(request, who, new_key=(code, key))


rotate = form(_rotate)


@operators_only
def _deactivate(request: Request, who: Viewer, data: FormData) -> Response:
    code = request.path_params["code"]
    if not access.may_deactivate(who, code):
        return _participants(request, who, error="an operator cannot deactivate itself")
    with services(request).database.write() as s:
        p = participants.by_code(s, code)
        if p is None:
            return _participants(request, who, error=f"no participant {code}")
        p.active = False
    _forget(request)
    return _participants(request, who, done=("deactivated", code))


deactivate = form(_deactivate)


# --- contracts and catalogues -----------------------------------------------------------


@operators_only
def _contracts(request: Request, who: Viewer, /, **context: Any) -> Response:
    with services(request).database.read() as s:
        rows = [
            contracts.contract_as_dict(c)
            for c in s.scalars(
                select(Contract)
                .options(
                    selectinload(Contract.municipalities),
                    selectinload(Contract.subcontractors),
                    selectinload(Contract.catalogue),
                )
                .order_by(Contract.key)
            )
        ]
        return render(request, "contracts.html", who, rows=rows, **context)


contract_list = page(_contracts)


async def _read_upload(data: FormData) -> tuple[str, str] | str:
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return "file: required"
    raw = await upload.read(MAX_FILE + 1)
    if len(raw) > MAX_FILE:
        return f"{upload.filename}: larger than {MAX_FILE} bytes"
    try:
        return upload.filename, raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"{upload.filename}: not UTF-8 text"


@operators_only
def _load(request: Request, who: Viewer, data: FormData, upload: tuple[str, str] | str) -> Response:
    if isinstance(upload, str):
        return _contracts(request, who, problems=[upload])
    name, text = upload
    dry = data.get("dry_run") == "on"
    svc = services(request)
    extra = svc.settings.extra_municipality_codes
    try:
        definition = contracts.parse_text(text, name)
        if dry:
            with svc.database.read() as s:
                outcome = contracts.load(s, definition, dry_run=True, extra_municipalities=extra)
        else:
            with svc.database.write() as s:
                outcome = contracts.load(s, definition, extra_municipalities=extra)
            svc.contracts.forget()
    except contracts.ConfigError as exc:
        return _contracts(request, who, problems=list(exc.problems), file=name)
    return _contracts(request, who, outcome=outcome.summary(), dry=dry, file=name)


async def load(request: Request) -> Response:
    """The upload is read here (asynchronously); checking and loading run on a thread."""
    who = await run_in_threadpool(viewer, request)
    if who is None:
        return to_login(request)
    data = await request.form(max_files=1, max_fields=10)
    if not sessions(request).csrf_ok(who.nonce, data.get("csrf")):
        return render(request, "error.html", who, status=403, message="csrf_failed")
    upload = await _read_upload(data)
    return await run_in_threadpool(_load, request, who, data, upload)


@operators_only
def _catalogues(request: Request, who: Viewer) -> Response:
    with services(request).database.read() as s:
        rows = list(
            s.scalars(
                select(FunctionCatalogue)
                .options(selectinload(FunctionCatalogue.functions))
                .order_by(FunctionCatalogue.key, FunctionCatalogue.version)
            )
        )
        return render(request, "catalogues.html", who, rows=rows)


catalogue_list = page(_catalogues)
