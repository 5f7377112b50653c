"""Technical rules (TR) checked within one message.

Each case changes a published example as little as possible. A breaking case names the
element the finding must point at; a case without paths is the nearest valid variant and
must yield no finding for that rule. Rule texts: technische-regels/xslt/*.md and
berichtoverstijgend/TR319.md.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from app.rules import REGISTRY
from app.standard import messages as m
from tests.rules.helpers import Change, d, findings_of
from tests.rules.wmo325 import message

CLIENT = "/Bericht/Client"
ALLOCATIONS = f"{CLIENT}/ToegewezenProducten"
RELATION_1 = f"{CLIENT}/Relaties/Relatie[1]"
CONTACTS = f"{CLIENT}/Contactgegevens"
REQUESTS = f"{CLIENT}/AangevraagdeProducten"
VERZOEK = f"{CLIENT}/Verzoek"
NEW = f"{VERZOEK}/NieuweProducten"
DECLARATIE = "/Bericht/Declaratie"
LINES_1 = f"{DECLARATIE}/Clienten/Client[1]/Prestaties"
LINES_2 = f"{DECLARATIE}/Clienten/Client[2]/Prestaties"
ANSWER = "/Bericht/DeclaratieAntwoord"
ANSWER_LINES = f"{ANSWER}/Clienten/Client[1]/Prestaties"


def case(rule: str, name: str, change: Change, *paths: str, rc: str = "0001") -> Any:
    """Without paths the case is valid; with paths each is one finding, in order."""
    kind = "breaks" if paths else "holds"
    label = f"{rule}-{name}-{kind}-{change.__name__}"
    return pytest.param(rule, name, change, [(p, rc) for p in paths], id=label)


def named(label: str, change: Change) -> Change:
    change.__name__ = label
    return change


def unchanged(msg: Any) -> None:
    pass


# --- TR002 at most 120 years old; TR134 past dates not after the Dagtekening ----------------
# Dagtekening: 301 2023-08-13, 305 2025-04-05, 307 2025-07-21, 315 2023-07-15,
# 323 2023-05-06, 325 (built here) 2023-05-20.


def born(value: str, use: str | None = None, relation: int | None = None) -> Change:
    def set_birth(msg: Any) -> None:
        if relation is None:
            g = msg.Client.Geboortedatum
        else:
            g = msg.Client.Relaties[relation - 1].Geboortedatum
        g.Datum, g.DatumGebruik = d(value), use

    who = "client" if relation is None else f"relation_{relation}"
    return named(f"{who}_born_{value}" + (f"_datumgebruik_{use}" if use else ""), set_birth)


BIRTH = f"{CLIENT}/Geboortedatum/Datum"


def allocated_on(value: str) -> Change:
    def set_date(msg: Any) -> None:
        msg.Client.ToegewezenProducten[0].Toewijzingsdatum = d(value)

    return named(f"toewijzingsdatum_{value}", set_date)


def declaration_dated(value: str) -> Change:
    def set_date(msg: Any) -> None:
        msg.Declaratie.DeclaratieDagtekening = d(value)

    return named(f"declaratiedagtekening_{value}", set_date)


def declaration_period(begin: str, end: str) -> Change:
    def set_period(msg: Any) -> None:
        p = msg.Declaratie.DeclaratiePeriode
        p.Begindatum, p.Einddatum = d(begin), d(end)

    return named(f"declaratieperiode_{begin}_{end}", set_period)


def product_period(begin: str, end: str) -> Change:
    def set_period(msg: Any) -> None:
        root = msg.Declaratie if isinstance(msg, m.WMO323) else msg.DeclaratieAntwoord
        p = root.Clienten[0].Prestaties[0].ProductPeriode
        p.Begindatum, p.Einddatum = d(begin), d(end)

    return named(f"productperiode_{begin}_{end}", set_period)


def answered_declaration_dated(value: str) -> Change:
    def set_date(msg: Any) -> None:
        msg.Header.DeclaratieIdentificatie.Dagtekening = d(value)

    return named(f"declaratie_identificatie_dagtekening_{value}", set_date)


def dated(value: str) -> Change:
    def set_date(msg: Any) -> None:
        msg.Header.BerichtIdentificatie.Dagtekening = d(value)

    return named(f"dagtekening_{value}", set_date)


# --- TR006 contact reachable; TR061 a lasting client address --------------------------------

PHONE = m.Telefoonnummers(Telefoon01=m.Telefoon(Telefoonnummer="0101234567", Landnummer="0031"))


def client_postcode_dropped(msg: Any) -> None:
    adres = msg.Client.Contactgegevens[0].Adres
    adres.Postcode = adres.LandCode = None


def client_huis_dropped(msg: Any) -> None:
    msg.Client.Contactgegevens[0].Adres.Huis = None


def client_phone_added(msg: Any) -> None:
    msg.Client.Contactgegevens[0].Telefoon = copy.deepcopy(PHONE)


def client_adres_replaced_by_phone(msg: Any) -> None:
    msg.Client.Contactgegevens[0].Adres = None
    client_phone_added(msg)


def relation_phone_and_huis_dropped(msg: Any) -> None:
    contact = msg.Client.Relaties[0].Contact
    contact.Telefoon = None
    contact.Adres.Huis = None


def relation_huis_dropped(msg: Any) -> None:
    msg.Client.Relaties[0].Contact.Adres.Huis = None


def client_soort_02_by_phone_only(msg: Any) -> None:
    """The client's only lasting contact is a correspondence contact without an Adres."""
    contact = msg.Client.Contactgegevens[0]
    contact.Soort = "02"
    contact.Adres = None
    contact.Telefoon = copy.deepcopy(PHONE)
    msg.Client.Contactgegevens = [contact]


