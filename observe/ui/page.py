"""The guard every page calls first: page config, language, the store, the menu for the
signed-in role, and the one place that turns an unexpected error into a short message.

Streamlit routes by the ``pages/`` folder, so any page can be opened by URL without
``app.py`` having run: everything a page needs is set up here, never in ``app.py`` only.
A page the role may not use is left out of the menu *and* stopped here when opened by URL.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any, NoReturn

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError
from streamlit.runtime.scriptrunner import get_script_run_ctx

from observe import i18n
from observe.errors import ObserveError
from observe.governance.access import LOCAL, app_mode
from observe.governance.demo import ensure_first_run_demo
from observe.governance.files import owner_only_umask
from observe.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from observe.store import Store, resolve_url
from observe.ui.app_files import app_dir
from observe.ui.plot import ready_charts
from observe.ui.signin import signed_in_store

log = logging.getLogger("observe.ui")
_ROOT = app_dir()  # the checkout, or observe/_site in an installed package

#: The pages in the sidebar, in order: (file, translation key of the title, icon).
#: A page file that is not listed here still works by URL but is not in the menu.
NAVIGATION: tuple[tuple[str, str, str], ...] = (
    ("app.py", "nav.home", ":material/home:"),
    ("pages/1_Record.py", "nav.record", ":material/radio_button_checked:"),
    ("pages/2_Sessions.py", "nav.sessions", ":material/event_note:"),
    ("pages/3_Coding_scheme.py", "nav.scheme", ":material/keyboard:"),
    ("pages/4_Session_review.py", "nav.session_review", ":material/timeline:"),
    ("pages/5_Client_progress.py", "nav.client_progress", ":material/trending_up:"),
    ("pages/6_Counselor.py", "nav.counselor", ":material/person:"),
    ("pages/7_Cue_patterns.py", "nav.cue_patterns", ":material/grid_on:"),
    ("pages/8_Agreement.py", "nav.agreement", ":material/compare:"),
    ("pages/9_Import_export.py", "nav.import_export", ":material/import_export:"),
    ("pages/10_Synchrony.py", "nav.synchrony", ":material/graphic_eq:"),
    ("pages/11_Administration.py", "nav.admin", ":material/admin_panel_settings:"),
)

#: What a role must be allowed to do (any one of these actions, observe.governance.access) to use a page;
#: a page not listed here is for every role. The menu shows only the pages the role may use.
PAGE_ACTIONS: dict[str, tuple[str, ...]] = {
    "pages/1_Record.py": ("event.write",),
    "pages/2_Sessions.py": ("session.read",),
    "pages/3_Coding_scheme.py": ("scheme.read",),
    "pages/4_Session_review.py": ("session.read",),
    "pages/5_Client_progress.py": ("client.read",),
    "pages/6_Counselor.py": ("counselor.read",),
    "pages/7_Cue_patterns.py": ("session.read",),
    "pages/8_Agreement.py": ("observation.read_others",),
    "pages/9_Import_export.py": ("data.import", "export.tidy", "export.research"),
    "pages/10_Synchrony.py": ("video.read",),
    "pages/11_Administration.py": ("users.manage",),
}


@dataclass(frozen=True)
class Page:
    """What a page works with: the store (acting as the signed-in user), the user's language
    and the mode (``local`` or ``team``, observe.governance.access)."""

    store: Store
    lang: str
    mode: str = LOCAL

    def t(self, key: str, /, **params: Any) -> str:
        return t(key, self.lang, **params)

    def fail(self, error: ObserveError) -> NoReturn:
        """Show a user error in the user's language and stop the page."""
        st.error(error.message(self.lang), icon=":material/error:")
        st.stop()


@st.cache_resource(show_spinner=False)
def _open_store(url: str, mode: str = LOCAL) -> Store:
    """The engine's store, once per process; pages get a per-user view of it (``as_user``)."""
    owner_only_umask()  # the server's database, videos and caches are the owner's only (observe.governance.files)
    store = Store.open(url)
    if mode == LOCAL:  # a team workspace starts empty: its administrator decides about the demo
        ensure_first_run_demo(store)
    return store


