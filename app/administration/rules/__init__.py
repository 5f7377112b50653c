"""Rules that look beyond the message: at the administration (earlier messages) or at an
external source (the CBS municipality list, the product code list, the clock). Importing
this package registers them in ``app.rules.REGISTRY``."""

from app.administration.rules import (  # noqa: F401
    declaratie,
    header,
    levering,
    toewijzing,
    verzoek,
)
