"""The Administration page's view model and account changes on the demo workspace, without Streamlit."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from observe.errors import InvalidInput, PermissionDenied
from observe.governance import admin_view
from observe.i18n import t
from observe.model import ROLES
from observe.store import Store

PASSWORD = "a long pass phrase"


@pytest.fixture
def demo(demo_copy: Store) -> Store:
    """A demo workspace of the test's own (the tests change accounts)."""
    return demo_copy


def test_view_lists_users_with_their_role_in_the_users_language(demo: Store) -> None:
    demo.link_counselor("obs.ani", demo.counselors()[0].code)
    view = admin_view.admin_view(demo, "id")
    users = view.users.set_index("username")
    assert list(view.users.columns) == list(admin_view.USER_COLUMNS)
    assert set(view.usernames) == {u.username for u in demo.users()} == set(users.index)
    assert users.loc["obs.budi", "role"] == t("access.role.observer", "id") != "observer"
    assert users.loc["obs.ani", "counselor"] == demo.counselors()[0].code
    assert users.loc["obs.budi", "counselor"] == ""
    assert view.supervisors == ("sup.dewi",)


def test_view_has_one_consent_row_per_client_archived_included(demo: Store) -> None:
    first, *_ = (c.code for c in demo.clients())
    demo.set_consent(first, recording=True, research_use=False, date=dt.date(2026, 3, 1))
    demo.update_client(first, archived=True)
    view = admin_view.admin_view(demo)
    consent = view.consent.set_index("client")
    assert first in view.clients and list(consent.index) == list(view.clients)
    assert consent.loc[first, "recording"] and not consent.loc[first, "research_use"]
    assert consent.loc[first, "date"] == dt.date(2026, 3, 1)
    for other in consent.index.drop(first):
        assert consent.loc[other].to_dict() == demo.consent(other)
    assert view.counselors == tuple(c.code for c in demo.counselors(include_archived=True))


def test_the_page_shows_the_newest_audit_rows_and_the_download_has_them_all(demo: Store) -> None:
    shown = admin_view.audit_shown(demo)
    whole = demo.audit_log()
    assert len(shown) == min(len(whole), admin_view.AUDIT_SHOWN)
    assert shown["id"].tolist() == whole["id"].head(admin_view.AUDIT_SHOWN).tolist()
    downloaded = pd.read_csv(io.BytesIO(admin_view.audit_csv(demo)))
    assert len(downloaded) == len(whole)


def test_view_lists_supervisions(demo: Store) -> None:
    counselor = demo.counselors()[0].code
    demo.supervise("sup.dewi", counselor)
    pairs = admin_view.admin_view(demo).supervision
    assert ("sup.dewi", counselor) in set(pairs.itertuples(index=False, name=None))


def test_create_user_refuses_a_mismatch_and_a_weak_password_before_the_user_exists(demo: Store) -> None:
    with pytest.raises(InvalidInput) as mismatch:
        admin_view.create_user(demo, "rina", role="observer", display_name="", password=PASSWORD, again="x")
    assert mismatch.value.key == "access.password_mismatch"
    with pytest.raises(InvalidInput):
        admin_view.create_user(
            demo, "rina", role="observer", display_name="", password="short", again="short"
        )
    assert "rina" not in {u.username for u in demo.users()}
    admin_view.create_user(
        demo, "rina", role="supervisor", display_name="Rina", password=PASSWORD, again=PASSWORD
    )
    rina = demo.user("rina")
    assert (rina.role, rina.display_name, rina.active) == ("supervisor", "Rina", True)
    assert demo.authenticate("rina", PASSWORD).username == "rina"


def test_save_user_changes_role_activity_link_and_password(demo: Store) -> None:
    counselor = demo.counselors()[0].code
    form = admin_view.user_form(demo, "obs.ani", ("", counselor)[1:])
    assert ROLES[form.role_index] == "observer" and form.active
    assert form.counselor_options == ("", counselor) and form.counselor_index == 0
    admin_view.save_user(
        demo, "obs.ani", role="counselor", active=False, counselor=counselor, password=PASSWORD
    )
    ani = demo.user("obs.ani")
    assert (ani.role, ani.active) == ("counselor", False)
    form = admin_view.user_form(demo, "obs.ani", (counselor,))
    assert ROLES[form.role_index] == "counselor" and not form.active and form.counselor_index == 1
    admin_view.save_user(demo, "obs.ani", role="counselor", active=True, counselor="", password="")
    assert demo.linked_counselor("obs.ani") is None
    assert demo.authenticate("obs.ani", PASSWORD).username == "obs.ani"  # an empty password keeps the old one


def test_an_observer_may_not_change_accounts(demo: Store) -> None:
    with pytest.raises(PermissionDenied):
        admin_view.save_user(
            demo.as_user("obs.ani"), "obs.budi", role="administrator", active=True, counselor="", password=""
        )
    assert demo.user("obs.budi").role == "observer"


def test_the_audit_download_is_logged_as_an_export_when_it_is_made(demo: Store) -> None:
    before = demo.audit_log()
    made = pd.read_csv(io.BytesIO(admin_view.audit_download(demo)))
    after = demo.audit_log()
    assert after["action"].iloc[0] == "audit.export"  # logged before the data left
    assert len(after) == len(before) + 1 and len(made) == len(before) + 1  # the file has its own export row
    observer = demo.as_user("obs.ani")
    with pytest.raises(PermissionDenied):
        admin_view.audit_download(observer)
