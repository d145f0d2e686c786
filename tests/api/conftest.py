"""The API transport tests' helpers live in tests/api/town.py (the ``town`` fixture in tests/conftest.py)."""

from tests.api.town import (  # noqa: F401  (re-exported for tests that import them from here)
    ALL_DAY,
    ALL_SCOPES,
    EVERY_DAY,
    Town,
    assert_problem,
    auth,
    bearer,
    build_town,
    local_iso,
    token_for,
    tomorrow,
)