def client_contacts(*soorten: str) -> Change:
    def set_contacts(msg: Any) -> None:
        first = msg.Client.Contactgegevens[0]
        msg.Client.Contactgegevens = []
        for soort in soorten:
            contact = copy.deepcopy(first)
            contact.Soort = soort
            msg.Client.Contactgegevens.append(contact)

    return named("contacts_of_soort_" + "_".join(soorten), set_contacts)


# --- TR018 a stop ends on or after its start ------------------------------------------------


def start_begins(index: int, value: str) -> Change:
    def set_begin(msg: Any) -> None:
        msg.Client.StartProducten[index - 1].Begindatum = d(value)

    return named(f"start_{index}_begins_{value}", set_begin)


def stop_ends(index: int, value: str) -> Change:
    def set_end(msg: Any) -> None:
        msg.Client.StopProducten[index - 1].Einddatum = d(value)

    return named(f"stop_{index}_ends_{value}", set_end)


# --- TR101 no duplicate lines ---------------------------------------------------------------


def allocation_copied(nummer: int) -> Change:
    def add(msg: Any) -> None:
        extra = copy.deepcopy(msg.Client.ToegewezenProducten[0])
        extra.ToewijzingNummer = nummer
        msg.Client.ToegewezenProducten.append(extra)

    return named(f"allocation_copied_as_{nummer}", add)


def relation_2_numbered(nummer: str) -> Change:
    def renumber(msg: Any) -> None:
        msg.Client.Relaties[1].Nummer = nummer

    return named(f"relation_2_numbered_{nummer}", renumber)


def start_2_like_start_1(begindatum: str = "2025-04-03", status: str = "1") -> Change:
    def align(msg: Any) -> None:
        second = msg.Client.StartProducten[1]
        second.ToewijzingNummer = 300201
        second.Product = m.Product(Categorie="01", Code="01A11")
        second.Begindatum, second.StatusAanlevering = d(begindatum), status

    return named(f"start_2_like_start_1_begins_{begindatum}_status_{status}", align)


def stop_2_like_stop_1(einddatum: str = "2025-07-18", reden: str = "31") -> Change:
    def align(msg: Any) -> None:
        second = msg.Client.StopProducten[1]
        second.ToewijzingNummer = 300201
        second.Product = m.Product(Categorie="01", Code="01A11")
        second.Begindatum, second.RedenBeeindiging = d("2025-04-03"), reden
        second.Einddatum = d(einddatum)

    return named(f"stop_2_like_stop_1_ends_{einddatum}_reden_{reden}", align)


def request_2_referenced(referentie: str) -> Change:
    def set_reference(msg: Any) -> None:
        msg.Client.AangevraagdeProducten[1].ReferentieAanbieder = referentie

    return named(f"request_2_referenced_{referentie}", set_reference)


def request_1_copied_as(referentie: str) -> Change:
    def add(msg: Any) -> None:
        extra = copy.deepcopy(msg.Client.AangevraagdeProducten[0])
        extra.ReferentieAanbieder = referentie
        msg.Client.AangevraagdeProducten.append(extra)

    return named(f"request_1_copied_as_{referentie}", add)


def unchanged_product_repeated(msg: Any) -> None:
    v = msg.Client.Verzoek
    v.OngewijzigdeProducten.append(copy.deepcopy(v.OngewijzigdeProducten[0]))


def product_to_change_repeated(msg: Any) -> None:
    v = msg.Client.Verzoek
    v.TeWijzigenProducten.append(copy.deepcopy(v.TeWijzigenProducten[0]))


def product_to_change_added(msg: Any) -> None:
    v = msg.Client.Verzoek
    extra = copy.deepcopy(v.TeWijzigenProducten[0])
    extra.ToewijzingNummer = 10073
    v.TeWijzigenProducten.append(extra)


def new_product_copied(code: str = "01A12", begins: str = "2023-04-02") -> Change:
    def add(msg: Any) -> None:
        extra = copy.deepcopy(msg.Client.Verzoek.NieuweProducten[0])
        extra.Product.Code, extra.GewensteIngangsdatum = code, d(begins)
        msg.Client.Verzoek.NieuweProducten.append(extra)

    return named(f"new_product_copied_code_{code}_begins_{begins}", add)


def declaration_client_2_bsn(bsn: str) -> Change:
    def set_bsn(msg: Any) -> None:
        msg.Declaratie.Clienten[1].Bsn = bsn

    return named(f"client_2_bsn_{bsn}", set_bsn)


def reference(client: int, line: int, nummer: str, vorige: str | None = None) -> Change:
    def set_reference(msg: Any) -> None:
        ref = msg.Declaratie.Clienten[client - 1].Prestaties[line - 1].ProductReferentie
        ref.ReferentieNummer, ref.VorigReferentieNummer = nummer, vorige

    label = f"client_{client}_line_{line}_referentie_{nummer}"
    return named(label + (f"_vorig_{vorige}" if vorige else ""), set_reference)


def answer_line_repeated(nummer: str = "RN002") -> Change:
    def add(msg: Any) -> None:
        lines = msg.DeclaratieAntwoord.Clienten[0].Prestaties
        extra = copy.deepcopy(lines[0])
        extra.ProductReferentie.ReferentieNummer = nummer
        lines.append(extra)

    return named(f"answer_line_repeated_as_{nummer}", add)


