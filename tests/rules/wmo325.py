"""A WMO325 to change in rule tests: the standard publishes no example of it.

It is written out here from the WMO323 example instead of being built by ``app.retour``,
so the rule tests neither depend on how the hub composes its answers nor change when it
does. The answer rejects RN002 (client 1, line 2: 24000 of the 58000 cents, code 9339),
grants the rest and is dated 2023-05-20.
"""

from __future__ import annotations

import copy
from typing import Any

from app.standard import catalogue
from app.standard import messages as m
from tests.rules.helpers import Change, d, example

DAGTEKENING = "2023-05-20"


def answer() -> m.WMO325:
    declaratie = example("WMO323")
    sent, header = declaratie.Declaratie, declaratie.Header
    rejected = copy.deepcopy(sent.Clienten[0].Prestaties[1])
    rejected.RetourCodes = ["9339"]
    return m.WMO325(
        Header=m.DeclaratieAntwoordHeader(
            BerichtCode=catalogue.get("WMO325").code,
            BerichtVersie=3,
            BerichtSubversie=2,
            Afzender=header.Ontvanger,
            Ontvanger=header.Afzender,
            BerichtIdentificatie=m.BerichtIdentificatie(
                Identificatie="A00000000325", Dagtekening=d(DAGTEKENING)
            ),
            XsdVersie=copy.deepcopy(header.XsdVersie),
            DeclaratieIdentificatie=copy.deepcopy(header.BerichtIdentificatie),
            XsdVersieDeclaratie=copy.deepcopy(header.XsdVersie),
            RetourCodes=["0200"],
        ),
        DeclaratieAntwoord=m.DeclaratieAntwoord(
            DeclaratieNummer=sent.DeclaratieNummer,
            TotaalIngediendBedrag=copy.deepcopy(sent.TotaalIngediendBedrag),
            TotaalToegekendBedrag=m.TotaalBedragMetDC(TotaalBedrag=34000, DebetCredit="D"),
            Clienten=[
                m.DeclaratieClient(
                    Bsn=sent.Clienten[0].Bsn, Prestaties=[rejected], RetourCodes=["0200"]
                )
            ],
            RetourCodes=["0200"],
        ),
    )


def message(name: str, change: Change) -> Any:
    """A changed published example, or a changed ``answer()`` for WMO325."""
    msg = answer() if name == "WMO325" else example(name)
    change(msg)
    return msg
