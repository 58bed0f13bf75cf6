"""What a delegation reads: agendas (JSON and iCalendar), the summit's current timetable, calendar feeds.

* ``GET /timetables/{id}/participants/{pid}`` and ``GET /timetables/{id}/delegations/{code}``: agendas. A
  liaison reads only its own delegation's; the other attendees of its meetings are shown by delegation and
  title, not by name. Each agenda says when a newer timetable supersedes it, and a delegation's agenda lists
  its refused requests with their reasons.
* ``GET /summits``: each summit the caller may read, with its current timetable (a liaison: the summits its
  delegation takes part in), so nobody has to paste a timetable id.
* ``GET /feeds/me`` (a liaison key) gives secret calendar URLs; ``GET /feeds/{token}/{summit}/...`` serves them
  without a header (calendar applications cannot send one), read-only, always from the current timetable:
  as built once per publication and stored (``api/feeds.py``), with an ETag (304 to ``If-None-Match``).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel

from api.calendars import agenda_ics, participant_names, visible_items
from api.deps import AgendaReader, RepoDep
from api.errors import ApiError, forbidden, not_found
from api.exports.agenda import counterpart_labels
from api.feeds import Feed, published_feed
from api.lineage import current_timetable, superseded_by
from api.lookups import scenario_or_404, timetable_or_404, timetable_with_scenario
from api.publishing import publication_mark, was_published
from api.schemas import AgendaOut, ErrorOut
from api.store.models import ApiKey, TimetableRow
from api.store.repository import Repository
from solver.scenario import Participant, Scenario
from solver.timetable import Timetable

router = APIRouter(tags=["agendas"])

_ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404, 422)}
_FORMATS: dict[int | str, dict[str, Any]] = {
    **_ERRORS, 200: {"content": {"application/json": {}, "text/calendar": {"schema": {"type": "string"}}}}}
AgendaFormat = Annotated[Literal["json", "ics"], Query(description="json (default) or ics")]
IfNoneMatch = Annotated[str | None, Header(description="the ETag of the feed the client has")]
ICS = "text/calendar; charset=utf-8"


class SummitOut(BaseModel):
    scenario_id: str
    name: str
    current_timetable_id: str | None
    status: str | None
    created_at: str | None
    delegations: list[str]


def _readable(repo: Repository, key: ApiKey, row: TimetableRow) -> TimetableRow:
    """A liaison reads published plans only (the current one, or one published before it): drafts are the
    planners'."""
    if key.role == "liaison" and not was_published(repo, row):
        raise ApiError(404, "not_found", f"no published timetable with id {row.id!r}")
    return row


def _may_see(key: ApiKey, delegation: str | None) -> bool:
    return key.role != "liaison" or (delegation is not None and delegation == key.delegation)


def _scope(key: ApiKey | None) -> str:
    """What an agenda's content depends on, for its cache key: every reader sees the same full agenda, a liaison
    its own delegation's redacted one (a delegation may be named "None": the role tells them apart)."""
    return f"liaison:{key.delegation}" if key is not None and key.role == "liaison" else "reader"


def _visible(key: ApiKey | None, scenario: Scenario) -> set[str] | None:
    """Whom the reader may see named: a liaison only its own delegation (others by delegation and title)."""
    if key is None or key.role != "liaison":
        return None
    return {p.id for p in scenario.participants if p.delegation == key.delegation}


# ------------------------------------------------------------------------------------------- agendas


@router.get("/timetables/{timetable_id}/participants/{participant_id}", response_model=AgendaOut,
            responses=_FORMATS, tags=["timetables"])
def participant_agenda(timetable_id: str, participant_id: str, key: AgendaReader, repo: RepoDep,
                       format: AgendaFormat = "json") -> Response:
    """One participant's agenda (a liaison: only participants of its delegation)."""
    row = _readable(repo, key, timetable_or_404(repo, timetable_id))
    scenario, timetable = timetable_with_scenario(repo, row)
    person = next((p for p in scenario.participants if p.id == participant_id), None)
    if not _may_see(key, person.delegation if person is not None else None):
        raise forbidden("a liaison sees only its own delegation's participants")
    if person is None:
        raise not_found("participant", participant_id)
    return _agenda_response(repo, row, scenario, timetable, key, [person], format,
                            f"{scenario.name}: {person.name or person.id}", person.id,
                            participant=person.model_dump(mode="json"), delegation=person.delegation)


@router.get("/timetables/{timetable_id}/delegations/{code}", response_model=AgendaOut, responses=_FORMATS,
            tags=["timetables"])