# --- TR302, TR386, TR410 the same product in overlapping periods ----------------------------


def allocation_added(
    begins: str,
    ends: str | None,
    categorie: str | None = "01",
    code: str | None = "01A01",
    reden: str | None = None,
) -> Change:
    def add(msg: Any) -> None:
        extra = copy.deepcopy(msg.Client.ToegewezenProducten[0])  # 01/01A01 2023-01-01..12-31
        extra.ToewijzingNummer = 102
        extra.Ingangsdatum, extra.Einddatum = d(begins), d(ends) if ends else None
        extra.RedenWijziging = reden
        if categorie is None:
            extra.Product, extra.Omvang, extra.Budget = None, None, 250000
        else:
            extra.Product = m.Product(Categorie=categorie, Code=code)
        msg.Client.ToegewezenProducten.append(extra)

    product = "no_product" if categorie is None else f"{categorie}_{code or 'no_code'}"
    label = f"allocation_{product}_{begins}_{ends or 'open'}" + (f"_reden_{reden}" if reden else "")
    return named(label, add)


def first_product_is(categorie: str, code: str | None) -> Change:
    def set_product(msg: Any) -> None:
        p: m.ToegewezenProduct | m.AangevraagdProduct | m.NieuwProduct
        if isinstance(msg, m.WMO301):
            p = msg.Client.ToegewezenProducten[0]
        elif isinstance(msg, m.WMO315):
            p = msg.Client.AangevraagdeProducten[0]
        else:
            p = msg.Client.Verzoek.NieuweProducten[0]
        p.Product = m.Product(Categorie=categorie, Code=code)

    return named(f"first_product_{categorie}_{code or 'no_code'}", set_product)


def first_allocation_deleted(reden: str) -> Change:
    def delete(msg: Any) -> None:
        first = msg.Client.ToegewezenProducten[0]
        first.Einddatum, first.RedenWijziging = first.Ingangsdatum, reden

    return named(f"first_allocation_ends_on_its_start_reden_{reden}", delete)


def first_allocation_open(msg: Any) -> None:
    msg.Client.ToegewezenProducten[0].Einddatum = None


def then(*changes: Change) -> Change:
    def combined(msg: Any) -> None:
        for change in changes:
            change(msg)

    return named("_then_".join(c.__name__ for c in changes), combined)


def request_2_is(categorie: str | None, code: str | None, begins: str = "2023-06-01") -> Change:
    def set_request(msg: Any) -> None:
        second = msg.Client.AangevraagdeProducten[1]  # 02/BCDEF 2023-06-01..06-30
        second.ToewijzingIngangsdatum = d(begins)
        second.ToewijzingEinddatum = max(d(begins), d("2023-06-30"))
        if categorie is None:
            second.Product, second.Omvang, second.Budget = None, None, 250000
        else:
            second.Product = m.Product(Categorie=categorie, Code=code)

    product = "no_product" if categorie is None else f"{categorie}_{code or 'no_code'}"
    return named(f"request_2_{product}_begins_{begins}", set_request)


def new_product_added(
    begins: str, categorie: str | None = "01", code: str | None = "01A12"
) -> Change:
    def add(msg: Any) -> None:
        extra = copy.deepcopy(msg.Client.Verzoek.NieuweProducten[0])  # 01/01A12 04-02..12-31
        extra.GewensteIngangsdatum, extra.Einddatum = d(begins), None
        if categorie is None:
            extra.Product, extra.Omvang, extra.Budget = None, None, 250000
            extra.Einddatum = d("2030-12-31")
        else:
            extra.Product = m.Product(Categorie=categorie, Code=code)
        msg.Client.Verzoek.NieuweProducten.append(extra)

    product = "no_product" if categorie is None else f"{categorie}_{code or 'no_code'}"
    return named(f"new_product_{product}_begins_{begins}", add)


def new_product_open(msg: Any) -> None:
    msg.Client.Verzoek.NieuweProducten[0].Einddatum = None


# --- TR315, TR316, TR358, TR416 on the lines of a declaration -------------------------------


def credit(client: int, line: int, vorige: str) -> Change:
    def make_credit(msg: Any) -> None:
        p = msg.Declaratie.Clienten[client - 1].Prestaties[line - 1]
        p.IngediendBedrag.DebetCredit = "C"
        p.ProductReferentie.VorigReferentieNummer = vorige

    return named(f"client_{client}_line_{line}_credits_{vorige}", make_credit)


def total(amount: int, dc: str = "D") -> Change:
    def set_total(msg: Any) -> None:
        t = msg.Declaratie.TotaalIngediendBedrag
        t.TotaalBedrag, t.DebetCredit = amount, dc

    return named(f"total_{amount}_{dc}", set_total)


def line_2_repeats_line_1(*adjustments: Callable[[m.Prestatie], None]) -> Change:
    def repeat(msg: Any) -> None:
        lines = msg.Declaratie.Clienten[0].Prestaties
        second = copy.deepcopy(lines[0])
        second.ProductReferentie.ReferentieNummer = "RN002"
        for adjust in adjustments:
            adjust(second)
        lines[1] = second

    return named("line_2_repeats_line_1" + "".join(f"_{a.__name__}" for a in adjustments), repeat)


