"""Code lists of iWmo 3.2 used by the message schemas and the rules.

Codes are the standard's; the short meanings are our own words, meant for operators reading
findings and reports. The enumerations in the generated XSDs come from here, so a code list
changes in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class CodeList:
    id: str
    name: str
    codes: Mapping[str, str]

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def describe(self, code: str) -> str:
        meaning = self.codes.get(code)
        return f"{code} ({meaning})" if meaning else code


def _list(id_: str, name: str, codes: dict[str, str]) -> CodeList:
    return CodeList(id_, name, MappingProxyType(codes))


GESLACHT = _list("COD046", "Geslacht", {"0": "unknown", "1": "male", "2": "female"})
DATUM_GEBRUIK = _list(
    "COD170",
    "DatumGebruik",
    {"1": "day unknown", "2": "day and month unknown", "3": "date unknown"},
)
JA_NEE = _list("COD260", "JaNee", {"1": "yes", "2": "no"})
DEBET_CREDIT = _list("COD043", "DebetCredit", {"C": "credit", "D": "debit"})
TYPE_VERWIJZER = _list(
    "COD327",
    "TypeVerwijzer",
    {
        "01": "municipality",
        "02": "general practitioner",
        "03": "youth doctor",
        "04": "certified institution",
        "05": "medical specialist",
        "06": "self-referral / no referrer",
        "08": "court, public prosecutor or youth detention official",
    },
)
STATUS_AANLEVERING = _list(
    "COD467",
    "StatusAanlevering",
    {"1": "first delivery", "2": "changed delivery", "3": "delete delivery", "9": "not applicable"},
)
SOORT_RELATIE = _list(
    "COD472",
    "SoortRelatie",
    {
        "03": "curator",
        "04": "financial (authorised)",
        "05": "financial (review)",
        "06": "household",
        "07": "care worker",
        "08": "specialist",
        "09": "other",
        "10": "parent",
        "11": "guardian",
        "12": "partner or spouse",
        "13": "foster parent",
        "14": "administrator (bewindvoerder)",
        "15": "mentor",
        "16": "son or daughter",
        "17": "relative",
        "18": "family member",
        "19": "neighbour",
        "20": "friend or acquaintance",
        "21": "client supporter",
        "22": "general practitioner",
        "23": "heirs of",
        "24": "employer",
        "25": "neighbourhood coach",
    },
)
NAAM_GEBRUIK = _list(
    "COD700",
    "NaamGebruik",
    {
        "1": "own name",
        "2": "partner's name",
        "3": "partner's name, then own name",
        "4": "own name, then partner's name",
        "5": "pseudonym",
        "6": "not a natural person",
    },
)
COMMUNICATIEVORM = _list(
    "COD747",
    "Communicatievorm",
    {"1": "language interpreter", "2": "sign-language interpreter", "3": "deafblind interpreter"},
)
ADRES_SOORT = _list(
    "COD757",
    "AdresSoort",
    {
        "01": "BRP address",
        "02": "correspondence address",
        "03": "residence address",
        "04": "temporary residence address",
    },
)
AANDUIDING_WOONADRES = _list(
    "NUM061",
    "AanduidingWoonadres",
    {"AB": "on board", "BY": "near", "TO": "opposite", "WW": "caravan"},
)
WETTELIJKE_VERTEGENWOORDIGING = _list(
    "WJ003",
    "WettelijkeVertegenwoordiging",
    {
        "06": "guardianship",
        "07": "financial administration",
        "08": "mentorship",
        "09": "placed under curatorship",
        "10": "voluntary representation",
    },
)
JURIDISCHE_STATUS = _list(
    "WJ232",
    "JuridischeStatus",
    {
        "01": "court authorisation, provisional or continued",
        "02": "court authorisation at own request",
        "03": "court authorisation with conditional discharge",
        "04": "supervision order",
        "05": "emergency committal",
        "11": "criminal-law contacts (tbs)",
        "12": "criminal-law contacts (other)",
    },
)
EENHEID = _list(
    "WJ756",
    "Eenheid",
    {
        "01": "minute",
        "04": "hour",
        "14": "24 hours",
        "16": "day part (4 hours)",
        "82": "pieces (output)",
        "83": "euros",
        "84": "pieces (effort)",
    },
)
REDEN_VERZOEK = _list(
    "WJ758", "RedenVerzoek", {"1": "client situation changed", "2": "care plan changed"}
)
REDEN_AFWIJZING_VERZOEK = _list(
    "WJ759",
    "RedenAfwijzingVerzoek",
    {
        "1": "not a change but a new application",
        "2": "does not fit the budget",
        "3": "no contract",
        "4": "does not fit the contract",
        "5": "other municipality",
        "6": "stacking of care",
        "7": "rejected on care content",
        "8": "residence principle",
        "9": "age limit reached",
    },
)
VERZOEK_ANTWOORD = _list(
    "WJ760", "VerzoekAntwoord", {"1": "request rejected", "2": "application under review"}
)
REDEN_WIJZIGING = _list(
    "WMO002",
    "RedenWijziging",
    {
        "01": "administrative correction (withdrawn code, do not use)",
        "02": "client deceased",
        "03": "contract change",
        "04": "reassessment: extension",
        "05": "reassessment: shortening",
        "06": "outflow to another domain",
        "07": "moved to another municipality",
        "08": "change of delivery form",
        "09": "switch to another provider",
        "10": "transition to a new funding system",
        "11": "municipal reorganisation",
        "12": "initiated by the provider",
        "13": "deleted",
        "14": "administrative correction",
    },
)
PRODUCT_CATEGORIE = _list(
    "WMO020",
    "ProductCategorie",
    {
        "01": "household help",
        "02": "support (begeleiding)",
        "03": "personal care",
        "04": "short stay",
        "05": "housing services",
        "06": "other individual or household support",
        "07": "day activities",
        "08": "transport services",
        "09": "other group support",
        "10": "other tailored arrangements",
        "11": "wheelchairs",
        "12": "transport aids",
        "13": "housing adaptations",
        "14": "other aids",
        "15": "protected living",
        "16": "shelter",
        "17": "emergency shelter",
        "18": "other protected living and shelter",
    },
)
REDEN_BEEINDIGING = _list(
    "WMO588",
    "RedenBeeindiging",
    {
        "02": "death",
        "19": "delivery ended as planned",
        "20": "delivery temporarily stopped",
        "21": "ended unilaterally by the client",
        "22": "ended unilaterally by the provider",
        "23": "ended early by mutual agreement",
        "31": "moved to another municipality",
        "36": "initiated by the municipality",
        "37": "because of a change request",
        "38": "switch to another provider",
        "39": "outflow to another domain",
    },
)
FREQUENTIE = _list(
    "WMO757",
    "Frequentie",
    {"1": "per day", "2": "per week", "4": "per month", "6": "total within the allocation period"},
)
RETOURCODE = _list(
    "WJ001",
    "Retourcode",
    {
        "0001": "message rejected for technical reasons",
        "0200": "no remark on this message class",
        "0233": "message class not judged",
        "0611": "submitted tariff differs from the contract tariff",
        "8001": "declaration fully granted",
        "8017": "no debit performance known for this credit performance",
        "8021": "performance reference already submitted",
        "8187": "performance does not belong to this client",
        "8214": "declaration period does not follow the previous one",
        "8848": "date of issue lies after the system date",
        "9019": "start or stop cannot be linked to an allocation",
        "9056": "identification is not unique",
        "9063": "no earlier message received to act on",
        "9069": "no current start with the same key",
        "9071": "start cannot be deleted: delivery already stopped",
        "9074": "a message with the same key was already received",
        "9307": "performance start outside the allocation period",
        "9308": "performance end outside the allocation period",
        "9319": "product period not within one declaration period",
        "9321": "submitted volume exceeds the allocated volume",
        "9322": "sum of submitted volumes exceeds the allocated volume",
        "9326": "current delivery not yet stopped",
        "9332": "allocation number not unique within the legal domain",
        "9333": "declaration number not unique",
        "9338": "performance not related to an allocated product",
        "9339": "product category differs from the allocation",
        "9340": "product code differs from the allocation",
        "9341": "unit does not fit the allocation",
        "9346": "amount is not volume times tariff",
        "9347": "provider reference not unique",
        "9349": "change request does not list all current allocations",
        "9350": "unchanged product not related to a current allocation",
        "9351": "product to change not related to a current allocation",
        "9355": "allocation not current",
        "9357": "desired start date in the past differs from the allocation's start",
        "9359": "an allocation was already sent for this provider reference",
        "9360": "an answer with this reference was already sent while under review",
        "9361": "product occurs more than once with overlapping periods",
        "9365": "a final answer with this reference was already sent",
        "9366": "performance reference not found in a declaration",
        "9367": "value differs from the declaration",
        "9369": "volumes do not fit within the allocated budget",
        "9373": "budget changed but the desired start date differs",
        "9374": "a request is already pending",
        "9375": "volume given for an allocation without product code",
        "9379": "provider reference does not refer to a request",
        "9384": "declaration on a deleted allocation",
        "9385": "allocation has approved declaration lines",
        "9387": "product period does not start on the first of the month",
        "9388": "product period does not end on the last of the month",
        "9389": "debit performance without matching credit",
        "9390": "a credit with this product reference already exists",
        "9411": "volume missing while the allocation has a product code",
        "9412": "volume given while the allocation has no product code",
        "9413": "temporary stop already received for this start",
        "9414": "end date before the end date of the current stop",
        "9415": "definitive stop already received for this start",
        "S300": "municipality code invalid",
        "S329": "product code invalid",
    },
)

# ISO 3166-1 alpha-2 codes as listed for COD032 in iWmo 3.2.
_LAND = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW"
)
LAND = _list("COD032", "Land", dict.fromkeys(_LAND.split(), ""))

ALL: tuple[CodeList, ...] = (
    GESLACHT,
    DATUM_GEBRUIK,
    JA_NEE,
    DEBET_CREDIT,
    TYPE_VERWIJZER,
    STATUS_AANLEVERING,
    SOORT_RELATIE,
    NAAM_GEBRUIK,
    COMMUNICATIEVORM,
    ADRES_SOORT,
    AANDUIDING_WOONADRES,
    WETTELIJKE_VERTEGENWOORDIGING,
    JURIDISCHE_STATUS,
    EENHEID,
    REDEN_VERZOEK,
    REDEN_AFWIJZING_VERZOEK,
    VERZOEK_ANTWOORD,
    REDEN_WIJZIGING,
    PRODUCT_CATEGORIE,
    REDEN_BEEINDIGING,
    FREQUENTIE,
    RETOURCODE,
    LAND,
)
BY_ID: Mapping[str, CodeList] = MappingProxyType({c.id: c for c in ALL})
