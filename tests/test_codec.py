"""Parsing untrusted bytes, typed objects, and writing them back."""

from __future__ import annotations

from datetime import date, time

import pytest
from lxml import etree

from app.standard import catalogue, codec, parsing
from app.standard import messages as m
from app.standard.parsing import MessageError
from app.validation import Validator
from tests.conftest import OUTBOUND


def canonical(data: bytes) -> bytes:
    parser = etree.XMLParser(remove_blank_text=True)
    return etree.tostring(etree.fromstring(data, parser), method="c14n2")


@pytest.mark.parametrize("name", OUTBOUND)
def test_round_trip_of_published_example_is_xml_equivalent(
    name: str, examples: dict[str, bytes]
) -> None:
    parsed = parsing.parse(examples[name])
    assert parsed.message_type is catalogue.get(name)
    message = codec.decode(parsed.root)
    assert isinstance(message, catalogue.get(name).root)
    assert canonical(codec.to_bytes(message)) == canonical(examples[name])
    # and the objects survive a second trip unchanged
    assert codec.decode(parsing.parse(codec.to_bytes(message)).root) == message


def test_values_are_typed_and_named_after_the_standard(examples: dict[str, bytes]) -> None:
    msg = codec.decode(parsing.parse(examples["WMO301"]).root)
    assert isinstance(msg, m.WMO301)
    assert msg.Header.Afzender == "0384"
    assert msg.Header.BerichtIdentificatie.Dagtekening == date(2023, 8, 13)
    product = msg.Client.ToegewezenProducten[0]
    assert product.ToewijzingNummer == 101
    assert product.Toewijzingstijd == time(12, 34, 56)
    assert product.Einddatum == date(2023, 12, 31)
    assert product.Omvang == m.Omvang(Volume=10, Eenheid="01", Frequentie="1")
    assert product.Commentaar == "Toegewezen product 1 Commentaar "  # whitespace is kept
    assert [r.Nummer for r in msg.Client.Relaties] == ["1", "2"]


def test_decoded_objects_know_their_element_path(examples: dict[str, bytes]) -> None:
    msg = codec.decode(parsing.parse(examples["WMO323"]).root)
    second = msg.Declaratie.Clienten[1].Prestaties[1]
    assert codec.path_of(second) == "/Bericht/Declaratie/Clienten/Client[2]/Prestaties/Prestatie[2]"
    assert (
        codec.path_of(msg.Declaratie.DeclaratiePeriode) == "/Bericht/Declaratie/DeclaratiePeriode"
    )


def test_personal_data_is_kept_out_of_reprs(examples: dict[str, bytes]) -> None:
    msg = codec.decode(parsing.parse(examples["WMO301"]).root)
    text = repr(msg)
    for secret in ("999900006", "Wit", "Jansen", "Tim", "1967-08-13", "Straatweg"):
        assert secret not in text
    assert "ToewijzingNummer=101" in text


def test_time_and_date_edge_values() -> None:
    assert codec._to_time("24:00:00") == time(0, 0)
    assert codec._to_time("12:34:56.5") == time(12, 34, 56, 500000)
    assert codec.format_value(time(12, 34, 56, 500000)) == "12:34:56.5"
    assert codec._to_date(" 2023-01-01 ") == date(2023, 1, 1)
    with pytest.raises(ValueError, match="0001-9999"):
        codec._to_date("12023-01-01")


def test_schema_valid_year_beyond_9999_is_a_codec_finding(
    examples: dict[str, bytes], validator: Validator
) -> None:
    data = examples["WMO305"].replace(
        b"<wmo305:Begindatum>2025-04-03", b"<wmo305:Begindatum>12025-04-03"
    )
    report = validator.check(data)
    assert report.schema_valid
    assert [(f.rule, f.path) for f in report.findings] == [
        ("CODEC", "/Bericht/Client/StartProducten/StartProduct[1]/Begindatum")
    ]


# --- hostile and broken input -------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<wmo319:Bericht xmlns:wmo319="http://www.istandaarden.nl/iwmo/3_2/wmo319/schema">&xxe;</wmo319:Bericht>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><a>&lol3;</a>"""


