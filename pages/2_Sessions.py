"""Sessions: clients, counselors and sessions; who observes which session."""

import streamlit as st

from observe.coding import sessions_view as sv
from observe.reports import workspace
from observe.ui import page
from observe.ui.forms import client_fields, edit_picker, session_fields
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
        new = session_fields(ctx, "sessions_new", counselors, clients=clients)
        if st.form_submit_button(ctx.t("sessions.create"), type="primary") and new.client and new.counselor:
            attempt(ctx, lambda: sv.create_session(store, new), "sessions.saved")

    chosen = edit_picker(
        ctx.t("sessions.edit"),
        [s.code for s in store.sessions(include_archived=show_archived)],
        key="sessions_edit_pick",
        placeholder=ctx.t("sessions.pick"),
    )
    if chosen:
        with st.form("sessions_edit"):
            edited = session_fields(ctx, "sessions_edit", counselors, current=store.session(chosen))
            if st.form_submit_button(ctx.t("sessions.save"), type="primary"):
                attempt(ctx, lambda: sv.save_session(store, chosen, edited), "sessions.saved")
        options, assigned_now = sv.observer_choices(store, chosen)
        assigned = st.multiselect(
            ctx.t("sessions.observers"),
            options,
            default=assigned_now,
            placeholder=ctx.t("sessions.no_observers"),
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
        fields = client_fields(ctx, "clients_new")
        if st.form_submit_button(ctx.t("clients.create"), type="primary"):
            attempt(ctx, lambda: sv.create_client(store, fields), "clients.saved", code=fields.code)
    chosen_client = edit_picker(
        ctx.t("clients.edit"),
        [c.code for c in store.clients(include_archived=show_archived)],
        key="clients_edit_pick",
        placeholder=ctx.t("sessions.pick"),
    )
    if chosen_client:
        with st.form("clients_edit"):
            changed = client_fields(ctx, "clients_edit", current=store.client(chosen_client))
            if st.form_submit_button(ctx.t("sessions.save"), type="primary"):
                attempt(
                    ctx,
                    lambda: sv.save_client(store, chosen_client, changed),
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
