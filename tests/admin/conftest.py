"""Admin console tests: request-isolated clients, cheap password hashing, a small organisation."""

from __future__ import annotations

import pytest

from smartwork.auth.models import Role
from smartwork.centers.models import Ownership
from tests import factories as f
from tests.auth.helpers import isolate, use_fast_password_hashing


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    use_fast_password_hashing(monkeypatch)


@pytest.fixture
def client(app):
    return isolate(app).test_client()


@pytest.fixture
def org(session, tmp_path, app):
    """MOIS (an admin and two staff), MOEF (one), a private operator with one center, rosters kept in tmp."""
    app.config["ROSTER_UPLOAD_DIR"] = str(tmp_path / "uploads")
    mois, moef = f.agency(code="MOIS"), f.agency(code="MOEF")
    f.region(code="11110")
    admin = f.user(roles=(Role.ADMIN,), agency_obj=mois, employee_number="A001", name="관리자", locale="en")
    staff = f.user(agency_obj=mois, employee_number="M001", name="김민수", email="kim@mois.go.kr")
    other = f.user(agency_obj=mois, employee_number="M002", name="이지은", email="lee@mois.go.kr")
    outsider = f.user(agency_obj=moef, employee_number="F001", name="최유나", email="choi@moef.go.kr")
    private = f.operator(Ownership.PRIVATE, code="kt")
    center = f.center(code="pangyo", ownership=Ownership.PRIVATE, operator_obj=private)
    session.commit()
    return {"mois": mois, "moef": moef, "admin": admin, "staff": staff, "other": other, "outsider": outsider,
            "private": private, "center": center}