def delegation_agenda(timetable_id: str, code: str, key: AgendaReader, repo: RepoDep,
                      format: AgendaFormat = "json") -> Response:
    """Every event a member of the delegation attends, and its refused requests (a liaison: only its own)."""
    if not _may_see(key, code):
        raise forbidden("a liaison sees only its own delegation's agenda")
    row = _readable(repo, key, timetable_or_404(repo, timetable_id))
    scenario, timetable = timetable_with_scenario(repo, row)
    members = [p for p in scenario.participants if p.delegation == code]
    if not members:
        raise not_found("delegation", code)
    return _agenda_response(repo, row, scenario, timetable, key, members, format, f"{scenario.name}: {code}", code,
                            delegation=code, participants=[p.model_dump(mode="json") for p in members],
                            refused=_refused(scenario, timetable, members, key))


def _agenda_response(repo: Repository, row: TimetableRow, scenario: Scenario, timetable: Timetable,
                     key: ApiKey | None, members: list[Participant], format: str, title: str, filename: str,
                     **fields: Any) -> Response:
    """The agenda of some participants as JSON (with what supersedes it) or iCalendar (with its history)."""
    visible = _visible(key, scenario)
    who = {p.id for p in members}
    cache = f"{row.id}:{','.join(sorted(who))}:{_scope(key)}"
    items = repo.derived(f"agenda-items:{cache}", lambda: visible_items(scenario, timetable, who, visible))
    if format == "ics":
        body = repo.derived(f"agenda-ics:{cache}:{publication_mark(repo, row)}",
                            lambda: agenda_ics(repo, row, scenario, items, who, visible, title))
        return Response(body, media_type=ICS,
                        headers={"Content-Disposition": f'attachment; filename="agenda-{filename}.ics"'})
    newer = superseded_by(repo, row)  # read each time: a re-plan may have superseded it since
    out = AgendaOut(timetable_id=row.id, scenario_id=row.scenario_id, summit=scenario.name,
                    timezone=scenario.timezone, items=[i.to_dict() for i in items],
                    superseded_by=newer.id if newer is not None else None, **fields)
    return Response(out.model_dump_json().encode("utf-8"), media_type="application/json")


def _refused(scenario: Scenario, timetable: Timetable, members: list[Participant],
             key: ApiKey) -> list[dict[str, Any]]:
    """The delegation's requests the timetable left out, with the reason and who the meeting was with."""
    who = {p.id for p in members}
    events = {e.id: e for e in scenario.events}
    labels = counterpart_labels(scenario)
    names = participant_names(scenario)
    refused = []
    for item in timetable.unscheduled:
        event = events.get(item.event)
        if event is None or not who.intersection(event.participants):
            continue
        others = [p for p in event.participants if p not in who]
        shown = [labels[p] for p in others] if key.role == "liaison" else [names.get(p, p) for p in others]
        refused.append({"event": event.id, "title": event.title or event.id, "kind": event.kind,
                        "priority": event.priority, "with": shown, "reason": item.reason})
    return refused


# ------------------------------------------------------------------------------- current timetables


@router.get("/summits", response_model=list[SummitOut], responses=_ERRORS)
def summits(key: AgendaReader, repo: RepoDep) -> list[SummitOut]:
    """Each summit the caller may read and its current timetable (the newest usable one: after a re-plan, the
    re-plan's). A liaison sees the summits its delegation takes part in."""
    out = []
    for scenario_row in repo.list_scenarios(limit=1000):
        current = current_timetable(repo, scenario_row.id)
        delegations: list[str] = []
        if current is not None:
            scenario, _ = timetable_with_scenario(repo, current)
            delegations = sorted({p.delegation for p in scenario.participants if p.delegation})
        if key.role == "liaison" and key.delegation not in delegations:
            continue
        out.append(SummitOut(scenario_id=scenario_row.id, name=scenario_row.name,
                             current_timetable_id=current.id if current is not None else None,
                             status=current.status if current is not None else None,
                             created_at=current.created_at.isoformat() if current is not None else None,
                             delegations=delegations if key.role != "liaison" else [key.delegation or ""]))
    return out


# ------------------------------------------------------------------------------------ calendar feeds


def feed_token(key: ApiKey) -> str:
    """A secret for the key's calendar URLs: the key's id and an HMAC keyed by the key's stored hash (the
    secret itself is never stored). Revoking the key ends its feeds; the token grants nothing else."""
    mac = hmac.new(key.key_hash.encode("ascii"), b"summit-scheduler calendar feed", hashlib.sha256).hexdigest()
    return f"{key.id}.{mac}"


def _key_of_token(repo: Repository, token: str) -> ApiKey:
    key_id, _, mac = token.partition(".")
    with repo.session() as s:
        key = s.get(ApiKey, key_id) if key_id else None
    if key is None or key.revoked or key.role != "liaison" or not hmac.compare_digest(feed_token(key), token):
        raise ApiError(404, "not_found", "no calendar feed at this address")
    return key


