"""Forms that are refused or interrupted: shown again by a page the browser got with GET (never a
POST's answer for the back button to resubmit), and a disposition note typed as the key expired
kept for the same officer through signing in again."""

from __future__ import annotations

import html
import re
import secrets
from typing import Any

from tests.api.conftest import OPERATOR
from tests.console.conftest import WATCHLISTED, Console, csrf_of, sign_in


def _text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def _signed_in(console: Console, key: str) -> Any:
    client = console.app.test_client()
    assert sign_in(client, key).status_code == 303
    return client


def _passenger(console: Console) -> tuple[str, str]:
    console.import_seeds()
    console.api("POST", "/v1/evaluations", "system", {"passenger": WATCHLISTED})
    rows = console.api("GET", "/v1/worklist?date=2026-12-03", "officer")["rows"]
    return rows[0]["decision_id"], rows[0]["hits"][0]["id"]


def _disposition(decision_id: str, hit_id: str, note: str) -> tuple[str, dict[str, str]]:
    page = f"/console/passengers/{decision_id}"
    form = {
        "status": "referred",
        "note": note,
        "form_id": f"disposition-{hit_id}",
        "here": f"{page}#hit-{hit_id}",
        "list": "",
    }
    return f"{page}/hits/{hit_id}/disposition", form


def test_a_refused_form_is_shown_once_by_the_page_it_redirects_to(console: Console) -> None:
    console.live_rule(
        {
            "id": "CUS-0100",
            "title": "Cash",
            "description": "Cash tickets.",
            "weight": 40,
            "action": "refer",
            "valid_until": "2027-12-31",
            "when": {"field": "booking.payment_method", "eq": "cash"},
        }
    )
    officer = _signed_in(console, console.keys["officer"])
    posted = officer.post("/console/rules/CUS-0100/retire", data={"reason": "old", "csrf_token": csrf_of(officer)})
    assert posted.status_code == 303 and posted.location == "/console/rules/CUS-0100"
    shown = officer.get(posted.location)
    page = _text(shown)
    assert shown.status_code == 422 and 'id="retire-confirm-errors"' in page
    assert re.search(r'id="retire-reason"[^>]*value="old"', page)  # what was typed is kept
    assert re.search(r'id="retire-confirm"[^>]*aria-invalid="true"', page)
    again = officer.get(posted.location)  # a reload: the refusal was shown once
    assert again.status_code == 200 and "retire-confirm-errors" not in _text(again)


def _aroha(console: Console) -> tuple[str, str]:
    """A new key of Aroha's (officer and approver): its id and the key itself."""
    record, key = console.services.key_store.create_key(
        "aroha.ngata@customs", "customs", ["officer", "approver"], OPERATOR
    )
    return record.id, key


def _interrupted(console: Console, action: str, form: dict[str, str]) -> Any:
    """A browser where Aroha typed ``form`` and sent it just after her key expired."""
    key_id, key = _aroha(console)
    browser = _signed_in(console, key)
    console.services.key_store.revoke_key(key_id, OPERATOR)  # as if it expired
    sent = browser.post(action, data={**form, "csrf_token": csrf_of(browser)})
    assert sent.status_code == 303
    assert sent.location == f"/console/sign-in?next={form['here'].replace('#', '%23')}"
    assert "what you typed is kept for you" in _text(browser.get(sent.location))
    return browser


def test_a_note_typed_as_the_key_expired_waits_for_the_same_officer(console: Console) -> None:
    decision_id, hit_id = _passenger(console)
    action, form = _disposition(decision_id, hit_id, "Bag search at the gate. Ngā mihi")
    browser = _interrupted(console, action, form)
    assert console.api("GET", f"/v1/hits/{hit_id}", "approver")["status"] == "new"  # nothing recorded

    _, key = _aroha(console)
    back = browser.post("/console/sign-in", data={"api_key": key, "csrf_token": csrf_of(browser), "next": form["here"]})
    assert back.status_code == 303 and back.location == form["here"]  # the same place
    page = _text(browser.get(back.location))
    note = re.search(rf'<textarea id="note-{hit_id}"[^>]*>([^<]*)</textarea>', page).group(1)
    assert note == "Bag search at the gate. Ngā mihi"
    assert re.search(r'<option value="referred" selected>', page)
    recorded = browser.post(action, data={**form, "csrf_token": csrf_of(browser)})
    assert recorded.status_code == 303
    assert console.api("GET", f"/v1/hits/{hit_id}", "approver")["note"] == "Bag search at the gate. Ngā mihi"


def test_a_kept_note_is_not_shown_to_someone_else(console: Console) -> None:
    decision_id, hit_id = _passenger(console)
    action, form = _disposition(decision_id, hit_id, "Only for Aroha")
    browser = _interrupted(console, action, form)
    other = browser.post(
        "/console/sign-in",
        data={"api_key": console.keys["approver"], "csrf_token": csrf_of(browser), "next": form["here"]},
    )
    assert other.status_code == 303
    assert "Only for Aroha" not in _text(browser.get(other.location))
    _, key = _aroha(console)
    assert sign_in(browser, key).status_code == 303
    assert "Only for Aroha" not in _text(browser.get(form["here"]))  # dropped when someone else signed in


def test_a_form_posted_without_a_session_is_kept_only_from_a_console_page(console: Console) -> None:
    decision_id, hit_id = _passenger(console)
    action, form = _disposition(decision_id, hit_id, "Typed before the cookie was lost")
    foreign = console.app.test_client()
    posted = foreign.post(action, data=form, headers={"Origin": "https://elsewhere.example"})
    assert posted.status_code == 303 and posted.location.startswith("/console/sign-in?next=")
    assert sign_in(foreign, console.keys["officer"]).status_code == 303
    assert "Typed before the cookie was lost" not in _text(foreign.get(form["here"]))

    lost = console.app.test_client()
    posted = lost.post(action, data=form, headers={"Origin": "http://localhost"})
    assert posted.status_code == 303
    assert sign_in(lost, console.keys["officer"]).status_code == 303
    assert "Typed before the cookie was lost" in _text(lost.get(form["here"]))


def test_a_refused_text_too_long_for_the_session_is_answered_directly(console: Console) -> None:
    officer = _signed_in(console, console.keys["officer"])
    # Random text does not compress: far more than a cookie holds.
    text = "id: CUS-0100\ndescription: " + secrets.token_urlsafe(6000) + "\nweight: nine\n"
    form = {"rule_yaml": text, "reason": "x", "csrf_token": csrf_of(officer)}
    refused = officer.post("/console/rules/new", data=form)
    assert refused.status_code == 422  # the page itself, so nothing typed is lost
    assert text.split("\n")[1] in _text(refused)
    assert len(refused.headers.get("Set-Cookie", "")) < 4096
