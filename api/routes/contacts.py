"""``POST /v1/contacts``: record that a client was contacted, how and with what outcome.

Who: branch heads for their branch's clients and service keys (the CRM, the RM
workbench) for the branches their key names; the others get the API's one 403, and a
client out of scope looks the same whether or not it exists. The client must be in the
current scoring run (or the run at ``as_of``): the record takes its branch, RM and plan
from it. ``action_id`` is a playbook action (default: the one the plan asked for).
Safe to retry: send an ``Idempotency-Key`` header and a retry gets the first record
back (200) instead of a second one (201). Every call is one audit row.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Response
from pydantic import AwareDatetime, BaseModel, Field

from api.deps import EngineDep, PlaybookDep, ScopeDep
from api.errors import ApiError
from api.routes.risk import ERRORS, find_in_scope
from api.schemas import Error
from attrition.store.contacts import Contact, ContactConflictError, planned_action, record_contact
from attrition.store.schema import CONTACT_CHANNELS, CONTACT_OUTCOMES

router = APIRouter(prefix="/v1", tags=["contacts"])
ACTION = "POST /v1/contacts"
# clocks differ a little between the CRM and us; a contact further ahead is a mistake
CLOCK_SKEW = timedelta(minutes=5)
OLDEST = timedelta(days=400)


class ContactIn(BaseModel):
    client_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    contacted_at: AwareDatetime = Field(description="When, with its time zone")
    channel: Literal[CONTACT_CHANNELS]  # type: ignore[valid-type]
    outcome: Literal[CONTACT_OUTCOMES]  # type: ignore[valid-type]
    action_id: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[a-z0-9_]+$",
        description="The playbook action taken; default: the one the plan asked for",
    )
    as_of: str | None = Field(
        None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM: the run whose plan"
    )

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {
            "examples": [
                {
                    "client_id": "00006134",
                    "contacted_at": "2026-10-05T10:30:00+08:00",
                    "channel": "call",
                    "outcome": "will_stay",
                    "action_id": "maturity_call",
                }
            ]
        },
    }


class ContactOut(BaseModel):
    contact_id: int
    client_id: str
    branch_id: str | None
    rm_id: str | None
    run_id: int
    planned: bool = Field(description="Whether the run's contact plan had this client")
    planned_action_id: str | None
    action_id: str
    channel: str
    outcome: str
    contacted_at: datetime
    recorded_at: datetime


RetryKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="A retry with the same key records nothing twice",
    ),
]


@router.post(
    "/contacts",
    response_model=ContactOut,
    status_code=201,
    responses={**ERRORS, 200: {"model": ContactOut}, 409: {"model": Error}, 422: {"model": Error}},
)
def record(
    body: ContactIn,
    response: Response,
    scope: ScopeDep,
    engine: EngineDep,
    playbook: PlaybookDep,
    idempotency_key: RetryKey = None,
) -> ContactOut:
    """Record a contact with a client and its outcome (201; 200 for a retry)."""
    client_id = body.client_id
    if not scope.records_contacts():
        scope.refuse(engine, ACTION, "client", [client_id])
    found = find_in_scope(engine, scope, ACTION, "client", client_id, body.as_of)
    run_id, row = found.run_id, found.score
    problems = {}
    now = datetime.now(UTC)
    if body.contacted_at > now + CLOCK_SKEW:
        problems["body.contacted_at"] = "is in the future"
    elif body.contacted_at < now - OLDEST:
        problems["body.contacted_at"] = f"is more than {OLDEST.days} days ago"
    action_id = body.action_id or planned_action(engine, run_id, client_id)
    known = playbook.action_ids("client")
    if action_id is None:
        problems["body.action_id"] = f"the plan has no action for {client_id}: name one of {known}"
    elif action_id not in known:
        problems["body.action_id"] = f"expected a playbook action, one of {known}"
    if problems:
        scope.audit(engine, ACTION, "client", [client_id], "invalid")
        raise ApiError(422, "invalid_request", "the contact cannot be recorded", **problems)
    contact = Contact(client_id, str(action_id), body.channel, body.outcome, body.contacted_at)
    try:
        stored, new = record_contact(
            engine,
            contact,
            run_id=run_id,
            branch_id=row["branch_id"],
            rm_id=row["rm_id"],
            key_id=scope.caller.key_id,
            idempotency_key=idempotency_key,
        )
    except ContactConflictError:
        scope.audit(engine, ACTION, "client", [client_id], "conflict")
        raise ApiError(
            409,
            "conflict",
            "this Idempotency-Key was used for another contact",
            **{"header.Idempotency-Key": "send a new key for a new contact"},
        ) from None
    scope.audit(engine, ACTION, "client", [client_id], "recorded" if new else "replayed")
    if not new:
        response.status_code = 200
    return ContactOut(**{k: stored[k] for k in ContactOut.model_fields})
