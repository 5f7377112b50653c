"""Checking a message without storing or routing it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from app.api import bodies, examples
from app.api.problems import problem, problem_response
from app.intake.check import UNREADABLE

router = APIRouter(tags=["validation"])

_EXAMPLE = examples.CHANGE_REQUEST_FINDINGS
# Worded as POST /v1/berichten words it.
EMPTY_TITLE = UNREADABLE["empty"][0]


class FindingOut(BaseModel):
    """Something wrong with a message: a rule it breaks, and where."""

    rule: str = Field(
        description="CD, CS or TR code of the standard, RT code of the service; XML, XSD or CODEC",
        examples=["TR019"],
    )
    return_code: str = Field(
        description="WJ001 return code a retour message carries for it", examples=["9019"]
    )
    path: str = Field(
        description="the element from the root, with a 1-based index on repeated elements",
        examples=["/Bericht/Client/StartProducten/StartProduct[1]/ToewijzingNummer"],
    )
    message: str = Field(
        description="what is wrong, without repeating personal data",
        examples=["ToewijzingNummer 300201 is not an allocation of this client"],
    )
    line: int | None = Field(
        default=None, description="the line in the message, when known", examples=[37]
    )


class ValidationOut(BaseModel):
    """The verdict on one message checked on its own."""

    message: str | None = Field(description="WMO301 .. WMO325; null when not an iWmo message")
    schema_valid: bool = Field(description="valid against its message schema")
    findings: list[FindingOut]

    model_config = {"json_schema_extra": {"examples": [_EXAMPLE]}}


@router.post(
    "/validate",
    response_model=ValidationOut,
    summary="Check one iWmo message (schema and message rules) without storing it",
    description="Safe parsing, the XSD of the message type, then every rule that can be "
    "checked within the message (send the XML as the body). Nothing is stored or routed, "
    "and no API key is needed. Rules across messages and against the administration run "
    "only when a message is sent with `POST /v1/berichten`. A body that is not XML, or not "
    "an iWmo 3.2 message, gets findings (rule `XML`) like any other, with HTTP 200; an empty "
    "body is no message at all (400, as `POST /v1/berichten` answers it).",
    responses={
        200: {
            "description": "the findings; an empty list when the message is clean",
            "content": {"application/json": {"example": _EXAMPLE}},
        },
        400: problem(
            400,
            "the body is empty",
            "empty",
            EMPTY_TITLE,
            "message is empty",
            findings=[
                {"rule": "XML", "return_code": "0001", "path": "/", "message": "message is empty"}
            ],
        ),
        413: problem(
            413,
            "larger than the limit (IWMO_MAX_MESSAGE_BYTES)",
            "too_large",
            "the request body is too large",
            "the body is at least 20,971,521 bytes; the limit for this endpoint is 20,971,520 "
            "bytes",
        ),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/xml": {
                    "schema": examples.MESSAGE_SCHEMA,
                    "example": examples.CHANGE_REQUEST,
                }
            },
        }
    },
)
async def validate_message(request: Request) -> ValidationOut | Response:
    validator = request.app.state.validator
    limit = validator.settings.max_message_bytes
    try:
        body = await bodies.read_capped(request, limit)
    except bodies.ClientDisconnect:
        return bodies.disconnected()
    if body.too_large:
        return bodies.too_large(body, limit)
    # Parsing and validating take CPU time: off the event loop, like POST /v1/berichten,
    # and a few large messages at a time.
    async with request.app.state.large_bodies.turn(body.size):
        report = await request.app.state.judging.run(validator.check, body.data)
    if report.problem == "empty":
        [finding] = report.findings
        return problem_response(
            400, "empty", EMPTY_TITLE, finding.message, findings=[finding.as_json()]
        )
    return ValidationOut.model_validate(report.as_json())
