"""Admin console pages: search, user page actions, organisations, and the roster upload that previews first."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from smartwork.audit import AuditEvent, AuditEventType
from smartwork.auth.models import Role, User, UserStatus
from smartwork.centers.models import Contract
from tests import factories as f

HEADER = "employee_number,name,email,agency_code,home_region_code,status\n"


def signed_in(client, user):
    assert f.login(client, user).status_code == 302
    return client


def reload(session, user) -> User:
    session.expire_all()
    return session.get(User, user.id)


def test_pages_render_in_korean_without_inline_script(app, session, org, client):
    signed_in(client, org["admin"])
    for path in ("/admin/users?q=김", f"/admin/users/{org['staff'].id}", "/admin/agencies", "/admin/agencies/new",
                 "/admin/agencies/MOIS/edit", "/admin/operators", "/admin/operators/kt/edit", "/admin/contracts",
                 "/admin/contracts/new", "/admin/roster"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "<script>" not in response.text and " onclick=" not in response.text, path
    assert "김민수" in client.get("/admin/users?q=김").text
    assert client.get("/admin/users/999999").status_code == 404


def test_user_page_changes_roles_status_and_centers_by_post_only(app, session, org, client):
    signed_in(client, org["admin"])
    staff = org["staff"]
    base = f"/admin/users/{staff.id}"
    assert client.get(base + "/roles").status_code == 405  # no state change on GET
    assert client.post(base + "/roles", data={"role": "center_manager", "action": "grant"}).status_code == 303
    assert client.post(base + "/centers", data={"center": "pangyo", "action": "assign"}).status_code == 303
    page = client.get(base).text
    assert "pangyo" in page
    refused = client.post(base + "/centers", data={"center": "nope", "action": "assign"})
    assert refused.status_code == 404 and "nope" in refused.text
    bad = client.post(base + "/status", data={"status": "suspended", "reason": ""})
    assert bad.status_code == 422
    done = client.post(base + "/status", data={"status": "suspended", "reason": "감사", "until": "2099-01-31"})
    assert done.status_code == 303
    user = reload(session, staff)
    assert user.status == UserStatus.SUSPENDED and user.suspended_reason == "감사"
    assert user.suspended_until.isoformat().startswith("2099-01-31T15:00")  # the end of 31 January in Seoul
    last = client.post(f"/admin/users/{org['admin'].id}/roles", data={"role": "admin", "action": "revoke"})
    assert last.status_code == 409
    assert reload(session, org["admin"]).has_role(Role.ADMIN)


def test_resend_activation_needs_the_form_and_reports_unavailability(app, session, org, client):
    signed_in(client, org["admin"])
    path = f"/admin/users/{org['staff'].id}/activation"
    assert client.post(path).status_code == 422
    assert client.post(path, data={"confirm": "1"}).status_code in (303, 409, 422, 503)


def test_contract_pages_create_and_edit_with_audit(app, session, org, client):
    signed_in(client, org["admin"])
    data = {"agency": "MOIS", "operator": "kt", "hourly_rate_krw": "4000", "starts_on": "2026-01-01", "ends_on": ""}
    assert client.post("/admin/contracts/new", data=data).status_code == 303
    contract = session.scalar(select(Contract))
    assert client.get(f"/admin/contracts/{contract.id}/edit").status_code == 200
    data["hourly_rate_krw"] = "4500"
    assert client.post(f"/admin/contracts/{contract.id}/edit", data=data).status_code == 303
    bad = dict(data, ends_on="2025-01-01")
    assert client.post("/admin/contracts/new", data=bad).status_code == 422
    kinds = session.scalars(select(AuditEvent.event).where(AuditEvent.event == AuditEventType.CONTRACT_CHANGE)).all()
    assert len(kinds) == 2
    assert client.post("/admin/agencies/new", data={"code": "MOLEG", "name_ko": "법제처", "name_en": "MOLEG",
                                                     "kind": "central"}).status_code == 303
    assert client.post("/admin/operators/new", data={"code": "kt", "name_ko": "x", "name_en": "x",
                                                      "ownership": "private"}).status_code == 422


def _upload(client, text: str):
    return client.post("/admin/roster", data={"roster": (io.BytesIO(text.encode()), "roster.csv")},
                       content_type="multipart/form-data")


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"', page).group(1)


def test_roster_upload_previews_then_applies_with_the_second_confirmation(app, session, org, client):
    signed_in(client, org["admin"])
    text = HEADER + "M001,김민수,kim@mois.go.kr,MOIS,11110,active\nM009,한별,han@mois.go.kr,MOIS,11110,pending\n"
    preview = _upload(client, text)
    assert preview.status_code == 200
    assert "M009" in preview.text and "M002" not in preview.text  # MOIS not complete yet: nobody retired
    upload, fingerprint = _hidden(preview.text, "upload"), _hidden(preview.text, "fingerprint")
    assert session.scalar(select(User).where(User.employee_number == "M009")) is None
    # Declare MOIS complete: the preview lists the leavers (M002 and the admin) and asks for confirmation.
    again = client.post("/admin/roster/review", data={"upload": upload, "fingerprint": fingerprint,
                                                       "complete": "MOIS", "action": "preview"})
    assert again.status_code == 200 and "M002" in again.text and "A001" in again.text
    # Applying with the old fingerprint (before MOIS was complete) is refused and previews again.
    stale = client.post("/admin/roster/review", data={"upload": upload, "fingerprint": fingerprint,
                                                       "complete": "MOIS", "action": "apply"})
    assert stale.status_code == 409
    fingerprint = _hidden(again.text, "fingerprint")
    unconfirmed = client.post("/admin/roster/review", data={"upload": upload, "fingerprint": fingerprint,
                                                             "complete": "MOIS", "action": "apply"})
    assert unconfirmed.status_code == 409 and "M002" in unconfirmed.text
    assert session.scalar(select(User).where(User.employee_number == "M009")) is None
    # Without MOIS complete, apply what the first preview showed.
    done = client.post("/admin/roster/review", data={"upload": upload, "fingerprint": _hidden(preview.text,
                                                                                              "fingerprint"),
                                                      "action": "apply"})
    assert done.status_code == 200
    session.expire_all()
    assert session.scalar(select(User).where(User.employee_number == "M009")) is not None
    event = session.scalar(select(AuditEvent).where(AuditEvent.event == AuditEventType.ROSTER_IMPORT))
    assert event.details["source"] == "web" and event.actor_id == org["admin"].id
    # The upload is gone once applied; another admin can never use someone else's.
    gone = client.post("/admin/roster/review", data={"upload": upload, "action": "apply"})
    assert gone.status_code == 404


def test_roster_upload_of_a_non_utf8_file_explains_on_the_preview(app, session, org, client):
    signed_in(client, org["admin"])
    response = client.post("/admin/roster", data={"roster": (io.BytesIO((HEADER + "M009,한별,h@x.kr,MOIS,11110,"
                                                                         "active\n").encode("cp949")), "r.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and "UTF-8" in response.text
    assert client.post("/admin/roster", data={}).status_code == 422


def test_another_admin_cannot_apply_my_upload(app, session, org, client):
    signed_in(client, org["admin"])
    preview = _upload(client, HEADER + "M009,한별,han@mois.go.kr,MOIS,11110,pending\n")
    upload, fingerprint = _hidden(preview.text, "upload"), _hidden(preview.text, "fingerprint")
    second = f.user(roles=(Role.ADMIN,), agency_obj=org["moef"])
    session.commit()
    other = signed_in(app.test_client(), second)
    for forged in (upload, "../../etc/passwd", f"{second.id}-{upload.split('-', 1)[1]}"):
        response = other.post("/admin/roster/review", data={"upload": forged, "fingerprint": fingerprint,
                                                            "action": "apply"})
        assert response.status_code == 404, forged
    assert session.scalar(select(User).where(User.employee_number == "M009")) is None


def test_an_oversized_upload_is_refused_before_it_is_stored(app, session, org, client, monkeypatch):
    from smartwork.admin import uploads

    monkeypatch.setattr(uploads, "MAX_BYTES", 64)
    signed_in(client, org["admin"])
    response = _upload(client, HEADER + "M009,한별,han@mois.go.kr,MOIS,11110,pending\n" * 3)
    assert response.status_code == 422
    stored = list((uploads._directory()).glob("*.csv"))
    assert stored == []
