"""Administration: users and roles, supervision, consent, the audit trail, erasure (administrators only)."""

import datetime as dt

import pandas as pd
import streamlit as st

from observe.interop.spreadsheet import safe_csv
from observe.model import ROLES
from observe.ui import page
from observe.ui.widgets import attempt, table

ctx = page.setup("nav.admin", ":material/admin_panel_settings:")
store = ctx.store
st.title(ctx.t("nav.admin"))
if not store.may("users.manage"):
    st.info(ctx.t("admin.only"), icon=":material/lock:")
    st.stop()

users, supervision, consent, audit, erasure = st.tabs(
    [ctx.t(f"admin.tab.{name}") for name in ("users", "supervision", "consent", "audit", "erasure")]
)
counselor_codes = [c.code for c in store.counselors(include_archived=True)]

with users:
    people = store.users()
    frame = pd.DataFrame(
        [
            {
                "username": u.username,
                "display_name": u.display_name or "",
                "role": ctx.t(f"access.role.{u.role}"),
                "counselor": store.linked_counselor(u.username) or "",
                "active": u.active,
                "is_demo": u.is_demo,
            }
            for u in people
        ]
    )
    table(ctx, frame, "admin.col", key="admin_users_table")
    with st.expander(ctx.t("admin.users.new"), icon=":material/person_add:"), st.form("admin_new_user"):
        username = st.text_input(ctx.t("admin.users.username"), key="admin_new_username")
        display = st.text_input(ctx.t("admin.users.display_name"), key="admin_new_display")
        role = st.selectbox(
            ctx.t("admin.users.role"),
            ROLES,
            format_func=lambda r: ctx.t(f"access.role.{r}"),
            key="admin_new_role",
        )
        password = st.text_input(ctx.t("admin.users.password"), type="password", key="admin_new_password")
        again = st.text_input(ctx.t("admin.users.password2"), type="password", key="admin_new_password2")
        if st.form_submit_button(ctx.t("admin.users.create"), type="primary") and username:
            if password != again:
                st.error(ctx.t("access.password_mismatch"))
            else:

                def _create() -> None:
                    from observe.auth import hash_password

                    hash_password(password)  # refuse a short password before the user exists
                    store.add_user(username, role=role, display_name=display)
                    store.set_password(username, password)

                attempt(ctx, _create, "admin.users.created", username=username)

    chosen = st.selectbox(
        ctx.t("admin.users.edit"),
        [u.username for u in people],
        index=None,
        placeholder=ctx.t("admin.users.pick"),
        key="admin_edit_pick",
    )
    if chosen:
        user = store.user(chosen)
        linked = store.linked_counselor(chosen)
        with st.form("admin_edit_user"):
            role = st.selectbox(
                ctx.t("admin.users.role"),
                ROLES,
                index=ROLES.index(user.role),
                format_func=lambda r: ctx.t(f"access.role.{r}"),
                key="admin_edit_role",
            )
            active = st.checkbox(ctx.t("admin.users.active"), user.active, key="admin_edit_active")
            options = ["", *counselor_codes]
            counselor = st.selectbox(
                ctx.t("admin.users.counselor"),
                options,
                index=options.index(linked) if linked in options else 0,
                key="admin_edit_counselor",
            )
            password = st.text_input(
                ctx.t("admin.users.new_password"), type="password", key="admin_edit_password"
            )
            if st.form_submit_button(ctx.t("admin.users.save"), type="primary"):

                def _save() -> None:
                    store.set_role(chosen, role)
                    store.set_active(chosen, active)
                    store.link_counselor(chosen, counselor or None)
                    if password:
                        store.set_password(chosen, password)

                attempt(ctx, _save, "admin.users.saved")

with supervision:
    pairs = store.supervisions()
    table(
        ctx,
        pd.DataFrame(pairs, columns=["supervisor", "counselor"]),
        "admin.col",
        key="admin_supervision_table",
    )
    supervisors = [u.username for u in people if u.role == "supervisor"]
    with st.form("admin_supervision"):
        who = st.selectbox(ctx.t("admin.col.supervisor"), supervisors, key="admin_sup_user")
        whom = st.selectbox(ctx.t("admin.col.counselor"), counselor_codes, key="admin_sup_counselor")
        add, remove = st.columns(2)
        if add.form_submit_button(ctx.t("admin.supervision.add"), type="primary") and who and whom:
            attempt(ctx, lambda: store.supervise(who, whom), "admin.users.saved")
        if remove.form_submit_button(ctx.t("admin.supervision.remove")) and who and whom:
            attempt(ctx, lambda: store.unsupervise(who, whom), "admin.users.saved")

with consent:
    clients = store.clients(include_archived=True)
    rows = []
    for c in clients:
        given = store.consent(c.code)
        rows.append({"client": c.code, **given})
    table(
        ctx,
        pd.DataFrame(rows, columns=["client", "recording", "research_use", "date"]),
        "admin.col",
        key="admin_consent_table",
    )
    with st.form("admin_consent"):
        client = st.selectbox(
            ctx.t("admin.col.client"), [c.code for c in clients], key="admin_consent_client"
        )
        recording = st.checkbox(ctx.t("admin.consent.recording"), key="admin_consent_recording")
        research = st.checkbox(ctx.t("admin.consent.research_use"), key="admin_consent_research")
        day = st.date_input(ctx.t("admin.consent.date"), dt.date.today(), key="admin_consent_date")
        if st.form_submit_button(ctx.t("admin.consent.save"), type="primary") and client:
            attempt(
                ctx,
                lambda: store.set_consent(client, recording=recording, research_use=research, date=day),
                "admin.users.saved",
            )

with audit:
    st.caption(ctx.t("admin.audit.about"))
    trail = store.audit_log(limit=500)
    table(ctx, trail, "admin.col", key="admin_audit_table")
    st.download_button(
        ctx.t("admin.audit.download"),
        data=safe_csv(store.audit_log()),
        file_name="observe-audit.csv",
        mime="text/csv",
        key="admin_audit_download",
        on_click=lambda: store.log_export("audit.export", what="audit"),
    )

with erasure:
    st.warning(ctx.t("admin.erase.about"), icon=":material/delete_forever:")
    with st.form("admin_erase", clear_on_submit=True):
        victim = st.selectbox(
            ctx.t("admin.erase.client"), [c.code for c in clients], key="admin_erase_client"
        )
        typed = st.text_input(ctx.t("admin.erase.confirm"), key="admin_erase_confirm")
        if st.form_submit_button(ctx.t("admin.erase.button"), type="primary") and victim:
            done = attempt(ctx, lambda: store.erase_client(victim, confirm=typed))
            if done is not None:
                st.success(ctx.t("admin.erase.done", **done))
