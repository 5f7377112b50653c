"""Management: participants and their keys, function catalogues and contracts.

Every participant may read who takes part and the catalogues, and the contracts it is a
party to; only operators change anything. Catalogues and contracts go through the same
models, checks and loader as ``iwmo contract load`` (``app.routing.contracts``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import access
from app.administration import participants, product_codes
from app.administration.models import Participant
from app.api.deps import Caller, Forbidden, caller, services
from app.api.fields import (
    CBS_CODE,
    KEY,
    MAX_ID,
    PARTICIPANT_CODE,
    PRODUCT_CODE,
    WHOLE_NUMBER,
    Name,
    ProductCategorie,
)
from app.api.problems import (
    AUTHENTICATED,
    INVALID_REQUEST,
    NOT_JSON,
    NotFound,
    Refused,
    forbidden,
    not_found,
    problem,
)
from app.routing import contracts
from app.routing.contracts import (
    Catalogue,
    ContractDef,
    ContractIn,
    ContractOut,
    Definition,
    NewMunicipality,
    NewOperator,
    NewProvider,
)
from app.routing.models import (
    Contract,
    FunctionCatalogue,
)

router = APIRouter(tags=["management"], responses=AUTHENTICATED)

_OPERATORS_ONLY: dict[int | str, dict[str, Any]] = {
    403: forbidden("you are not an operator", "only operators change contracts")
}
_NO_PARTICIPANT = not_found("no participant with this code", "no participant 99000002")


def _conflict(description: str, title: str, detail: str) -> dict[str, Any]:
    return problem(409, description, "conflict", title, detail)


_MONEY_TERMS = ("tariffs", "product_tariffs")

Role = Literal["municipality", "main_contractor", "subcontractor", "provider", "operator"]


def _operator(who: Caller, what: str) -> None:
    if not access.is_operator(who):
        raise Forbidden(f"only operators {what}")


# --- participants ------------------------------------------------------------------------------


class ParticipantOut(BaseModel):
    code: str = Field(description="CBS code (municipality), AGB code (provider) or operator name")
    role: Role
    name: str
    active: bool = Field(description="an inactive participant cannot authenticate")
    has_key: bool = Field(
        description="whether an API key is set; participants loaded from a contract file "
        "have none until one is issued"
    )
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "99000001",
                    "role": "main_contractor",
                    "name": "Contract partner",
                    "active": True,
                    "has_key": True,
                }
            ]
        }
    )

    @classmethod
    def of(cls, p: Participant) -> ParticipantOut:
        return cls(
            code=p.code,
            role=p.role,  # type: ignore[arg-type]
            name=p.name,
            active=p.active,
            has_key=p.api_key_hash is not None,
        )


ParticipantIn = Annotated[
    NewMunicipality | NewProvider | NewOperator,
    Body(discriminator="role", description="the participant; its role says what its code is"),
]


class ParticipantCreated(ParticipantOut):
    api_key: str = Field(
        description="the participant's API key: shown this once, only a hash is stored",
        examples=["iwmo_3q2-fXq..."],
    )
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "0307",
                    "role": "municipality",
                    "name": "Amersfoort",
                    "active": True,
                    "has_key": True,
                    "api_key": "iwmo_3q2-fXq...",
                }
            ]
        }
    )


class ParticipantChange(BaseModel):
    active: StrictBool | None = Field(default=None, description="false shuts the participant out")
    name: Name | None = None
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"active": False}]})


class NewKey(BaseModel):
    code: str = Field(examples=["99000002"])
    api_key: str = Field(
        description="the new API key, shown this once; the previous key stops working",
        examples=["iwmo_Zk1...."],
    )


CodePath = Annotated[
    str,
    Path(pattern=PARTICIPANT_CODE, description="the participant's code", examples=["99000002"]),
]


@router.get(
    "/participants",
    response_model=list[ParticipantOut],
    summary="List participants",
    description="Every municipality, provider and operator, never with a key.",
)
def list_participants(
    request: Request, who: Annotated[Caller, Depends(caller)]
) -> list[ParticipantOut]:
    with services(request).database.read() as s:
        rows = s.scalars(select(Participant).order_by(Participant.code))
        return [ParticipantOut.of(p) for p in rows]


@router.post(
    "/participants",
    response_model=ParticipantCreated,
    status_code=201,
    summary="Register a participant",
    description="Returns the participant's API key once; only its hash is kept.",
    responses={
        400: NOT_JSON,
        **_OPERATORS_ONLY,
        409: problem(
            409,
            "the code is taken, or (a municipality) not in the CBS list and "
            "`allow_unknown_municipality` was not sent: `type` says which",
            "unknown_municipality",
            "not a municipality the service knows",
            "9999 is not a CBS municipality code; send allow_unknown_municipality: true to "
            "register it anyway",
        ),
        422: INVALID_REQUEST,
    },
)
def add_participant(
    request: Request, body: ParticipantIn, who: Annotated[Caller, Depends(caller)]
) -> ParticipantCreated:
    _operator(who, "register participants")
    try:
        with services(request).database.write() as s:
            if participants.by_code(s, body.code) is not None:
                raise _taken(body.code)
            unknown_ok = isinstance(body, NewMunicipality) and body.allow_unknown_municipality
            try:
                p, key = participants.add(
                    s,
                    body.code,
                    body.role,
                    body.name,
                    allow_unknown_municipality=unknown_ok,
                    extra_municipalities=services(request).settings.extra_municipality_codes,
                )
            except participants.ParticipantError as exc:
                # The body has the form its role asks (the schema says so); what is left is
                # the CBS list, which the service holds and the document cannot state.
                raise Refused(
                    409,
                    "unknown_municipality",
                    "not a municipality the service knows",
                    f"{exc}; send allow_unknown_municipality: true to register it anyway",
                ) from exc
            out = ParticipantCreated(**ParticipantOut.of(p).model_dump(), api_key=key)
    except IntegrityError as exc:  # registered by someone else at the same moment
        raise _taken(body.code) from exc
    return out


def _taken(code: str) -> Refused:
    return Refused(409, "conflict", "code taken", f"a participant with code {code} exists")


@router.post(
    "/participants/{code}/key",
    response_model=NewKey,
    summary="Issue a new API key",
    description="The participant's previous key stops working at once (in every worker "
    "within 30 seconds). Also gives a key to a participant loaded from a contract file.",
    responses={**_OPERATORS_ONLY, 404: _NO_PARTICIPANT, 422: INVALID_REQUEST},
)
def rotate_key(request: Request, code: CodePath, who: Annotated[Caller, Depends(caller)]) -> NewKey:
    _operator(who, "issue keys")
    with services(request).database.write() as s:
        if participants.by_code(s, code) is None:
            raise NotFound(f"no participant {code}")
        key = participants.rotate_key(s, code)
    request.app.state.key_cache.clear()
    services(request).intake.participants.forget()
    return NewKey(code=code, api_key=key)


@router.patch(
    "/participants/{code}",
    response_model=ParticipantOut,
    summary="Rename, deactivate or reactivate a participant",
    description="Only what the body names changes. A deactivated participant is shut out at "
    "once: its key stops working and the pipeline no longer accepts messages to it.",
    responses={
        400: NOT_JSON,
        **_OPERATORS_ONLY,
        404: _NO_PARTICIPANT,
        409: _conflict(
            "an operator cannot deactivate itself",
            "cannot deactivate yourself",
            "ask another operator",
        ),
        422: INVALID_REQUEST,
    },
)
def change_participant(
    request: Request,
    code: CodePath,
    body: ParticipantChange,
    who: Annotated[Caller, Depends(caller)],
) -> ParticipantOut:
    _operator(who, "change participants")
    if body.active is False and not access.may_deactivate(who, code):
        raise Refused(409, "conflict", "cannot deactivate yourself", "ask another operator")
    with services(request).database.write() as s:
        p = participants.by_code(s, code)
        if p is None:
            raise NotFound(f"no participant {code}")
        if body.active is not None:
            p.active = body.active
        if body.name is not None:
            p.name = body.name
        out = ParticipantOut.of(p)
    request.app.state.key_cache.clear()
    services(request).intake.participants.forget()
    return out


# --- catalogues --------------------------------------------------------------------------------


class CatalogueSummary(BaseModel):
    key: str = Field(examples=["amersfoort-wmo"])
    version: int = Field(examples=[1])
    name: str = Field(examples=["Amersfoort region Wmo functions"])
    functions: int = Field(description="how many functions it has", examples=[9])


@router.get(
    "/catalogues",
    response_model=list[CatalogueSummary],
    summary="List function catalogues",
    description="Every loaded version of every catalogue.",
)
def list_catalogues(
    request: Request, who: Annotated[Caller, Depends(caller)]
) -> list[CatalogueSummary]:
    with services(request).database.read() as s:
        rows = s.scalars(
            select(FunctionCatalogue)
            .options(selectinload(FunctionCatalogue.functions))
            .order_by(FunctionCatalogue.key, FunctionCatalogue.version)
        )
        return [
            CatalogueSummary(key=c.key, version=c.version, name=c.name, functions=len(c.functions))
            for c in rows
        ]


@router.get(
    "/catalogues/{key}/{version:digits}",
    response_model=Catalogue,
    summary="One version of a function catalogue",
    description="The catalogue's functions, each with the product category and code the "
    "messages name it by, in the format `POST /v1/catalogues` takes.",
    responses={
        404: not_found("no such catalogue version", "no catalogue amersfoort-wmo@2"),
        422: INVALID_REQUEST,
    },
)
def get_catalogue(
    request: Request,
    key: Annotated[
        str, Path(pattern=KEY, description="the catalogue's key", examples=["amersfoort-wmo"])
    ],
    version: Annotated[
        int,
        Path(ge=1, le=MAX_ID, description="the catalogue's version", examples=[1]),
        WHOLE_NUMBER,
    ],
    who: Annotated[Caller, Depends(caller)],
) -> Catalogue:
    with services(request).database.read() as s:
        c = s.scalar(
            select(FunctionCatalogue)
            .where(FunctionCatalogue.key == key, FunctionCatalogue.version == version)
            .options(selectinload(FunctionCatalogue.functions))
        )
        if c is None:
            raise NotFound(f"no catalogue {key}@{version}")
        return contracts.catalogue_definition(c)


@router.post(
    "/catalogues",
    response_model=Catalogue,
    status_code=201,
    summary="Load a catalogue version",
    description="Creates the version (201). Its functions' product codes go on the product "
    "code lists of the municipalities of each contract that uses it, when that contract is "
    "loaded. Loading a version again with the same content changes nothing (200); with "
    "other content it is refused (409): publish it as a new version.",
    responses={
        200: {"description": "already loaded with this content", "model": Catalogue},
        201: {"description": "loaded"},
        400: NOT_JSON,
        **_OPERATORS_ONLY,
        409: problem(
            409,
            "this version is loaded with other content (`type` conflict), or two functions "
            "share a key, or a category and code (`type` invalid_catalogue); `errors` lists "
            "every problem",
            "conflict",
            "the catalogue conflicts with what is loaded",
            "catalogue amersfoort-wmo@1 is loaded with other content; publish it as a new version",
            errors=[
                "catalogue amersfoort-wmo@1 is loaded with other content; publish it as a new "
                "version"
            ],
        ),
        422: INVALID_REQUEST,
    },
)
def load_catalogue(
    request: Request,
    body: Catalogue,
    response: Response,
    who: Annotated[Caller, Depends(caller)],
) -> Catalogue:
    _operator(who, "load catalogues")
    svc = services(request)
    report = _load(request, Definition(catalogues=[body]), "catalogue")
    svc.intake.product_codes.forget()
    if report.outcome(f"catalogue {body.key}@{body.version}") != "created":
        response.status_code = 200
    with svc.database.read() as s:
        c = s.scalar(
            select(FunctionCatalogue)
            .where(FunctionCatalogue.key == body.key, FunctionCatalogue.version == body.version)
            .options(selectinload(FunctionCatalogue.functions))
        )
        assert c is not None  # just loaded
        return contracts.catalogue_definition(c)


def _load(request: Request, data: Definition, what: str) -> contracts.LoadReport:
    """Load through the shared loader in one transaction; what it finds is a 409 (the body
    passed the same models on its way in)."""
    svc = services(request)
    try:
        with svc.database.write() as s:
            report = contracts.load(
                s, data, extra_municipalities=svc.settings.extra_municipality_codes
            )
    except contracts.ConfigError as exc:
        raise _refusal(exc, what) from exc
    except IntegrityError as exc:  # another load of the same thing at the same moment
        raise Refused(
            409, "conflict", f"the {what} changed meanwhile", "nothing was changed; try again"
        ) from exc
    svc.contracts.forget()
    return report


def _refusal(exc: contracts.ConfigError, what: str) -> Refused:
    # The loader names places in a file (contracts[0].functions); here the body is the one
    # contract or catalogue.
    section = "catalogues[0]" if what == "catalogue" else "contracts[0]"
    errors = [problem.replace(section, what, 1) for problem in exc.problems]
    if exc.only_conflicts:
        return Refused(
            409,
            "conflict",
            f"the {what} conflicts with what is loaded",
            errors[0] if len(errors) == 1 else f"{len(errors)} conflicts; nothing was changed",
            errors=errors,
        )
    # What the body's schema states was checked before (422); the loader finds what it
    # cannot state: references to what is not registered or loaded, one thing twice, a
    # date before another. The body does not fit what is there: 409, as for a conflict.
    return Refused(
        409,
        f"invalid_{what}",
        f"the {what} is not valid",
        f"{len(errors)} problem{'s' if len(errors) != 1 else ''}; nothing was changed",
        errors=errors,
    )


# --- product code lists --------------------------------------------------------------------------


class ProductCodeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"categorie": "02", "code": "02N03", "omschrijving": "Begeleiding IN3"}]
        },
    )

    categorie: ProductCategorie = Field(description="ProductCategorie (WMO020)")
    code: str = Field(
        pattern=PRODUCT_CODE, description="ProductCode: 1-5 letters and digits", examples=["02N03"]
    )
    omschrijving: str = Field(
        default="", max_length=200, pattern=r"^[^\x00]*$", examples=["Begeleiding IN3"]
    )


class ProductCodeList(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "gemeente": "0307",
                    "replace": False,
                    "codes": [{"categorie": "02", "code": "02N03", "omschrijving": "IN3"}],
                }
            ]
        },
    )

    gemeente: str | None = Field(
        default=None,
        pattern=CBS_CODE,
        description="the municipality whose own list this is (CBS code); absent or null: the "
        "service-wide default",
        examples=["0307"],
    )
    replace: StrictBool = Field(
        default=False,
        description="replace the whole list; otherwise only the categories the codes are in",
    )
    codes: list[ProductCodeIn] = Field(max_length=10_000, description="the codes to list")


class ProductCodesLoaded(BaseModel):
    gemeente: str | None = Field(
        description="the list loaded (null: the default)", examples=["0307"]
    )
    categories: list[str] = Field(description="the categories replaced", examples=[["02"]])
    count: int = Field(description="codes now on the list in those categories", examples=[4])


@router.put(
    "/productcodes",
    response_model=ProductCodesLoaded,
    summary="Load a product code list",
    description="Replaces, on a municipality's own list or on the service-wide default, the "
    "codes of every category the body names (or with `replace` the whole list), as `iwmo "
    "product-codes import` does. A body with any bad code changes nothing. TR381 judges a "
    "municipality's messages by its own codes in a category, and by the default's in a "
    "category it has none of.",
    responses={
        400: NOT_JSON,
        **_OPERATORS_ONLY,
        409: problem(
            409,
            "what the schema cannot state: a code listed twice, or a municipality that is not "
            "on the CBS list; `errors` lists every problem",
            "invalid_product_code_list",
            "the product code list is not valid",
            "1 problem; nothing was changed",
            errors=["codes[1]: 02N03 is listed twice in category 02"],
        ),
        422: INVALID_REQUEST,
    },
)
def load_product_codes(
    request: Request, body: ProductCodeList, who: Annotated[Caller, Depends(caller)]
) -> ProductCodesLoaded:
    _operator(who, "change product code lists")
    svc = services(request)
    gemeente = body.gemeente or product_codes.DEFAULT
    try:
        entries = product_codes.checked(
            (f"codes[{i}]", c.categorie, c.code, c.omschrijving) for i, c in enumerate(body.codes)
        )
        with svc.database.write() as s:
            count = product_codes.load(s, entries, gemeente=gemeente, everything=body.replace)
    except product_codes.ProductCodeError as exc:
        errors = str(exc).split("; ")
        raise Refused(
            409,
            "invalid_product_code_list",
            "the product code list is not valid",
            f"{len(errors)} problem{'s' if len(errors) != 1 else ''}; nothing was changed",
            errors=errors,
        ) from exc
    svc.intake.product_codes.forget()
    return ProductCodesLoaded(
        gemeente=body.gemeente, categories=sorted({e.categorie for e in entries}), count=count
    )


# --- contracts ---------------------------------------------------------------------------------


def _contract_out(who: Caller, c: Contract) -> ContractOut:
    data = contracts.contract_as_dict(c)
    municipalities = [m.municipality_code for m in c.municipalities]
    data["municipalities"] = {
        code: terms if access.sees_budget(who, c.main_contractor_code, code) else {}
        for code, terms in data["municipalities"].items()
    }
    if not access.sees_contract_money(who, c.main_contractor_code, municipalities):
        for name in _MONEY_TERMS:
            data.pop(name, None)
    return ContractOut.model_validate(data)


def _contracts(s: Any, *where: Any) -> Any:
    return s.scalars(
        select(Contract)
        .where(*where)
        .options(
            selectinload(Contract.municipalities),
            selectinload(Contract.subcontractors),
            selectinload(Contract.catalogue),
        )
        .order_by(Contract.key)
    )


KeyPath = Annotated[
    str,
    Path(
        pattern=KEY,
        description="the contract's key: lower-case letters, digits and -",
        examples=["amersfoort-begeleiding"],
    ),
]


@router.get(
    "/contracts",
    response_model=list[ContractOut],
    response_model_exclude_none=True,
    summary="List contracts",
    description="Operators see every contract; a participant those it is a party to, as "
    "municipality, main contractor or subcontractor.",
)
def list_contracts(request: Request, who: Annotated[Caller, Depends(caller)]) -> list[ContractOut]:
    with services(request).database.read() as s:
        return [_contract_out(who, c) for c in _contracts(s, access.reads_contract(who))]


@router.get(
    "/contracts/{key}",
    response_model=ContractOut,
    response_model_exclude_none=True,
    summary="One contract",
    description="The contract in the format `PUT /v1/contracts/{key}` takes, its catalogue "
    "pinned to a version; a subcontractor that is not otherwise a party sees it without "
    "budgets and tariffs.",
    responses={
        404: not_found("no such contract for you", "no contract c9 for you"),
        422: INVALID_REQUEST,
    },
)
def get_contract(
    request: Request, key: KeyPath, who: Annotated[Caller, Depends(caller)]
) -> ContractOut:
    with services(request).database.read() as s:
        c = _contracts(s, Contract.key == key, access.reads_contract(who)).first()
        if c is None:
            raise NotFound(f"no contract {key} for you")
        return _contract_out(who, c)


@router.put(
    "/contracts/{key}",
    response_model=ContractOut,
    response_model_exclude_none=True,
    summary="Create or replace a contract",
    description="The body is the whole contract: its municipalities and subcontractors "
    "replace the ones it had. 201 when created, 200 when updated or unchanged. A change "
    "that takes away a function, municipality or subcontractor permission that delegations "
    "in force still use is refused (409). The participants it names must be registered.",
    responses={
        200: {"description": "updated, or already so", "model": ContractOut},
        201: {"description": "created", "model": ContractOut},
        400: NOT_JSON,
        **_OPERATORS_ONLY,
        409: problem(
            409,
            "delegations in force still use what it takes away (`type` conflict), or the "
            "contract breaks a rule its schema cannot state (`type` invalid_contract: see the "
            "contract's description); `errors` lists every problem",
            "invalid_contract",
            "the contract is not valid",
            "1 problem; nothing was changed",
            errors=["contract.municipalities.9999: 9999 is not a registered participant"],
        ),
        422: INVALID_REQUEST,
    },
)
def put_contract(
    request: Request,
    key: KeyPath,
    body: ContractIn,
    response: Response,
    who: Annotated[Caller, Depends(caller)],
) -> ContractOut:
    _operator(who, "change contracts")
    if body.key is not None and body.key != key:
        # A representation that names another resource than the one it is put at is in
        # conflict with it (RFC 9110, section 9.3.4).
        raise Refused(
            409,
            "invalid_contract",
            "the contract is not valid",
            "1 problem; nothing was changed",
            errors=[f"contract.key: {body.key} is not the key in the path ({key})"],
        )
    contract = ContractDef.model_validate({**body.model_dump(exclude_none=True), "key": key})
    report = _load(request, Definition(contracts=[contract]), "contract")
    response.status_code = 201 if report.outcome(f"contract {key}") == "created" else 200
    with services(request).database.read() as s:
        c = _contracts(s, Contract.key == key).first()
        assert c is not None  # just loaded
        return _contract_out(who, c)
