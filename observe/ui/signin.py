"""The sign-in wall of the page guard (team mode) and the local-mode banner.

Called from :func:`observe.ui.page.setup` before a page shows anything: in team mode a
browser session that is not signed in sees only the sign-in form (the page stops there,
so no page code, and no client data, runs). A sign-in is a server-side record
(observe.store.signin_records) whose random token the browser keeps in an HttpOnly,
SameSite=Strict cookie (set by observe.ui.signin_routes), so a reload, a new tab or a server
restart keep the user signed in; it ends after :data:`observe.governance.access.SESSION_IDLE_S` idle, at
its absolute limit, or at sign-out, which also ends every video link issued under it.
Passwords are checked by the store (argon2, rate-limited) and never kept in the session state.
"""

from __future__ import annotations

import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from observe.errors import ObserveError
from observe.governance.access import LOCAL
from observe.i18n import t
from observe.store import Store
from observe.store import signin_records as records
from observe.ui.signin_routes import COOKIE

_USER = "access_user"
_RECORD = "access_record"
_TICKET = "access_ticket"
_CLEAR = "access_clear_cookie"


def local_banner(lang: str) -> None:
    """The banner every page shows in local mode."""
    st.sidebar.warning(t("access.local_banner", lang), icon=":material/computer:")


def signed_in_store(base: Store, mode: str, lang: str) -> Store:
    """The store the page works with: the local administrator's in local mode; in team mode the
    signed-in user's view, or the sign-in form and a stopped page."""
    if mode == LOCAL:
        local_banner(lang)
        return base
    if get_script_run_ctx() is None:
        return _startup_view(base)
    current = _current_sign_in(base)
    if current is not None:
        try:
            store = base.as_user(current.username)
        except ObserveError:  # disabled or deleted since signing in
            _forget()
        else:
            _deliver_cookie(base)
            _account_box(store, base, lang)
            return store
    _sign_in_form(base, lang)
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises; this keeps type checkers honest


def current_sign_in() -> int | None:
    """The id of this browser session's sign-in record (team mode), to tie video links to it."""
    record = st.session_state.get(_RECORD)
    return None if record is None else int(record)


def _startup_view(base: Store) -> Store:
    """``streamlit run app.py`` imports app.py once to find its ``st.App`` (uvicorn), running the
    home page's code with no browser session, where ``st.stop()`` does nothing. That import acts
    with a researcher's rights (aggregates only, never one named record): it can finish, and
    it can read no client's data."""
    return base.startup_view()


def _current_sign_in(base: Store) -> records.SignIn | None:
    """This browser session's live sign-in: the record it signed in with, else the cookie's."""
    record_id = current_sign_in()
    if record_id is not None:
        found = records.resume(base, record_id=record_id)
        if found is None:  # idle too long, past its limit, or signed out in another tab
            _forget()
            st.session_state["access_expired"] = True
            st.session_state[_CLEAR] = True
        return found
    token = st.context.cookies.get(COOKIE)
    if not isinstance(token, str) or not token:  # (AppTest's context has no real cookies)
        return None
    found = records.resume(base, token=token)
    if found is None:
        st.session_state[_CLEAR] = True  # a cookie of a sign-in that has ended
        return None
    st.session_state[_RECORD] = found.id
    st.session_state[_USER] = found.username
    return found


def _forget() -> None:
    for key in (_USER, _RECORD, _TICKET):
        st.session_state.pop(key, None)


def _deliver_cookie(base: Store) -> None:
    """Until the browser has it, load the cookie route in an invisible frame (observe.ui.signin_routes)."""
    ticket = st.session_state.get(_TICKET)
    if ticket is None:
        return
    if not records.ticket_pending(base, ticket):
        st.session_state.pop(_TICKET, None)
        return
    with st.sidebar:
        st.iframe(f"/api/signin/cookie?ticket={ticket}", height=1)


def _sign_in_form(base: Store, lang: str) -> None:
    st.title(t("access.signin.title", lang))
    if st.session_state.pop(_CLEAR, False):
        st.iframe("/api/signin/clear", height=1)
    if st.session_state.pop("access_expired", False):
        st.info(t("access.signin.expired", lang), icon=":material/timer_off:")
    st.markdown(t("access.signin.intro", lang))
    with st.form("access_signin"):
        username = st.text_input(t("access.signin.username", lang), key="access_username")
        password = st.text_input(t("access.signin.password", lang), type="password", key="access_password")
        submitted = st.form_submit_button(t("access.signin.submit", lang), type="primary")
    if not submitted:
        return
    try:
        user = base.authenticate(username, password)
    except ObserveError as exc:
        st.error(exc.message(lang), icon=":material/lock:")
        return
    finally:
        st.session_state.pop("access_password", None)  # the password does not outlive the form
    _token, record = records.create_record(base, user.username)  # the cookie's token is made by the ticket
    st.session_state[_USER] = user.username
    st.session_state[_RECORD] = record.id
    st.session_state[_TICKET] = records.issue_ticket(base, record.id)
    st.rerun()


def _account_box(store: Store, base: Store, lang: str) -> None:
    me = store.principal
    st.sidebar.markdown(
        t("access.signed_in_as", lang, username=me.username, role=t(f"access.role.{me.role}", lang))
    )
    if st.sidebar.button(t("access.signout", lang), key="access_signout", icon=":material/logout:"):
        record_id = current_sign_in()
        if record_id is not None:
            records.revoke(base, record_id)  # the cookie and every video link of this sign-in end now
        _forget()
        st.session_state[_CLEAR] = True
        st.rerun()


def locks_panel(store: Store, lang: str) -> None:
    """The names locked after failed sign-ins, and the administrator's unlock (Administration)."""
    locked = store.sign_in_locks()
    st.subheader(t("admin.locks.title", lang))
    if not locked:
        st.caption(t("admin.locks.none", lang))
        return
    st.dataframe(
        [
            {
                t("admin.col.username", lang): lock.username,
                t("admin.col.failures", lang): lock.failures,
                t("admin.col.locked_until", lang): time.strftime(
                    "%Y-%m-%d %H:%M", time.localtime(lock.until_s)
                ),
            }
            for lock in locked
        ],
        key="admin_locks_table",
    )
    with st.form("admin_unlock"):
        name = st.selectbox(
            t("admin.locks.pick", lang), [lock.username for lock in locked], key="admin_unlock_name"
        )
        if st.form_submit_button(t("admin.locks.unlock", lang), type="primary") and name:
            store.unlock(name)
            st.success(t("admin.locks.done", lang, username=name))
