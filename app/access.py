"""Who may see what: one answer per question, asked by the API, the reports and the
pipeline alike, so that no two places can disagree.

Parties are participants (``code`` and ``role``); operators see everything and send
nothing. Money — budgets, tariffs, costs — is the business of the contract's main
contractor and its municipalities (each of its own budget); a subcontractor works for the
main contractor at its own rates and sees none of it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

__all__ = ["Party", "sees_budget", "sees_contract_money"]

OPERATOR = "operator"
MUNICIPALITY = "municipality"


class Party(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def role(self) -> str: ...


def sees_contract_money(who: Party, main_contractor: str, municipalities: Collection[str]) -> bool:
    """Whether ``who`` sees a contract's tariffs and costs: operators, the main contractor
    and the contract's municipalities."""
    return (
        who.role == OPERATOR
        or who.code == main_contractor
        or (who.role == MUNICIPALITY and who.code in municipalities)
    )


def sees_budget(who: Party, main_contractor: str, municipality: str) -> bool:
    """Whether ``who`` sees one municipality's budget under a contract: operators, the main
    contractor, and that municipality itself."""
    return who.role == OPERATOR or who.code in (main_contractor, municipality)