def as_credit(line: m.Prestatie) -> None:
    line.IngediendBedrag.DebetCredit = "C"
    line.ProductReferentie.VorigReferentieNummer = "RN000"


def other_code(line: m.Prestatie) -> None:
    line.ProductCode = "01A04"


def other_category(line: m.Prestatie) -> None:
    line.ProductCategorie = "02"


def other_allocation(line: m.Prestatie) -> None:
    line.ToewijzingNummer = 20073


def in_march(line: m.Prestatie) -> None:
    line.ProductPeriode = m.GeslotenPeriode(Begindatum=d("2023-03-01"), Einddatum=d("2023-03-31"))


def client_2_line_1_allocation(nummer: int) -> Change:
    def set_allocation(msg: Any) -> None:
        msg.Declaratie.Clienten[1].Prestaties[0].ToewijzingNummer = nummer

    return named(f"client_2_line_1_toewijzingnummer_{nummer}", set_allocation)


# --- TR342 a declaration answer lists the rejected lines only -------------------------------


def answer_line_codes(*codes: str) -> Change:
    def set_codes(msg: Any) -> None:
        msg.DeclaratieAntwoord.Clienten[0].Prestaties[0].RetourCodes = list(codes)

    return named("answer_line_codes_" + "_".join(codes), set_codes)


def granted(amount: int) -> Change:
    def set_granted(msg: Any) -> None:
        msg.DeclaratieAntwoord.TotaalToegekendBedrag.TotaalBedrag = amount

    return named(f"granted_{amount}", set_granted)


def answer_line_is_credit(msg: Any) -> None:
    line = msg.DeclaratieAntwoord.Clienten[0].Prestaties[0]
    line.IngediendBedrag.DebetCredit = "C"
    line.ProductReferentie.VorigReferentieNummer = "RN000"


def answer_rejected(*, keep_lines: bool, granted_amount: int) -> Change:
    def reject(msg: Any) -> None:
        a = msg.DeclaratieAntwoord
        a.RetourCodes = ["9333"]
        a.TotaalToegekendBedrag.TotaalBedrag = granted_amount
        if not keep_lines:
            a.Clienten = []

    label = f"answer_rejected_{'with' if keep_lines else 'without'}_lines_granted_{granted_amount}"
    return named(label, reject)


def fully_granted(amount: int) -> Change:
    def grant(msg: Any) -> None:
        a = msg.DeclaratieAntwoord
        a.RetourCodes, a.Clienten = ["8001"], []
        a.TotaalToegekendBedrag.TotaalBedrag = amount

    return named(f"fully_granted_{amount}", grant)


# --- TR352, TR353 what a change request holds; TR380 new products start later ---------------


def verzoek_without(*lists: str) -> Change:
    def drop(msg: Any) -> None:
        for name in lists:
            setattr(msg.Client.Verzoek, name, [])

    return named("without_" + "_".join(lists), drop)


def new_product_begins(value: str) -> Change:
    def set_begin(msg: Any) -> None:
        msg.Client.Verzoek.NieuweProducten[0].GewensteIngangsdatum = d(value)

    return named(f"new_product_begins_{value}", set_begin)


def product_to_change_begins(value: str) -> Change:
    def set_begin(msg: Any) -> None:
        msg.Client.Verzoek.TeWijzigenProducten[0].GewensteIngangsdatum = d(value)

    return named(f"product_to_change_begins_{value}", set_begin)


