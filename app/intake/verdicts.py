"""What the intake says about a message: a verdict, never an HTTP response.

The pipeline ends in one of three ways: the message was judged and answered with its retour
(or WMO325); a retour or WMO325 the party sent was recorded (a receipt); or the message was
refused before it could be judged (a refusal, with its kind). How each is told to the
sender — status codes, problem documents — is the API's business alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Observer", "Receipt", "Refusal", "Sender", "Verdict"]


@dataclass(frozen=True)
class Sender:
    """The authenticated participant posting a message."""

    id: int
    code: str
    role: str


@dataclass(frozen=True)
class Refusal:
    """Why a message was not judged. ``kind`` names the reason:

    * ``empty``, ``encoding``, ``doctype``, ``not_well_formed``, ``unknown_root``: not an
      iWmo message that can be read;
    * ``too_large``, ``media_type``: not sent as one (over the size limit, not XML);
    * ``schema``: not valid against its schema; ``unrepresentable``: a value the service
      cannot represent where no retour can be built;
    * ``forbidden``: sent in another party's name, in a role that does not send it, or an
      answer to something its poster was never sent;
    * ``unknown_receiver``: the other party is no participant;
    * ``rejected``: a retour or WMO325 that cannot be accepted;
    * ``timeout``: judging took longer than the service allows;
    * ``set_aside``: judging failed too often; for an operator.

    ``code`` is the standard's transport error code, where one applies (Fo01: IB004...)."""

    kind: str
    title: str
    detail: str
    code: str | None = None
    findings: list[dict[str, Any]] | None = None
    omitted: int = 0  # findings not listed


@dataclass(frozen=True)
class Receipt:
    """A retour or WMO325 the party sent, recorded: ``answers`` is the message it answers."""

    status: str
    message_id: int
    message_type: str | None
    answers: int | None


@dataclass
class Verdict:
    """What became of one message: its retour, a receipt, or a refusal (exactly one)."""

    message_id: int | None
    message_type: str | None
    status: str | None  # the message's status as recorded (accepted, rejected, ...)
    retour: bytes | None = None
    receipt: Receipt | None = None
    refusal: Refusal | None = None
    replayed: bool = False  # the same bytes were received before: the stored verdict


Observer = Callable[[Verdict, float], None]