@router.get("/feeds/me", responses=_ERRORS)
def my_feeds(key: AgendaReader, repo: RepoDep, request: Request) -> dict[str, Any]:
    """A liaison's calendar subscription URLs (keep them secret: they are read without a key), per summit its
    delegation takes part in: the delegation's calendar and each member's."""
    if key.role != "liaison":
        raise forbidden("calendar feeds belong to liaison keys")
    base = str(request.base_url).rstrip("/")
    token = feed_token(key)
    feeds = []
    for summit in summits(key, repo):
        if summit.current_timetable_id is None:
            continue
        row = timetable_or_404(repo, summit.current_timetable_id)
        scenario, _ = timetable_with_scenario(repo, row)
        members = [p for p in scenario.participants if p.delegation == key.delegation]
        prefix = f"{base}/feeds/{token}/{summit.scenario_id}"
        feeds.append({"scenario_id": summit.scenario_id, "summit": summit.name,
                      "delegation": f"{prefix}/delegation.ics",
                      "participants": [{"id": p.id, "name": p.name or p.id, "url": f"{prefix}/participants/{p.id}.ics"}
                                       for p in members]})
    return {"delegation": key.delegation, "feeds": feeds}


def _feed(repo: Repository, token: str, scenario_id: str) -> tuple[ApiKey, TimetableRow, Scenario, Timetable]:
    key = _key_of_token(repo, token)
    scenario_or_404(repo, scenario_id)
    row = current_timetable(repo, scenario_id)
    if row is None:
        raise ApiError(404, "not_found", "this summit has no timetable yet")
    scenario, timetable = timetable_with_scenario(repo, row)
    if not any(p.delegation == key.delegation for p in scenario.participants):
        raise ApiError(404, "not_found", "no calendar feed at this address")
    return key, row, scenario, timetable


@router.get("/feeds/{token}/{scenario_id}/delegation.ics", response_class=Response, responses=_ERRORS)
def delegation_feed(token: str, scenario_id: str, repo: RepoDep, if_none_match: IfNoneMatch = None) -> Response:
    """The delegation's calendar, always from the summit's published plan (a subscription follows re-plans); 304
    when ``If-None-Match`` names its ETag."""
    key = _key_of_token(repo, token)
    feed = published_feed(repo, scenario_id, key.delegation) if key.delegation else None
    if feed is None:  # no such feed: say why (or, for a key without a delegation, build it as before)
        key, row, scenario, timetable = _feed(repo, token, scenario_id)
        members = [p for p in scenario.participants if p.delegation == key.delegation]
        return _built_response(_agenda_response(repo, row, scenario, timetable, key, members, "ics",
                                                f"{scenario.name}: {key.delegation}", key.delegation or "delegation"))
    return _feed_response(feed, if_none_match)


@router.get("/feeds/{token}/{scenario_id}/participants/{participant_id}.ics", response_class=Response,
            responses=_ERRORS)
def participant_feed(token: str, scenario_id: str, participant_id: str, repo: RepoDep,
                     if_none_match: IfNoneMatch = None) -> Response:
    """One member's calendar, always from the summit's published plan; 304 when ``If-None-Match`` names its
    ETag."""
    key = _key_of_token(repo, token)
    feed = published_feed(repo, scenario_id, key.delegation, participant_id) if key.delegation else None
    if feed is None:
        key, row, scenario, timetable = _feed(repo, token, scenario_id)
        person = next((p for p in scenario.participants if p.id == participant_id
                       and p.delegation == key.delegation), None)
        if person is None:
            raise not_found("participant", participant_id)
        return _built_response(_agenda_response(repo, row, scenario, timetable, key, [person], "ics",
                                                f"{scenario.name}: {person.name or person.id}", person.id))
    return _feed_response(feed, if_none_match)


_FEED_HEADERS = {"Cache-Control": "no-cache, private", "X-Content-Type-Options": "nosniff"}


def _feed_response(feed: Feed, if_none_match: str | None) -> Response:
    """The stored feed with its ETag, or 304 when the client has it already."""
    if if_none_match is not None and _matches(if_none_match, feed.etag):
        return Response(status_code=304, headers={"ETag": feed.etag, **_FEED_HEADERS})
    return Response(feed.body, media_type=ICS, headers={"ETag": feed.etag, **_FEED_HEADERS})


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 If-None-Match: ``*`` or a list of ETags, compared weakly (a ``W/`` prefix ignored)."""
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _built_response(response: Response) -> Response:
    response.headers.update(_FEED_HEADERS)
    del response.headers["Content-Disposition"]  # a subscription, shown inline
    return response
