"""Every table of the service in one metadata: the administration's and routing's. What the
migrations are compared with, and what a database is created or wiped by."""

from app.administration.models import Base
from app.routing import models as _routing  # noqa: F401  (registers the routing tables)

__all__ = ["metadata"]

metadata = Base.metadata
