"""Administration: users and roles, supervision, consent, the audit trail, erasure (administrators only)."""

import datetime as dt

import streamlit as st

from observe.governance import admin_view
from observe.ui import page, signin
from observe.ui.forms import edit_picker, role_select
from observe.ui.widgets import attempt, table, tabs_drawn_when_open

ctx = page.setup("nav.admin", ":material/admin_panel_settings:")
store = ctx.store
st.title(ctx.t("nav.admin"))
if not store.may("users.manage"):
    st.info(ctx.t("admin.only"), icon=":material/lock:")
    st.stop()

view = admin_view.admin_view(store, ctx.lang)


def users_tab() -> None:
    table(ctx, view.users, "admin.col", key="admin_users_table")
    with st.expander(ctx.t("admin.users.new"), icon=":material/person_add:"), st.form("admin_new_user"):
        username = st.text_input(ctx.t("admin.users.username"), key="admin_new_username")
        display = st.text_input(ctx.t("admin.users.display_name"), key="admin_new_display")
        role = role_select(ctx, key="admin_new_role")
        password = st.text_input(ctx.t("admin.users.password"), type="password", key="admin_new_password")
        again = st.text_input(ctx.t("admin.users.password2"), type="password", key="admin_new_password2")
        if st.form_submit_button(ctx.t("admin.users.create"), type="primary") and username:
            attempt(
                ctx,
                lambda: admin_view.create_user(
                    store, username, role=role, display_name=display, password=password, again=again
                ),
                "admin.users.created",
                username=username,
            )

    chosen = edit_picker(
        ctx.t("admin.users.edit"),
        view.usernames,
        key="admin_edit_pick",
        placeholder=ctx.t("admin.users.pick"),
    )
    if chosen:
        form = admin_view.user_form(store, chosen, view.counselors)
        with st.form("admin_edit_user"):
            role = role_select(ctx, key="admin_edit_role", index=form.role_index)
            active = st.checkbox(ctx.t("admin.users.active"), form.active, key="admin_edit_active")
            counselor = st.selectbox(
                ctx.t("admin.users.counselor"),
                form.counselor_options,
                index=form.counselor_index,
                key="admin_edit_counselor",
            )
            password = st.text_input(
                ctx.t("admin.users.new_password"), type="password", key="admin_edit_password"
            )
            if st.form_submit_button(ctx.t("admin.users.save"), type="primary"):
                attempt(
                    ctx,
                    lambda: admin_view.save_user(
                        store, chosen, role=role, active=active, counselor=counselor, password=password
                    ),
                    "admin.users.saved",
                )

    signin.locks_panel(store, ctx.lang)


def supervision_tab() -> None:
    table(ctx, view.supervision, "admin.col", key="admin_supervision_table")
    with st.form("admin_supervision"):
        who = st.selectbox(ctx.t("admin.col.supervisor"), view.supervisors, key="admin_sup_user")
        whom = st.selectbox(ctx.t("admin.col.counselor"), view.counselors, key="admin_sup_counselor")
        add, remove = st.columns(2)
        if add.form_submit_button(ctx.t("admin.supervision.add"), type="primary") and who and whom:
            attempt(ctx, lambda: store.supervise(who, whom), "admin.users.saved")
        if remove.form_submit_button(ctx.t("admin.supervision.remove")) and who and whom:
            attempt(ctx, lambda: store.unsupervise(who, whom), "admin.users.saved")


def consent_tab() -> None:
    table(ctx, view.consent, "admin.col", key="admin_consent_table")
    with st.form("admin_consent"):
        client = st.selectbox(ctx.t("admin.col.client"), view.clients, key="admin_consent_client")
        recording = st.checkbox(ctx.t("admin.consent.recording"), key="admin_consent_recording")
        research = st.checkbox(ctx.t("admin.consent.research_use"), key="admin_consent_research")
        day = st.date_input(ctx.t("admin.consent.date"), dt.date.today(), key="admin_consent_date")
        if st.form_submit_button(ctx.t("admin.consent.save"), type="primary") and client:
            attempt(
                ctx,
                lambda: store.set_consent(client, recording=recording, research_use=research, date=day),
                "admin.users.saved",
            )


def audit_tab() -> None:
    st.caption(ctx.t("admin.audit.about"))
    table(ctx, admin_view.audit_shown(store), "admin.col", key="admin_audit_table")
    st.download_button(
        ctx.t("admin.audit.download"),
        data=lambda: admin_view.audit_download(store),  # made when clicked: the trail only grows
        file_name="observe-audit.csv",
        mime="text/csv",
        key="admin_audit_download",
        on_click="ignore",
    )


def erasure_tab() -> None:
    st.warning(ctx.t("admin.erase.about"), icon=":material/delete_forever:")
    with st.form("admin_erase", clear_on_submit=True):
        victim = st.selectbox(ctx.t("admin.erase.client"), view.clients, key="admin_erase_client")
        typed = st.text_input(ctx.t("admin.erase.confirm"), key="admin_erase_confirm")
        if st.form_submit_button(ctx.t("admin.erase.button"), type="primary") and victim:
            done = attempt(ctx, lambda: store.erase_client(victim, confirm=typed))
            if done is not None:
                st.success(ctx.t("admin.erase.done", **done))


# only the open tab is drawn, and read: the audit trail's newest rows cost every run otherwise
DRAW = {"users": users_tab, "supervision": supervision_tab, "consent": consent_tab, "audit": audit_tab,
        "erasure": erasure_tab}  # fmt: skip
for shown in tabs_drawn_when_open([ctx.t(f"admin.tab.{name}") for name in DRAW], key="admin_tab"):
    list(DRAW.values())[shown]()
