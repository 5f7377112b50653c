"""Telling a sender what the intake decided: the verdict as an HTTP response.

The intake says what became of a message; which status code and which problem document
say so is decided here, and only here."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from app.intake import Verdict

__all__ = ["STATUS_OF_REFUSAL", "http_status", "response_for"]

PROBLEM = "application/problem+json"

# The HTTP status of each kind of refusal (see ``app.intake.Refusal``).
STATUS_OF_REFUSAL: dict[str, int] = {
    "empty": 400,
    "encoding": 400,
    "doctype": 400,
    "not_well_formed": 400,
    "unknown_root": 400,
    "forbidden": 403,
    "too_large": 413,
    "media_type": 415,
    "schema": 422,
    "unrepresentable": 422,
    "unknown_receiver": 422,
    "rejected": 422,
    "timeout": 422,
    "set_aside": 422,
}


def http_status(verdict: Verdict) -> int:
    if verdict.refusal is not None:
        return STATUS_OF_REFUSAL[verdict.refusal.kind]
    return 200


def response_for(verdict: Verdict, headers: dict[str, str] | None = None) -> Response:
    """The retour (XML), a receipt (JSON) or a problem document (problem+json)."""
    headers = dict(headers or {})
    if verdict.message_id is not None:
        headers["Location"] = f"/v1/berichten/{verdict.message_id}"
    if verdict.replayed:
        headers["X-Iwmo-Replayed"] = "true"
    if verdict.retour is not None:
        return Response(verdict.retour, media_type="application/xml", headers=headers)
    if verdict.receipt is not None:
        r = verdict.receipt
        body: dict[str, Any] = {
            "status": r.status,
            "message_id": r.message_id,
            "message": r.message_type,
            "answers": r.answers,
        }
        return Response(json.dumps(body).encode(), media_type="application/json", headers=headers)
    refusal = verdict.refusal
    assert refusal is not None, "a verdict is a retour, a receipt or a refusal"
    status = STATUS_OF_REFUSAL[refusal.kind]
    problem: dict[str, Any] = {
        "type": f"urn:iwmo-hub:problem:{refusal.kind}",
        "title": refusal.title,
        "status": status,
        "detail": refusal.detail,
    }
    if verdict.message_id is not None:
        problem["instance"] = f"/v1/berichten/{verdict.message_id}"
        problem["message_id"] = verdict.message_id
    if refusal.code:
        problem["code"] = refusal.code
    if refusal.findings is not None:
        problem["findings"] = refusal.findings
        if refusal.omitted:
            problem["findings_omitted"] = refusal.omitted
    return Response(
        json.dumps(problem, ensure_ascii=False).encode(),
        status_code=status,
        media_type=PROBLEM,
        headers=headers,
    )
