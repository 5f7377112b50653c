"""Fixtures of the administration tests (the app, one client per participant), and a few
of this folder's own."""

from __future__ import annotations

from tests.administration.conftest import aanbieder, anonymous, app, gemeente, operator

__all__ = ["aanbieder", "anonymous", "app", "gemeente", "operator"]
