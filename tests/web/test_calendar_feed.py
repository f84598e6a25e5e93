"""The train's calendar feed parses with the icalendar library and holds every event of the PI on its day."""

from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar
from sqlalchemy.orm import Session

from artsync.formats.plan_format import parse_plan
from artsync.services.capacity import add_holiday
from artsync.services.people import add_user
from artsync.services.plans import import_plan
from artsync.settings import Settings
from artsync.web.app import create_app
from tests.personas import ADMIN

PI_START = date(2027, 1, 4)  # a Monday: five iterations of two weeks, the last one IP


def plan() -> dict:
    return {
        "train": {"key": "CAL", "name": "Calendar ART"},
        "pi": {"key": "PI-27.1", "start": PI_START.isoformat(), "iterations": 5, "state": "executing"},
        "teams": [{"key": "Atlas", "name": "Atlas", "velocity": 20}],
    }


def events_of(body: bytes) -> dict[str, tuple[date, date, str]]:
    """SUMMARY → (first day, last day, status) of every event; DTEND of an all-day event is exclusive."""
    found = {}
    for event in Calendar.from_ical(body).walk("VEVENT"):
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        found[str(event["summary"])] = (start, end - timedelta(days=1), str(event.get("status", "CONFIRMED")))
    return found


def test_the_feed_holds_every_event_of_the_pi_and_stops_when_revoked(engine, database_url) -> None:
    from fastapi.testclient import TestClient

    with Session(engine, expire_on_commit=False) as db:
        import_plan(db, actor=ADMIN, plan=parse_plan(plan()))
        add_user(db, actor=ADMIN, name="rita", train_key="CAL", role="rte")
        add_holiday(db, actor=ADMIN, train_key="CAL", day=date(2027, 1, 15), name="Founders' Day")  # I1's last Friday
    with TestClient(create_app(Settings(database_url=database_url))) as client:
        client.headers["Authorization"] = "Bearer " + _token(engine, "rita")
        demo = client.post(
            "/api/v1/trains/CAL/meetings", json={"kind": "system_demo", "day": "2027-01-28", "title": "Demo I2"}
        )
        assert demo.status_code == 201 and demo.json()["iteration"] == 2
        feed = client.post("/api/v1/trains/CAL/calendar/feeds").json()
        assert feed["url"].endswith(f"/api/v1/trains/CAL/calendar.ics?token={feed['token']}")
        del client.headers["Authorization"]  # a calendar client has only the URL

        answer = client.get("/api/v1/trains/CAL/calendar.ics", params={"token": feed["token"]})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
        events = events_of(answer.content)
        monday = lambda weeks: PI_START + timedelta(weeks=weeks)  # noqa: E731
        expected = {
            "CAL PI-27.1 iteration 1": (monday(0), monday(2) - timedelta(days=1), "CONFIRMED"),
            "CAL PI-27.1 iteration 2": (monday(2), monday(4) - timedelta(days=1), "CONFIRMED"),
            "CAL PI-27.1 iteration 3": (monday(4), monday(6) - timedelta(days=1), "CONFIRMED"),
            "CAL PI-27.1 iteration 4": (monday(6), monday(8) - timedelta(days=1), "CONFIRMED"),
            "CAL PI-27.1 IP iteration": (monday(8), monday(10) - timedelta(days=1), "CONFIRMED"),
            # I1 ends on a holiday, so its demo is the Thursday before; I2's is scheduled on a Thursday.
            "CAL System demo — iteration 1": (date(2027, 1, 14), date(2027, 1, 14), "TENTATIVE"),
            "CAL Demo I2": (date(2027, 1, 28), date(2027, 1, 28), "CONFIRMED"),
            "CAL System demo — iteration 3": (date(2027, 2, 12), date(2027, 2, 12), "TENTATIVE"),
            "CAL System demo — iteration 4": (date(2027, 2, 26), date(2027, 2, 26), "TENTATIVE"),
            "CAL Inspect & Adapt PI-27.1": (date(2027, 3, 1), date(2027, 3, 1), "TENTATIVE"),
            "CAL PI planning (next PI)": (date(2027, 3, 11), date(2027, 3, 12), "TENTATIVE"),
        }
        assert {name: events[name] for name in expected} == expected
        assert set(events) == set(expected) | {"CAL ART sync"}
        wednesdays = [
            e.decoded("dtstart")
            for e in Calendar.from_ical(answer.content).walk("VEVENT")
            if e["summary"] == "CAL ART sync"
        ]
        assert wednesdays == [date(2027, 1, 6) + timedelta(weeks=n) for n in range(8)]  # weekly through I1–I4

        client.headers["Authorization"] = "Bearer " + _token(engine, "rita")
        assert client.delete(f"/api/v1/calendar/feeds/{feed['prefix']}").status_code == 200
        del client.headers["Authorization"]
        revoked = client.get("/api/v1/trains/CAL/calendar.ics", params={"token": feed["token"]})
        assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
        assert client.get("/api/v1/trains/CAL/calendar.ics").status_code == 401


def _token(engine, name: str) -> str:
    from artsync.services.auth import create_token

    with Session(engine, expire_on_commit=False) as db:
        return create_token(db, actor=ADMIN, user_name=name).token