def current_language() -> str:
    """The language of this browser session: ``?lang=`` in the URL, else the last choice, else English."""
    chosen = st.query_params.get("lang") or st.session_state.get("lang") or DEFAULT_LANGUAGE
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def setup(title_key: str, icon: str = ":material/visibility:") -> Page:
    """Configure the page and return its context; stops the page with a clear message if the
    database cannot be opened."""
    lang = current_language()
    st.set_page_config(page_title=f"{t(title_key, lang)} · observe", page_icon=icon, layout="wide")
    lang = _language_switch(lang)
    try:
        url = resolve_url()
        mode = app_mode(url)
        base = _open_store(url, mode)
    except ObserveError as exc:
        log.exception("cannot open the database")
        st.error(exc.message(lang), icon=":material/database:")
        st.stop()
    # the sign-in wall: in team mode nothing below runs until someone is signed in
    store = signed_in_store(base, mode, lang)
    _install_error_handler()
    _navigation(lang, store)
    ready_charts()  # plotly.js loads while a page without charts is read (observe.ui.plot)
    path = next((p for p, key, _icon in NAVIGATION if key == title_key), None)
    if path is not None and not may_open(store, path):
        st.info(t("ui.page_not_for_role", lang), icon=":material/lock:")
        st.stop()
    return Page(store, lang, mode)


def may_open(store: Store, path: str) -> bool:
    """True if the acting user's role may use the page ``path`` (see :data:`PAGE_ACTIONS`)."""
    actions = PAGE_ACTIONS.get(path, ())
    return not actions or any(store.may(action) for action in actions)


def menu(store: Store) -> list[tuple[str, str, str]]:
    """The pages of :data:`NAVIGATION` that exist and that the acting user's role may use."""
    return [entry for entry in NAVIGATION if exists(entry[0]) and may_open(store, entry[0])]


def _install_error_handler() -> None:
    """Route every uncaught error of this page run (script or widget callback) to
    :func:`show_error` instead of Streamlit's traceback display."""
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.on_script_error is not show_error:
        ctx.on_script_error = show_error


def show_error(exc: Exception) -> bool:
    """Streamlit's ``on_script_error`` handler (``st.App`` in app.py for widget callbacks, and
    installed by :func:`setup` for the page run itself): log the traceback under a short random error id and show the user one sentence with that
    id (an :class:`ObserveError` shows its own message). True tells Streamlit that the error
    has been shown, so no traceback reaches the page."""
    error_id = secrets.token_hex(4)
    log.error("error id %s: %s: %s", error_id, type(exc).__name__, exc, exc_info=exc)
    try:
        lang = current_language()
        if isinstance(exc, ObserveError):
            message = f"{exc.message(lang)} ({t('ui.error_id', lang)}: {error_id})"
        else:
            message = t("ui.unexpected_error", lang, error_id=error_id)
        st.error(message, icon=":material/error:")
    except Exception:  # showing the message failed too: let Streamlit show its own
        log.exception("error id %s: the message could not be shown", error_id)
        return False
    return True


def _language_switch(lang: str) -> str:
    names = list(LANGUAGES)
    choice = st.sidebar.selectbox(
        t("ui.language", lang),
        names,
        index=names.index(lang),
        format_func=LANGUAGES.__getitem__,
        key="ui_language",
    )
    st.session_state["lang"] = choice
    if st.query_params.get("lang") != choice:
        st.query_params["lang"] = choice
    return choice


def exists(path: str) -> bool:
    """True if the app has this page file (the menu lists only pages that exist)."""
    return (_ROOT / path).exists()


def _navigation(lang: str, store: Store) -> None:
    """Translated links to the pages the role may use (Streamlit's own menu shows every file name,
    untranslated)."""
    with st.sidebar:
        st.markdown(f"**{t('app.name', lang)}**")
        for path, key, icon in menu(store):
            try:
                st.page_link(path, label=t(key, lang), icon=icon, query_params={"lang": lang})
            except StreamlitPageNotFoundError:
                return  # a page run as its own entrypoint (AppTest.from_file on a page): no menu to link


def number(value: float, lang: str, digits: int = 0) -> str:
    """A number for display in the user's locale."""
    return i18n.number(value, lang, digits)


@st.dialog(" ")
def _confirm_remove_demo(ctx: Page) -> None:
    st.warning(ctx.t("home.remove_demo_confirm"))
    if st.button(ctx.t("home.remove_demo_yes"), key="home_remove_demo_yes", type="primary"):
        ctx.store.remove_demo()
        st.rerun()


def confirm_remove_demo(ctx: Page) -> None:
    """Ask once, then delete the demo workspace (users' own data stays)."""
    _confirm_remove_demo(ctx)