CASES = [
    case("TR002", "WMO301", born("1903-08-12"), BIRTH),
    case("TR002", "WMO301", born("1903-08-13")),
    case("TR002", "WMO301", born("1900-01-01", "2"), BIRTH),
    case("TR002", "WMO301", born("1900-01-01", "3")),
    case("TR002", "WMO305", born("1905-04-04"), BIRTH),
    case("TR002", "WMO305", born("1905-04-05")),
    case("TR002", "WMO307", born("1905-07-20"), BIRTH),
    case("TR002", "WMO307", born("1905-07-21")),
    case("TR002", "WMO315", born("1903-07-14"), BIRTH),
    case("TR002", "WMO315", born("1903-07-15")),
    case("TR002", "WMO315", born("1900-01-01", "3")),
    case("TR006", "WMO301", client_postcode_dropped, f"{CONTACTS}/Contact[1]"),
    case("TR006", "WMO301", client_huis_dropped, f"{CONTACTS}/Contact[1]"),
    case("TR006", "WMO301", then(client_huis_dropped, client_phone_added)),
    case("TR006", "WMO301", client_adres_replaced_by_phone),
    case(
        "TR018",
        "WMO307",
        stop_ends(1, "2025-04-02"),
        f"{CLIENT}/StopProducten/StopProduct[1]/Einddatum",
    ),
    case("TR018", "WMO307", stop_ends(1, "2025-04-03")),
    case(
        "TR018",
        "WMO307",
        stop_ends(2, "2025-04-14"),
        f"{CLIENT}/StopProducten/StopProduct[2]/Einddatum",
    ),
    case("TR018", "WMO307", stop_ends(2, "2025-04-15")),
    case("TR061", "WMO301", client_contacts("04"), CONTACTS),
    case("TR061", "WMO301", client_contacts("04", "04"), CONTACTS),
    case("TR061", "WMO301", client_contacts("02")),
    case("TR061", "WMO301", client_contacts("03")),
    case("TR061", "WMO301", client_contacts("04", "03")),
    case("TR101", "WMO301", allocation_copied(101), f"{ALLOCATIONS}/ToegewezenProduct[2]"),
    case("TR101", "WMO301", allocation_copied(102)),
    case("TR101", "WMO301", relation_2_numbered("1"), f"{CLIENT}/Relaties/Relatie[2]"),
    case("TR101", "WMO301", relation_2_numbered("3")),
    case("TR101", "WMO305", start_2_like_start_1(), f"{CLIENT}/StartProducten/StartProduct[2]"),
    case("TR101", "WMO305", start_2_like_start_1(begindatum="2025-04-04")),
    case("TR101", "WMO307", stop_2_like_stop_1(), f"{CLIENT}/StopProducten/StopProduct[2]"),
    case("TR101", "WMO307", stop_2_like_stop_1(einddatum="2025-07-17")),
    case("TR101", "WMO307", stop_2_like_stop_1(reden="19")),
    case("TR101", "WMO315", request_2_referenced("42420001"), f"{REQUESTS}/AangevraagdProduct[2]"),
    case("TR101", "WMO315", request_2_referenced("42420003")),
    case(
        "TR101",
        "WMO317",
        unchanged_product_repeated,
        f"{VERZOEK}/OngewijzigdeProducten/OngewijzigdProduct[2]",
    ),
    case(
        "TR101",
        "WMO317",
        product_to_change_repeated,
        f"{VERZOEK}/TeWijzigenProducten/TeWijzigenProduct[2]",
    ),
    case("TR101", "WMO317", product_to_change_added),
    case("TR101", "WMO317", new_product_copied(), f"{NEW}/NieuwProduct[2]"),
    case("TR101", "WMO317", new_product_copied(code="01A13")),
    case("TR101", "WMO317", new_product_copied(begins="2023-04-03")),
    case(
        "TR101", "WMO323", declaration_client_2_bsn("999900006"), f"{DECLARATIE}/Clienten/Client[2]"
    ),
    case("TR101", "WMO323", reference(1, 2, "RN001"), f"{LINES_1}/Prestatie[2]"),
    case("TR101", "WMO323", reference(1, 2, "RN005")),
    case("TR101", "WMO325", answer_line_repeated(), f"{ANSWER_LINES}/Prestatie[2]"),
    case("TR101", "WMO325", answer_line_repeated("RN005")),
    case("TR134", "WMO301", born("2023-08-14"), BIRTH),
    case("TR134", "WMO301", born("2023-08-13")),
    case(
        "TR134",
        "WMO301",
        allocated_on("2023-08-14"),
        f"{ALLOCATIONS}/ToegewezenProduct[1]/Toewijzingsdatum",
    ),
    case("TR134", "WMO301", allocated_on("2023-08-13")),
    case("TR134", "WMO305", born("2025-04-06"), BIRTH),
    case("TR134", "WMO305", born("2025-04-05")),
    case("TR134", "WMO307", born("2025-07-22"), BIRTH),
    case("TR134", "WMO307", born("2025-07-21")),
    case("TR134", "WMO315", born("2023-07-16"), BIRTH),
    case("TR134", "WMO315", born("2023-07-15")),
    case(
        "TR134",
        "WMO305",
        start_begins(1, "2025-04-06"),
        f"{CLIENT}/StartProducten/StartProduct[1]/Begindatum",
    ),
    case("TR134", "WMO305", start_begins(1, "2025-04-05")),
    case(
        "TR134",
        "WMO307",
        stop_ends(2, "2025-07-22"),
        f"{CLIENT}/StopProducten/StopProduct[2]/Einddatum",
    ),
    case("TR134", "WMO307", stop_ends(2, "2025-07-21")),
    case(
        "TR134",
        "WMO323",
        product_period("2023-05-07", "2023-05-31"),
        f"{LINES_1}/Prestatie[1]/ProductPeriode/Begindatum",
    ),
    case("TR134", "WMO323", product_period("2023-05-06", "2023-05-31")),
    case(
        "TR134",
        "WMO325",
        product_period("2023-05-21", "2023-05-31"),
        f"{ANSWER_LINES}/Prestatie[1]/ProductPeriode/Begindatum",
    ),
    case("TR134", "WMO325", product_period("2023-05-20", "2023-05-31")),
    case(
        "TR137",
        "WMO323",
        product_period("2023-04-10", "2023-04-09"),
        f"{LINES_1}/Prestatie[1]/ProductPeriode/Einddatum",
    ),
    case("TR137", "WMO323", product_period("2023-04-10", "2023-04-10")),
    case(
        "TR137",
        "WMO323",
        product_period("2023-05-01", "2023-05-07"),
        f"{LINES_1}/Prestatie[1]/ProductPeriode/Einddatum",
    ),
    case("TR137", "WMO323", product_period("2023-05-01", "2023-05-06")),
    case(
        "TR137",
        "WMO325",
        product_period("2023-05-01", "2023-05-21"),
        f"{ANSWER_LINES}/Prestatie[1]/ProductPeriode/Einddatum",
    ),
    case("TR137", "WMO325", product_period("2023-05-01", "2023-05-20")),
    case(
        "TR137",
        "WMO325",
        product_period("2023-04-10", "2023-04-09"),
        f"{ANSWER_LINES}/Prestatie[1]/ProductPeriode/Einddatum",
    ),
    case(
        "TR302",
        "WMO301",
        allocation_added("2023-12-31", "2024-06-30"),
        f"{ALLOCATIONS}/ToegewezenProduct[2]",
    ),
    case("TR302", "WMO301", allocation_added("2024-01-01", "2024-06-30")),
    case(
        "TR302",
        "WMO301",
        allocation_added("2022-06-01", "2023-01-01"),
        f"{ALLOCATIONS}/ToegewezenProduct[2]",
    ),
    case("TR302", "WMO301", allocation_added("2022-06-01", "2022-12-31")),
    case("TR302", "WMO301", allocation_added("2023-06-01", "2023-06-30", code="01A02")),
    case("TR302", "WMO301", allocation_added("2023-06-01", "2023-06-30", categorie="02")),
    case(
        "TR302",
        "WMO301",
        allocation_added("2023-06-01", "2023-06-30", code=None),
        f"{ALLOCATIONS}/ToegewezenProduct[2]",
    ),
    case(
        "TR302", "WMO301", allocation_added("2023-06-01", "2023-06-30", categorie="02", code=None)
    ),
    case(
        "TR302",
        "WMO301",
        allocation_added("2023-06-01", "2023-06-30", categorie=None),
        f"{ALLOCATIONS}/ToegewezenProduct[2]",
    ),
    case(
        "TR302",
        "WMO301",
        then(first_allocation_open, allocation_added("2030-01-01", None)),
        f"{ALLOCATIONS}/ToegewezenProduct[2]",
    ),
    case("TR302", "WMO301", allocation_added("2023-06-01", "2023-06-01", reden="13")),
    case("TR302", "WMO301", allocation_added("2023-06-01", "2023-06-01", reden="01")),
    case(
        "TR302",
        "WMO301",
        allocation_added("2023-06-01", "2023-06-01", reden="14"),
        f"{ALLOCATIONS}/ToegewezenProduct[2]",
    ),
    case(
        "TR302",
        "WMO301",
        allocation_added("2023-06-01", "2023-06-02", reden="13"),
        f"{ALLOCATIONS}/ToegewezenProduct[2]",
    ),
    case(
        "TR315",
        "WMO323",
        then(credit(1, 2, "RN090"), credit(2, 1, "RN090")),
        f"{LINES_2}/Prestatie[1]/ProductReferentie/VorigReferentieNummer",
    ),
    case("TR315", "WMO323", then(credit(1, 2, "RN090"), credit(2, 1, "RN091"))),
    case(
        "TR316",
        "WMO323",
        credit(2, 1, "RN001"),
        f"{LINES_2}/Prestatie[1]/ProductReferentie/VorigReferentieNummer",
    ),
    case("TR316", "WMO323", credit(2, 1, "RN000")),
    case(
        "TR319",
        "WMO323",
        product_period("2023-05-01", "2023-05-31"),
        f"{LINES_1}/Prestatie[1]/ProductPeriode/Begindatum",
        f"{LINES_1}/Prestatie[1]/ProductPeriode/Einddatum",
        rc="9319",
    ),
    case(
        "TR319",
        "WMO323",
        product_period("2023-04-01", "2023-05-01"),
        f"{LINES_1}/Prestatie[1]/ProductPeriode/Einddatum",
        rc="9319",
    ),
    case("TR319", "WMO323", product_period("2023-04-30", "2023-04-30")),
    case("TR319", "WMO323", product_period("2023-03-01", "2023-03-31")),
    case(
        "TR335",
        "WMO323",
        product_period("2018-05-01", "2018-05-05"),
        f"{LINES_1}/Prestatie[1]/ProductPeriode/Einddatum",
    ),
    case("TR335", "WMO323", product_period("2018-05-01", "2018-05-06")),
    case("TR342", "WMO325", unchanged),
    case("TR342", "WMO325", answer_line_codes("0200", "9339")),
    case("TR342", "WMO325", granted(34001), f"{ANSWER}/TotaalToegekendBedrag"),
    case("TR342", "WMO325", answer_line_is_credit, f"{ANSWER}/TotaalToegekendBedrag"),
    case("TR342", "WMO325", then(answer_line_is_credit, granted(82000))),
    case(
        "TR342",
        "WMO325",
        answer_rejected(keep_lines=False, granted_amount=34000),
        f"{ANSWER}/TotaalToegekendBedrag",
    ),
    case("TR342", "WMO325", answer_rejected(keep_lines=False, granted_amount=0)),
    case("TR342", "WMO325", fully_granted(57000), f"{ANSWER}/TotaalToegekendBedrag"),
    case("TR342", "WMO325", fully_granted(58000)),
    case(
        "TR352", "WMO317", verzoek_without("OngewijzigdeProducten", "TeWijzigenProducten"), VERZOEK
    ),
    case("TR352", "WMO317", verzoek_without("OngewijzigdeProducten")),
    case("TR352", "WMO317", verzoek_without("TeWijzigenProducten")),
    case("TR353", "WMO317", verzoek_without("TeWijzigenProducten", "NieuweProducten"), VERZOEK),
    case("TR353", "WMO317", verzoek_without("TeWijzigenProducten")),
    case("TR353", "WMO317", verzoek_without("NieuweProducten")),
    case("TR358", "WMO323", total(58001), f"{DECLARATIE}/TotaalIngediendBedrag/TotaalBedrag"),
    case("TR358", "WMO323", total(58000, "C"), f"{DECLARATIE}/TotaalIngediendBedrag/TotaalBedrag"),
    case(
        "TR358",
        "WMO323",
        credit(2, 2, "RN000"),
        f"{DECLARATIE}/TotaalIngediendBedrag/TotaalBedrag",
    ),
    case("TR358", "WMO323", then(credit(2, 2, "RN000"), total(10000))),
    case(
        "TR358",
        "WMO323",
        then(*(credit(c, n, f"RN09{c}{n}") for c in (1, 2) for n in (1, 2)), total(58000, "C")),
    ),
    case("TR380", "WMO317", unchanged, f"{NEW}/NieuwProduct[1]/GewensteIngangsdatum"),
    case(
        "TR380",
        "WMO317",
        new_product_begins("2023-04-01"),
        f"{NEW}/NieuwProduct[1]/GewensteIngangsdatum",
    ),
    case("TR380", "WMO317", new_product_begins("2023-04-03")),
    case(
        "TR383",
        "WMO315",
        request_2_referenced("42420001"),
        f"{REQUESTS}/AangevraagdProduct[1]/ReferentieAanbieder",
    ),
    case("TR383", "WMO315", request_2_referenced("42420003")),
    case("TR386", "WMO315", request_2_is("01", "ABCDE"), f"{REQUESTS}/AangevraagdProduct[2]"),
    case(
        "TR386",
        "WMO315",
        request_2_is("01", "ABCDE", begins="2023-06-30"),
        f"{REQUESTS}/AangevraagdProduct[2]",
    ),
    case("TR386", "WMO315", request_2_is("01", "ABCDE", begins="2023-07-01")),
    case("TR386", "WMO315", request_2_is("01", "ABCDF")),
    case("TR386", "WMO315", request_2_is("01", None), f"{REQUESTS}/AangevraagdProduct[2]"),
    case("TR386", "WMO315", request_2_is(None, None), f"{REQUESTS}/AangevraagdProduct[2]"),
    case("TR386", "WMO315", request_2_is(None, None, begins="2023-07-01")),
    case("TR410", "WMO317", new_product_added("2023-12-31"), f"{NEW}/NieuwProduct[2]"),
    case("TR410", "WMO317", new_product_added("2024-01-01")),
    case("TR410", "WMO317", new_product_added("2023-06-01", code=None), f"{NEW}/NieuwProduct[2]"),
    case("TR410", "WMO317", new_product_added("2023-06-01", code="01A13")),
    case(
        "TR410", "WMO317", new_product_added("2023-06-01", categorie=None), f"{NEW}/NieuwProduct[2]"
    ),
    case(
        "TR410",
        "WMO317",
        then(new_product_open, new_product_added("2030-01-01")),
        f"{NEW}/NieuwProduct[2]",
    ),
    case("TR416", "WMO323", line_2_repeats_line_1(), f"{LINES_1}/Prestatie[2]"),
    case("TR416", "WMO323", line_2_repeats_line_1(as_credit)),
    case("TR416", "WMO323", line_2_repeats_line_1(other_code)),
    case("TR416", "WMO323", line_2_repeats_line_1(other_category)),
    case("TR416", "WMO323", line_2_repeats_line_1(other_allocation)),
    case("TR416", "WMO323", line_2_repeats_line_1(in_march)),
]

