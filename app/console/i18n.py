"""The console's words in Dutch (the default: its users are Dutch municipal and care staff)
and English. The standard's own terms (Toewijzing, RedenBeeindiging, WMO301…) stay as the
standard writes them in both."""

from __future__ import annotations

LANGUAGES = ("nl", "en")
DEFAULT = "nl"

# key: (Dutch, English)
TEXTS: dict[str, tuple[str, str]] = {
    "console": ("Console", "Console"),
    "login": ("Inloggen", "Log in"),
    "login_intro": (
        "Log in met de API-sleutel van uw organisatie. De sleutel wordt niet bewaard: u krijgt "
        "een sessie die na {minutes} minuten verloopt.",
        "Log in with your organisation's API key. The key is not kept: you get a session that "
        "expires after {minutes} minutes.",
    ),
    "api_key": ("API-sleutel", "API key"),
    "login_failed": ("Onbekende of ingetrokken sleutel.", "Unknown or revoked key."),
    "logout": ("Uitloggen", "Log out"),
    "logged_in_as": ("Ingelogd als", "Logged in as"),
    "expired": ("Uw sessie is verlopen; log opnieuw in.", "Your session expired; log in again."),
    "csrf_failed": (
        "Het formulier is verlopen of niet van deze sessie; probeer het opnieuw.",
        "The form expired or is not from this session; try again.",
    ),
    "language": ("Taal", "Language"),
    "overview": ("Overzicht", "Overview"),
    "messages": ("Berichten", "Messages"),
    "message": ("Bericht", "Message"),
    "clients": ("Cliënten", "Clients"),
    "client": ("Cliënt", "Client"),
    "deployment": ("Inzet", "Deployment"),
    "participants": ("Deelnemers", "Participants"),
    "contracts": ("Contracten", "Contracts"),
    "catalogues": ("Functiecatalogi", "Function catalogues"),
    "today": ("Vandaag", "Today"),
    "this_month": ("Deze maand", "This month"),
    "traffic": ("Berichtenverkeer", "Message traffic"),
    "message_type": ("Berichttype", "Message type"),
    "status": ("Status", "Status"),
    "count": ("Aantal", "Count"),
    "total": ("Totaal", "Total"),
    "none": ("Geen.", "None."),
    "refused": ("Afgekeurde berichten", "Refused messages"),
    "refused_intro": (
        "Afgekeurd, onleesbaar of geweigerd in de laatste 30 dagen: de afzender moet ze "
        "verbeteren en opnieuw sturen.",
        "Refused, unreadable or forbidden in the last 30 days: the sender must correct and "
        "send them again.",
    ),
    "backlog": ("Postbus: nog niet opgehaald", "Mailbox: not yet fetched"),
    "recipient": ("Ontvanger", "Recipient"),
    "waiting_items": ("Wachtende items", "Items waiting"),
    "oldest": ("Oudste", "Oldest"),
    "age": ("Leeftijd", "Age"),
    "overdue": ("Wacht op antwoord, termijn verstreken", "Waiting for an answer past its term"),
    "overdue_intro": (
        "Termijnen in werkdagen (maandag tot en met vrijdag): een retourbericht binnen 3 "
        "werkdagen (OP090), een antwoord op een verzoek (WMO319 of WMO301) binnen 5.",
        "Terms in working days (Monday to Friday): a retour within 3 working days (OP090), "
        "an answer to a request (WMO319 or WMO301) within 5.",
    ),
    "waiting_for": ("Wacht op", "Waiting for"),
    "since": ("Sinds", "Since"),
    "term": ("Termijn", "Term"),
    "working_days": ("werkdagen", "working days"),
    "days": ("dagen", "days"),
    "hours": ("uur", "hours"),
    "minutes": ("minuten", "minutes"),
    "overdue_301": ("WMO302 van de ontvanger", "the receiver's WMO302"),
    "overdue_relay": ("WMO306/WMO308 van de gemeente", "the municipality's WMO306/WMO308"),
    "overdue_request": ("WMO319 of WMO301 van de gemeente", "the municipality's WMO319 or WMO301"),
    "more": ("en {n} meer", "and {n} more"),
    "filter": ("Filteren", "Filter"),
    "party": ("Partij", "Party"),
    "from": ("Van", "From"),
    "to": ("Tot en met", "To"),
    "any": ("alle", "any"),
    "bsn": ("BSN", "BSN"),
    "bsn_search": ("Zoek op BSN", "Search by BSN"),
    "bsn_search_intro": (
        "Het BSN wordt niet opgeslagen of in een adres gezet; gezocht wordt op een "
        "versleutelde vingerafdruk.",
        "The BSN is neither stored nor put in an address; the search uses a keyed hash.",
    ),
    "search": ("Zoeken", "Search"),
    "no_client": (
        "Geen cliënt met dit BSN die u mag zien.",
        "No client with this BSN that you may see.",
    ),
    "bad_bsn": ("Een BSN heeft 9 cijfers.", "A BSN has 9 digits."),
    "received": ("Ontvangen", "Received"),
    "sender": ("Afzender", "Sender"),
    "receiver": ("Ontvanger", "Receiver"),
    "identification": ("Identificatie", "Identification"),
    "findings": ("Bevindingen", "Findings"),
    "direction": ("Richting", "Direction"),
    "dir_in": ("ingestuurd", "posted"),
    "dir_out": ("door de dienst", "by the service"),
    "older": ("Oudere berichten", "Older messages"),
    "no_messages": ("Geen berichten.", "No messages."),
    "rule": ("Regel", "Rule"),
    "return_code": ("Retourcode", "Return code"),
    "rule_text": ("Wat de regel zegt", "What the rule says"),
    "where": ("Waar", "Where"),
    "reason": ("Reden", "Reason"),
    "chain": ("Keten", "Chain"),
    "chain_original": ("origineel", "original"),
    "chain_this": ("dit bericht", "this message"),
    "chain_retour": ("retour van de dienst", "the service's retour"),
    "chain_answer": ("antwoord van de ontvanger", "the receiver's answer"),
    "chain_relay": ("doorgestuurd aan de gemeente", "relayed to the municipality"),
    "chain_relay_source": ("bron van deze doorzending", "source of this relay"),
    "chain_relay_retour": ("antwoord van de gemeente", "the municipality's answer"),
    "chain_request_answer": ("antwoord op het verzoek", "answer to the request"),
    "xml": ("Het bericht (XML)", "The message (XML)"),
    "not_xml": ("Geen leesbare XML.", "Not readable XML."),
    "timeline": ("Tijdlijn", "Timeline"),
    "municipality": ("Gemeente", "Municipality"),
    "lane_decision": ("Besluit", "Decision"),
    "lane_allocation": ("Toewijzing", "Allocation"),
    "lane_delegation": ("Delegatie", "Delegation"),
    "lane_delivery": ("Levering (start–stop)", "Delivery (start–stop)"),
    "lane_declaration": ("Declaratie", "Declaration"),
    "what": ("Wat", "What"),
    "begin": ("Begin", "Begin"),
    "end": ("Einde", "End"),
    "detail": ("Detail", "Detail"),
    "open_ended": ("open", "open"),
    "year": ("Jaar", "Year"),
    "show": ("Tonen", "Show"),
    "function": ("Functie", "Function"),
    "deliverer": ("Leverancier", "Deliverer"),
    "active_clients": ("Actieve cliënten", "Active clients"),
    "client_days": ("Cliëntdagen", "Client days"),
    "starts": ("Starts", "Starts"),
    "stops": ("Stops", "Stops"),
    "avg_duration": ("Gem. duur (dagen)", "Avg. duration (days)"),
    "tariff": ("Tarief/maand", "Tariff/month"),
    "cost": ("Waarde", "Value"),
    "budget": ("Budget", "Budget"),
    "budget_share": ("Deel van budget", "Share of budget"),
    "chart_clients": (
        "Actieve cliënten per maand per leverancier (opgeteld over functies)",
        "Active clients per month per deliverer (summed over functions)",
    ),
    "chart_budget": (
        "Gebruikt budget tegen budget, cumulatief over het jaar",
        "Budget used against the budget, cumulative over the year",
    ),
    "used": ("Gebruikt", "Used"),
    "month": ("Maand", "Month"),
    "download": ("Downloaden", "Download"),
    "csv_plain": ("CSV", "CSV"),
    "csv_excel": ("CSV voor Excel (NL)", "CSV for Excel (Dutch)"),
    "csv_monthly": ("per maand", "by month"),
    "no_contracts": (
        "Geen contract waarvan u de inzet mag zien in dit jaar.",
        "No contract whose deployment you may see in this year.",
    ),
    "code": ("Code", "Code"),
    "role": ("Rol", "Role"),
    "name": ("Naam", "Name"),
    "active": ("Actief", "Active"),
    "yes": ("ja", "yes"),
    "no": ("nee", "no"),
    "register": ("Registreren", "Register"),
    "rotate_key": ("Nieuwe sleutel", "New key"),
    "deactivate": ("Deactiveren", "Deactivate"),
    "new_key_for": ("Nieuwe API-sleutel voor", "New API key for"),
    "key_once": (
        "Deze sleutel wordt maar één keer getoond en niet bewaard; de vorige werkt niet meer.",
        "This key is shown once and not kept; the previous one no longer works.",
    ),
    "deactivated": ("Gedeactiveerd", "Deactivated"),
    "allow_unknown": ("Onbekende gemeentecode toestaan", "Allow an unknown municipality code"),
    "variant": ("Uitvoeringsvariant", "Execution variant"),
    "main_contractor": ("Hoofdaannemer", "Main contractor"),
    "subcontractors": ("Onderaannemers", "Subcontractors"),
    "municipalities": ("Gemeenten", "Municipalities"),
    "period": ("Periode", "Period"),
    "functions": ("Functies", "Functions"),
    "load_file": ("Bestand laden (TOML of JSON)", "Load a file (TOML or JSON)"),
    "file": ("Bestand", "File"),
    "dry_run": ("Alleen controleren (proefdraaien)", "Check only (dry run)"),
    "load": ("Laden", "Load"),
    "problems": ("Problemen; er is niets geladen", "Problems; nothing was loaded"),
    "would_load": ("Proefdraaien: dit zou er gebeuren", "Dry run: this would happen"),
    "loaded": ("Geladen", "Loaded"),
    "version": ("Versie", "Version"),
    "categorie": ("Productcategorie", "Product category"),
    "product_code": ("Productcode", "Product code"),
    "not_found": ("Niet gevonden, of niet voor u.", "Not found, or not for you."),
    "forbidden": ("Dit is alleen voor beheerders.", "This is for operators only."),
    "no_access": ("Geen toegang", "No access"),
}

