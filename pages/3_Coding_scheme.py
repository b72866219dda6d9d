"""Coding scheme: the cues with their hotkeys as a printable cheat-sheet; custom versions."""

import streamlit as st

from observe.scheme.sheet import (
    cheat_sheet,
    cheat_sheet_html,
    cheat_sheet_view,
    cues_table,
    scheme_from_table,
)
from observe.ui import page
from observe.ui.widgets import attempt, table

ctx = page.setup("nav.scheme", ":material/keyboard:")
store = ctx.store
st.title(ctx.t("nav.scheme"))

versions = store.schemes() or [("default", store.scheme().version)]
name, version = st.selectbox(
    ctx.t("scheme.pick"), versions, format_func=lambda nv: f"{nv[0]} v{nv[1]}", key="scheme_pick"
)
scheme = store.scheme(name, version)
st.caption(scheme.titles.get(ctx.lang, scheme.name))

tab_sheet, tab_edit = st.tabs([ctx.t("scheme.tab.sheet"), ctx.t("scheme.tab.edit")])
with tab_sheet:
    st.markdown(ctx.t("scheme.layers"))
    subject = st.radio(
        ctx.t("scheme.subject"),
        scheme.subject_codes,
        format_func=lambda s: ctx.t(f"subject.{s}"),
        horizontal=True,
        key="scheme_subject",
    )
    table(ctx, cheat_sheet_view(scheme, subject, ctx.lang), "scheme.col", key="scheme_sheet", height=600)
    left, right = st.columns(2)
    left.download_button(
        ctx.t("scheme.download_html"),
        cheat_sheet_html(scheme, ctx.lang),
        file_name=f"cheat-sheet-{scheme.name}-v{scheme.version}-{ctx.lang}.html",
        mime="text/html",
        key="scheme_download_html",
    )
    right.download_button(
        ctx.t("scheme.download_csv"),
        cheat_sheet(scheme).to_csv(index=False),
        file_name=f"scheme-{scheme.name}-v{scheme.version}.csv",
        mime="text/csv",
        key="scheme_download_csv",
    )

with tab_edit:
    st.info(ctx.t("scheme.versions_note"), icon=":material/history:")
    new_name = st.text_input(
        ctx.t("scheme.new_name"), value="" if scheme.name == "default" else scheme.name, key="scheme_new_name"
    )
    edited = st.data_editor(
        cues_table(scheme), num_rows="dynamic", hide_index=True, key="scheme_editor", height=500
    )
    target = new_name.strip() or scheme.name
    if target == "default":
        st.warning(ctx.t("scheme.default_readonly"))
    elif st.button(ctx.t("scheme.save_version"), type="primary", key="scheme_save"):
        saved = attempt(
            ctx,
            lambda: store.save_scheme(
                scheme_from_table(
                    store.scheme(target) if target in {n for n, _ in versions} else scheme,
                    edited,
                    name=target,
                )
            ),
        )
        if saved:
            st.success(ctx.t("scheme.saved", name=target))
