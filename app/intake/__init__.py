"""The intake: the pipeline every inbound message runs through — store, check, authorize,
judge, apply, route, answer — returning a verdict (see ``pipeline``)."""

from app.intake.judge import ComposeError
from app.intake.pipeline import Intake
from app.intake.reprocess import reprocess, retry_set_aside, unfinished
from app.intake.store import TOO_LARGE_KEPT
from app.intake.verdicts import Observer, Receipt, Refusal, Sender, Verdict

__all__ = [
    "TOO_LARGE_KEPT",
    "ComposeError",
    "Intake",
    "Observer",
    "Receipt",
    "Refusal",
    "Sender",
    "Verdict",
    "reprocess",
    "retry_set_aside",
    "unfinished",
]
