"""Sessions: clients, counselors and sessions; who observes which session."""

import datetime as dt

import streamlit as st

from observe import workspace
from observe.model import VALENCE_PROFILES
from observe.ui import page
from observe.ui.widgets import attempt, table

ctx = page.setup("nav.sessions", ":material/event_note:")
store = ctx.store
st.title(ctx.t("nav.sessions"))
show_archived = st.toggle(ctx.t("sessions.show_archived"), key="sessions_show_archived")
tab_sessions, tab_clients, tab_counselors = st.tabs(
    [ctx.t("sessions.tab.sessions"), ctx.t("sessions.tab.clients"), ctx.t("sessions.tab.counselors")]
)

with tab_sessions:
    table(
        ctx,
        workspace.sessions_overview(store, include_archived=show_archived),
        "sessions.col",
        key="sessions_table",
    )
    clients = [c.code for c in store.clients()]
    counselors = [c.code for c in store.counselors()]
    with (
        st.expander(ctx.t("sessions.new"), icon=":material/add:"),
        st.form("sessions_new", clear_on_submit=True),
    ):
        client = st.selectbox(ctx.t("sessions.col.client"), clients, key="sessions_new_client")
        counselor = st.selectbox(ctx.t("sessions.col.counselor"), counselors, key="sessions_new_counselor")
        date = st.date_input(ctx.t("sessions.col.date"), dt.date.today(), key="sessions_new_date")
        minutes = st.number_input(
            ctx.t("sessions.col.duration_min"), 1.0, 600.0, 50.0, key="sessions_new_minutes"
        )
        parent = st.checkbox(ctx.t("sessions.col.parent_present"), key="sessions_new_parent")
        notes = st.text_area(ctx.t("sessions.notes"), key="sessions_new_notes")
        if st.form_submit_button(ctx.t("sessions.create"), type="primary") and client and counselor:
            attempt(
                ctx,
                lambda: store.add_session(
                    client, counselor, date=date, duration_s=minutes * 60, parent_present=parent, notes=notes
                ),
                "sessions.saved",
            )

    codes = [s.code for s in store.sessions(include_archived=show_archived)]
    chosen = st.selectbox(
        ctx.t("sessions.edit"),
        codes,
        index=None,
        key="sessions_edit_pick",
        placeholder=ctx.t("sessions.pick"),
    )
    if chosen:
        session = store.session(chosen)
        with st.form("sessions_edit"):
            counselor = st.selectbox(
                ctx.t("sessions.col.counselor"),
                counselors,
                index=counselors.index(session.counselor) if session.counselor in counselors else 0,
                key="sessions_edit_counselor",
            )
            date = st.date_input(ctx.t("sessions.col.date"), session.date, key="sessions_edit_date")
            minutes = st.number_input(
                ctx.t("sessions.col.duration_min"),
                0.0,
                600.0,
                (session.duration_s or 0) / 60,
                key="sessions_edit_minutes",
            )
            parent = st.checkbox(
                ctx.t("sessions.col.parent_present"), session.parent_present, key="sessions_edit_parent"
            )
            notes = st.text_area(ctx.t("sessions.notes"), session.notes, key="sessions_edit_notes")
            archived = st.checkbox(
                ctx.t("sessions.col.archived"), session.archived, key="sessions_edit_archived"
            )
            if st.form_submit_button(ctx.t("sessions.save"), type="primary"):
                attempt(
                    ctx,
                    lambda: store.update_session(
                        chosen,
                        counselor=counselor,
                        date=date,
                        duration_s=minutes * 60 or None,
                        parent_present=parent,
                        notes=notes,
                        archived=archived,
                    ),
                    "sessions.saved",
                )
        observers = [u.username for u in store.users(role="observer")]
        assigned = st.multiselect(
            ctx.t("sessions.observers"),
            sorted(set(observers) | set(store.observers_of(chosen))),
            default=store.observers_of(chosen),
            key="sessions_observers",
        )
        if st.button(ctx.t("sessions.save_observers"), key="sessions_save_observers"):
            attempt(ctx, lambda: workspace.set_observers(store, chosen, assigned), "sessions.saved")

with tab_clients:
    table(
        ctx,
        workspace.clients_overview(store, include_archived=show_archived),
        "clients.col",
        key="clients_table",
    )
    with (
        st.expander(ctx.t("clients.new"), icon=":material/person_add:"),
        st.form("clients_new", clear_on_submit=True),
    ):
        code = st.text_input(
            ctx.t("clients.col.code"), help=ctx.t("clients.code_help"), key="clients_new_code"
        )
        name = st.text_input(
            ctx.t("clients.col.display_name"), help=ctx.t("clients.name_help"), key="clients_new_name"
        )
        special = st.checkbox(ctx.t("clients.col.special_needs"), key="clients_new_special")
        profile = st.selectbox(
            ctx.t("clients.col.valence_profile"),
            VALENCE_PROFILES,
            format_func=lambda p: ctx.t(f"profile.{p}"),
            key="clients_new_profile",
            help=ctx.t("clients.profile_help"),
        )
        if st.form_submit_button(ctx.t("clients.create"), type="primary"):
            attempt(
                ctx,
                lambda: store.add_client(
                    code,
                    display_name=name,
                    special_needs=special,
                    valence_profile="special_needs" if special and profile == "default" else profile,
                ),
                "clients.saved",
                code=code,
            )
    chosen_client = st.selectbox(
        ctx.t("clients.edit"),
        [c.code for c in store.clients(include_archived=show_archived)],
        index=None,
        key="clients_edit_pick",
        placeholder=ctx.t("sessions.pick"),
    )
    if chosen_client:
        client = store.client(chosen_client)
        with st.form("clients_edit"):
            name = st.text_input(
                ctx.t("clients.col.display_name"), client.display_name or "", key="clients_edit_name"
            )
            special = st.checkbox(
                ctx.t("clients.col.special_needs"), client.special_needs, key="clients_edit_special"
            )
            profile = st.selectbox(
                ctx.t("clients.col.valence_profile"),
                VALENCE_PROFILES,
                index=VALENCE_PROFILES.index(client.valence_profile),
                format_func=lambda p: ctx.t(f"profile.{p}"),
                key="clients_edit_profile",
            )
            archived = st.checkbox(
                ctx.t("sessions.col.archived"), client.archived, key="clients_edit_archived"
            )
            if st.form_submit_button(ctx.t("sessions.save"), type="primary"):
                attempt(
                    ctx,
                    lambda: store.update_client(
                        chosen_client,
                        display_name=name,
                        special_needs=special,
                        valence_profile=profile,
                        archived=archived,
                    ),
                    "clients.saved",
                    code=chosen_client,
                )

with tab_counselors:
    table(
        ctx,
        workspace.counselors_overview(store, include_archived=show_archived),
        "counselors.col",
        key="counselors_table",
    )
    with st.form("counselors_new", clear_on_submit=True):
        code = st.text_input(ctx.t("counselors.col.code"), key="counselors_new_code")
        name = st.text_input(ctx.t("counselors.col.name"), key="counselors_new_name")
        if st.form_submit_button(ctx.t("counselors.create"), type="primary"):
            attempt(ctx, lambda: store.add_counselor(code, name=name), "counselors.saved", code=code)
