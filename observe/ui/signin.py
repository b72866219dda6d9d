"""The sign-in wall of the page guard (team mode) and the local-mode banner.

Called from :func:`observe.ui.page.setup` before a page shows anything: in team mode a
browser session that is not signed in sees only the sign-in form (the page stops there,
so no page code, and no client data, runs). The signed-in name lives in this browser
session's state with the time of its last activity; after :data:`observe.access.SESSION_IDLE_S`
without activity it is forgotten. Passwords are checked by the store (argon2, rate-limited)
and never kept in the session state.
"""

from __future__ import annotations

import time

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from observe.access import LOCAL, SESSION_IDLE_S
from observe.errors import ObserveError
from observe.i18n import t
from observe.store import Store

_USER = "access_user"
_SEEN = "access_last_seen"


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
    username = _current_user()
    if username is not None:
        try:
            store = base.as_user(username)
        except ObserveError:  # disabled or deleted since signing in
            _forget()
        else:
            _account_box(store, lang)
            return store
    _sign_in_form(base, lang)
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises; this keeps type checkers honest


def _startup_view(base: Store) -> Store:
    """``streamlit run app.py`` imports app.py once to find its ``st.App`` (uvicorn), running the
    home page's code with no browser session, where ``st.stop()`` does nothing. That import acts
    with a researcher's rights (aggregates only, never one named record): it can finish, and
    it can read no client's data."""
    return base.startup_view()


def _current_user() -> str | None:
    username = st.session_state.get(_USER)
    if not username:
        return None
    now = time.time()
    if now - float(st.session_state.get(_SEEN, 0.0)) > SESSION_IDLE_S:
        _forget()
        st.session_state["access_expired"] = True
        return None
    st.session_state[_SEEN] = now
    return str(username)


def _forget() -> None:
    for key in (_USER, _SEEN):
        st.session_state.pop(key, None)


def _sign_in_form(base: Store, lang: str) -> None:
    st.title(t("access.signin.title", lang))
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
    st.session_state[_USER] = user.username
    st.session_state[_SEEN] = time.time()
    st.rerun()


def _account_box(store: Store, lang: str) -> None:
    me = store.principal
    st.sidebar.markdown(
        t("access.signed_in_as", lang, username=me.username, role=t(f"access.role.{me.role}", lang))
    )
    if st.sidebar.button(t("access.signout", lang), key="access_signout", icon=":material/logout:"):
        _forget()
        st.rerun()
