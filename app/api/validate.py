"""Checking a message without storing or routing it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

router = APIRouter(tags=["validation"])

_EXAMPLE: dict[str, Any] = {
    "message": "WMO317",
    "schema_valid": True,
    "findings": [
        {
            "rule": "TR380",
            "return_code": "0001",
            "path": "/Bericht/Client/Verzoek/TeWijzigenProducten/TeWijzigenProduct[1]"
            "/GewensteIngangsdatum",
            "message": "GewensteIngangsdatum 2023-04-02 is not after the Dagtekening 2023-04-02",
        }
    ],
}


class FindingOut(BaseModel):
    rule: str = Field(description="CD, CS or TR code of the standard; XML, XSD or CODEC")
    return_code: str = Field(description="WJ001 return code a retour message carries for it")
    path: str = Field(description="element path, e.g. /Bericht/Client/Bsn")
    message: str
    line: int | None = None


class ValidationOut(BaseModel):
    message: str | None = Field(description="WMO301 .. WMO325; null when not an iWmo message")
    schema_valid: bool
    findings: list[FindingOut]

    model_config = {"json_schema_extra": {"examples": [_EXAMPLE]}}


@router.post(
    "/validate",
    response_model=ValidationOut,
    summary="Check one iWmo message (schema and message rules) without storing it",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/xml": {
                    "schema": {"type": "string"},
                    "example": "<wmo317:Bericht ...>...</wmo317:Bericht>",
                }
            },
        }
    },
)
async def validate_message(request: Request) -> ValidationOut:
    body = await request.body()
    report = request.app.state.validator.check(body)
    return ValidationOut.model_validate(report.as_json())