ROLE_NAMES: dict[str, tuple[str, str]] = {
    "municipality": ("gemeente", "municipality"),
    "main_contractor": ("hoofdaannemer", "main contractor"),
    "subcontractor": ("onderaannemer", "subcontractor"),
    "provider": ("aanbieder", "provider"),
    "operator": ("beheerder", "operator"),
}

STATUS_NAMES: dict[str, tuple[str, str]] = {
    "received": ("ontvangen", "received"),
    "accepted": ("goedgekeurd", "accepted"),
    "partially_accepted": ("deels goedgekeurd", "partially accepted"),
    "rejected": ("afgekeurd", "rejected"),
    "unreadable": ("onleesbaar", "unreadable"),
    "forbidden": ("geweigerd", "forbidden"),
    "set_aside": ("apart gezet", "set aside"),
    "sent": ("verzonden", "sent"),
}


def language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT


def translate(lang: str, key: str, **values: object) -> str:
    """The text for ``key`` in ``lang``; the key itself when unknown (a test holds every
    key the templates use)."""
    pair = TEXTS.get(key)
    if pair is None:
        return key
    text = pair[LANGUAGES.index(language(lang))]
    return text.format(**values) if values else text


def named(table: dict[str, tuple[str, str]], lang: str, key: str) -> str:
    pair = table.get(key)
    return key if pair is None else pair[LANGUAGES.index(language(lang))]