@pytest.mark.parametrize(
    "data, problem",
    [
        (XXE, "doctype"),
        (LAUGHS, "doctype"),
        (b'<!DOCTYPE a SYSTEM "http://example.org/a.dtd"><a/>', "doctype"),
        (b"", "empty"),
        (b"  \n ", "empty"),
        (b"this is not xml", "not_well_formed"),
        (b"<a><b></a>", "not_well_formed"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><a>\xe9</a>', "encoding"),
        (b'<?xml version="1.0" encoding="UTF-8"?><a>caf\xe9</a>', "encoding"),
        ("<a/>".encode("utf-16"), "encoding"),
    ],
)
def test_refuses_unsafe_or_broken_input(data: bytes, problem: str) -> None:
    with pytest.raises(MessageError) as caught:
        parsing.parse(data)
    assert caught.value.problem == problem
    assert caught.value.message


def test_truncated_message_names_the_problem_and_line(examples: dict[str, bytes]) -> None:
    data = examples["WMO301"][:2000]
    with pytest.raises(MessageError) as caught:
        parsing.parse(data)
    assert caught.value.problem == "not_well_formed"
    assert "truncated" in caught.value.message
    assert caught.value.line == data.count(b"\n") + 1


def test_size_limit_is_checked_before_parsing(examples: dict[str, bytes]) -> None:
    with pytest.raises(MessageError) as caught:
        parsing.parse(examples["WMO301"], max_bytes=1000)
    assert caught.value.problem == "too_large"
    assert "1,000" in caught.value.message


def test_utf8_with_byte_order_mark_is_read(examples: dict[str, bytes]) -> None:
    assert parsing.parse(b"\xef\xbb\xbf" + examples["WMO319"]).message_type is catalogue.get(
        "WMO319"
    )


def test_unknown_root_is_detected_not_refused() -> None:
    assert parsing.parse(b'<Bericht xmlns="urn:other"/>').message_type is None
    ns = catalogue.get("WMO301").namespace.encode()
    assert parsing.parse(b'<Berichten xmlns="' + ns + b'"/>').message_type is None


def test_entities_are_never_expanded() -> None:
    # Even if DOCTYPE were allowed, the external entity must not be read.
    with pytest.raises(MessageError):
        parsing.parse(XXE)
    tree = etree.fromstring(XXE, parsing._parser())
    assert b"root:" not in etree.tostring(tree)


def _paths(message: object) -> list[tuple[str, str]]:
    from app.rules.registry import Index

    index = Index(message)
    return sorted(
        (type(o).__name__, codec.path_of(o)) for objs in index._by_class.values() for o in objs
    )


@pytest.mark.parametrize("name", OUTBOUND)
def test_decoding_while_reading_equals_decoding_a_tree(
    name: str, examples: dict[str, bytes]
) -> None:
    """Large messages are decoded item by item while read: the same objects, with the same
    element paths, as decoding the whole tree."""
    mt = catalogue.get(name)
    as_tree = codec.decode(parsing.parse(examples[name]).root, mt)
    while_read = codec.decode_while_reading(examples[name], mt)
    assert while_read == as_tree
    assert _paths(while_read) == _paths(as_tree)


def test_decoding_while_reading_a_long_declaration(examples: dict[str, bytes]) -> None:
    """Many clients, one of them with many lines: nested lists keep their order and paths."""
    root = etree.fromstring(examples["WMO323"])
    clients = root.find(".//{*}Clienten")
    assert clients is not None
    first = clients[0]
    lines = first.find("{*}Prestaties")
    assert lines is not None
    for i in range(300):
        copy = etree.fromstring(etree.tostring(lines[0]))
        ref = copy.find(".//{*}ReferentieNummer")
        assert ref is not None
        ref.text = f"L{i}"
        lines.append(copy)
    for _ in range(200):
        clients.append(etree.fromstring(etree.tostring(clients[-1])))
    data = etree.tostring(root)
    mt = catalogue.get("WMO323")
    as_tree = codec.decode(parsing.parse(data, max_bytes=len(data)).root, mt)
    while_read = codec.decode_while_reading(data, mt)
    assert while_read == as_tree
    assert _paths(while_read) == _paths(as_tree)
    assert codec.path_of(while_read.Declaratie.Clienten[-1].Prestaties[0]).endswith(
        f"Clienten/Client[{len(as_tree.Declaratie.Clienten)}]/Prestaties/Prestatie[1]"
    )