# Readings the rule text leaves open, as the rule's `decision` documents them.
DECISIONS = [
    # TR002 and TR134 look at the relations' birth dates too.
    case(
        "TR002",
        "WMO301",
        born("1903-08-12", relation=2),
        f"{CLIENT}/Relaties/Relatie[2]/Geboortedatum/Datum",
    ),
    case("TR134", "WMO301", born("2023-08-14", relation=1), f"{RELATION_1}/Geboortedatum/Datum"),
    # TR006 applies to a relation's contact as well.
    case("TR006", "WMO301", relation_phone_and_huis_dropped, f"{RELATION_1}/Contact"),
    case("TR006", "WMO301", relation_huis_dropped),
    # TR101 keys: a start's StatusAanlevering is not part of its key ...
    case(
        "TR101",
        "WMO305",
        start_2_like_start_1(status="3"),
        f"{CLIENT}/StartProducten/StartProduct[2]",
    ),
    # ... a requested product is keyed by ReferentieAanbieder alone ...
    case("TR101", "WMO315", request_1_copied_as("42420003")),
    # ... a performance by ReferentieNummer plus VorigReferentieNummer, under its client ...
    case("TR101", "WMO323", reference(1, 2, "RN001", vorige="RN000")),
    case("TR101", "WMO323", reference(2, 1, "RN001")),
    # ... and the client's contacts by Soort.
    case("TR101", "WMO301", client_contacts("01", "01"), f"{CONTACTS}/Contact[2]"),
    case("TR101", "WMO301", client_contacts("01", "02")),
    # TR002: 120 years on from the birth date is compared as year, month and day.
    case("TR002", "WMO301", then(dated("2024-02-29"), born("1904-02-28")), BIRTH),
    case("TR002", "WMO301", then(dated("2024-02-29"), born("1904-02-29"))),
    # TR061: a contact of Soort 02 with only a telephone number counts (the published
    # validation asks for the Soort only).
    case("TR061", "WMO301", client_soort_02_by_phone_only),
    # TR101: of three lines with one key, the last is reported, once.
    case(
        "TR101",
        "WMO301",
        then(allocation_copied(101), allocation_copied(101)),
        f"{ALLOCATIONS}/ToegewezenProduct[3]",
    ),
    # TR134 covers the dates the published validation names, and no others: not the
    # DeclaratieDagtekening of a 323 ...
    case("TR134", "WMO323", declaration_dated("2023-05-07")),
    # TR134 in a 323: the declaration period may not begin after the Dagtekening.
    case(
        "TR134",
        "WMO323",
        declaration_period("2023-05-07", "2023-05-31"),
        f"{DECLARATIE}/DeclaratiePeriode/Begindatum",
    ),
    # ... nor the answered declaration's Dagtekening in a 325.
    case("TR134", "WMO325", answered_declaration_dated("2023-05-21")),
    # TR137: a period that ends before it begins and after the Dagtekening breaks both.
    case(
        "TR137",
        "WMO323",
        product_period("2023-05-10", "2023-05-09"),
        f"{LINES_1}/Prestatie[1]/ProductPeriode/Einddatum",
        f"{LINES_1}/Prestatie[1]/ProductPeriode/Einddatum",
    ),
    # TR137 applies to the DeclaratiePeriode of a 323 as well.
    case(
        "TR137",
        "WMO323",
        declaration_period("2023-05-01", "2023-05-31"),
        f"{DECLARATIE}/DeclaratiePeriode/Einddatum",
    ),
    case(
        "TR137", "WMO323", then(declaration_period("2023-05-01", "2023-05-31"), dated("2023-05-31"))
    ),
    # TR302: categories 11-14 may overlap, even the same aid ...
    case(
        "TR302",
        "WMO301",
        then(
            first_product_is("11", "11A01"),
            allocation_added("2023-06-01", "2023-06-30", "11", "11A01"),
        ),
    ),
    # ... also with a line without Product, which clashes with everything else.
    case(
        "TR302",
        "WMO301",
        then(first_product_is("14", None), allocation_added("2023-06-01", "2023-06-30", None)),
    ),
    case("TR386", "WMO315", then(first_product_is("12", "ABCDE"), request_2_is("12", "ABCDE"))),
    case("TR386", "WMO315", then(first_product_is("13", None), request_2_is(None, None))),
    case(
        "TR410",
        "WMO317",
        then(first_product_is("13", "01A12"), new_product_added("2023-06-01", "13", "01A12")),
    ),
    # TR302: a deleted allocation is not current, whichever line it is.
    case(
        "TR302",
        "WMO301",
        then(first_allocation_deleted("13"), allocation_added("2023-01-01", "2023-06-30")),
    ),
    case(
        "TR302",
        "WMO301",
        then(first_allocation_deleted("14"), allocation_added("2023-01-01", "2023-06-30")),
        f"{ALLOCATIONS}/ToegewezenProduct[2]",
    ),
    # TR342 checks the totals only: a listed line that was granted (0200, 8001) and lines
    # listed beside a rejection of the whole are TR366's and TR367's business.
    case("TR342", "WMO325", answer_line_codes("0200")),
    case("TR342", "WMO325", answer_line_codes("8001")),
    case("TR342", "WMO325", answer_rejected(keep_lines=True, granted_amount=0)),
    # TR315, TR316: values compare as the published validation compares them, the later one
    # with its spaces collapsed against the earlier one as written.
    case(
        "TR315",
        "WMO323",
        then(credit(1, 2, "RN090"), credit(2, 1, " RN090 ")),
        f"{LINES_2}/Prestatie[1]/ProductReferentie/VorigReferentieNummer",
    ),
    case("TR315", "WMO323", then(credit(1, 2, " RN090"), credit(2, 1, "RN090"))),
    # TR316: the credit may come before its debit, and a line may credit itself.
    case(
        "TR316",
        "WMO323",
        credit(1, 1, "RN002"),
        f"{LINES_1}/Prestatie[1]/ProductReferentie/VorigReferentieNummer",
    ),
    case(
        "TR316",
        "WMO323",
        credit(1, 2, "RN002"),
        f"{LINES_1}/Prestatie[2]/ProductReferentie/VorigReferentieNummer",
    ),
    # TR383: with three products of one reference, the first two are reported.
    case(
        "TR383",
        "WMO315",
        then(request_2_referenced("42420001"), request_1_copied_as("42420001")),
        f"{REQUESTS}/AangevraagdProduct[1]/ReferentieAanbieder",
        f"{REQUESTS}/AangevraagdProduct[2]/ReferentieAanbieder",
    ),
    # TR380 applies to new products; a product to change may keep its start in the past.
    case(
        "TR380",
        "WMO317",
        then(new_product_begins("2023-04-03"), product_to_change_begins("2023-03-01")),
    ),
    # TR416 compares the lines of one client, as the published validation does.
    case("TR416", "WMO323", client_2_line_1_allocation(20072)),
]


@pytest.mark.parametrize(("rule", "name", "change", "expected"), CASES + DECISIONS)
def test_technical_rule(rule: str, name: str, change: Change, expected: list[Any]) -> None:
    found = findings_of(rule, message(name, change))
    assert [(f.path, f.return_code) for f in found] == expected


def _covered(cases: list[Any], breaking: bool) -> set[tuple[str, str]]:
    return {(c.values[0], c.values[1]) for c in cases if bool(c.values[3]) == breaking}


@pytest.mark.parametrize(
    "code", sorted(c for c, r in REGISTRY.items() if c.startswith("TR") and r.scope == "message")
)
def test_every_technical_rule_breaks_on_each_of_its_messages_and_has_a_valid_neighbour(
    code: str,
) -> None:
    messages = set(REGISTRY[code].messages)
    assert {(code, name) for name in messages} <= _covered(CASES, breaking=True)
    assert any(rule == code for rule, _ in _covered(CASES, breaking=False))
