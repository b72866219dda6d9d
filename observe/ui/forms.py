"""Form shapes the pages repeat: a picker of the row to edit, the role of a user, the fields of
a session and of a client (new and edit forms share them; widget keys carry the form's prefix)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import streamlit as st

from observe.coding.sessions_view import ClientFields, SessionFields
from observe.model import ROLES, VALENCE_PROFILES, Client, Session
from observe.ui.page import Page


def edit_picker(label: str, options: Sequence[str], *, key: str, placeholder: str) -> str | None:
    """A choice that starts empty, saying so with ``placeholder``: what it is for (a row's edit
    form, a session's report) appears once one is chosen."""
    return st.selectbox(label, options, index=None, placeholder=placeholder, key=key)


def role_select(ctx: Page, *, key: str, index: int = 0) -> str:
    """A user's role, by its name in the user's language."""
    return st.selectbox(
        ctx.t("admin.users.role"),
        ROLES,
        index=index,
        format_func=lambda r: ctx.t(f"access.role.{r}"),
        key=key,
    )


def session_fields(
    ctx: Page,
    prefix: str,
    counselors: list[str],
    *,
    clients: list[str] | None = None,
    current: Session | None = None,
) -> SessionFields:
    """The fields of a new session (``clients`` given: pick its client; 50 minutes, today) or of
    ``current`` (its values; a duration of 0 means unknown; whether archived)."""
    client = (
        st.selectbox(ctx.t("sessions.col.client"), clients, key=f"{prefix}_client")
        if clients is not None
        else None
    )
    index = counselors.index(current.counselor) if current and current.counselor in counselors else 0
    counselor = st.selectbox(
        ctx.t("sessions.col.counselor"), counselors, index=index, key=f"{prefix}_counselor"
    )
    date = st.date_input(
        ctx.t("sessions.col.date"), current.date if current else dt.date.today(), key=f"{prefix}_date"
    )
    low, value = (0.0, (current.duration_s or 0) / 60) if current else (1.0, 50.0)
    minutes = st.number_input(ctx.t("sessions.col.duration_min"), low, 600.0, value, key=f"{prefix}_minutes")
    parent = st.checkbox(
        ctx.t("sessions.col.parent_present"), bool(current and current.parent_present), key=f"{prefix}_parent"
    )
    notes = st.text_area(ctx.t("sessions.notes"), current.notes if current else "", key=f"{prefix}_notes")
    archived = False
    if current is not None:
        archived = st.checkbox(ctx.t("sessions.col.archived"), current.archived, key=f"{prefix}_archived")
    return SessionFields(client, counselor, date, float(minutes), parent, notes or "", archived)


def client_fields(ctx: Page, prefix: str, *, current: Client | None = None) -> ClientFields:
    """The fields of a new client (its code, with help texts) or of ``current`` (its values; whether archived)."""
    new = current is None
    code = (
        st.text_input(ctx.t("clients.col.code"), help=ctx.t("clients.code_help"), key=f"{prefix}_code")
        if new
        else ""
    )
    name = st.text_input(
        ctx.t("clients.col.display_name"),
        "" if current is None else current.display_name or "",
        help=ctx.t("clients.name_help") if new else None,
        key=f"{prefix}_name",
    )
    special = st.checkbox(
        ctx.t("clients.col.special_needs"), bool(current and current.special_needs), key=f"{prefix}_special"
    )
    profile = st.selectbox(
        ctx.t("clients.col.valence_profile"),
        VALENCE_PROFILES,
        index=0 if current is None else VALENCE_PROFILES.index(current.valence_profile),
        format_func=lambda p: ctx.t(f"profile.{p}"),
        key=f"{prefix}_profile",
        help=ctx.t("clients.profile_help") if new else None,
    )
    archived = False
    if current is not None:
        archived = st.checkbox(ctx.t("sessions.col.archived"), current.archived, key=f"{prefix}_archived")
    return ClientFields(code, name, special, profile, archived)
