"""Import / export: bring BORIS, ELAN and observe files in (preview first), take every export out,
download a printable session report."""

from dataclasses import replace

import streamlit as st

from observe.errors import ObserveError
from observe.interop.detect import parse_file
from observe.interop.exports import ALL_OBSERVERS, EXPORTS, Selection, export_file, observers_for_export
from observe.interop.limits import ImportLimits
from observe.interop.preview import (
    UPLOAD_TYPES,
    apply_import,
    check_upload,
    default_mapping,
    preview,
)
from observe.interop.report import session_report_html
from observe.ui import page
from observe.ui.forms import edit_picker
from observe.ui.import_form import mapping_form
from observe.ui.progress import progress_bar
from observe.ui.widgets import attempt

ctx = page.setup("nav.import_export", ":material/import_export:")
store = ctx.store
st.title(ctx.t("nav.import_export"))
tab_import, tab_export, tab_report = st.tabs([ctx.t("ie.import"), ctx.t("ie.export"), ctx.t("ie.report")])

with tab_import:
    upload = st.file_uploader(ctx.t("ie.upload"), type=list(UPLOAD_TYPES), key="ie_upload")
    if upload is not None:
        data = upload.getvalue()
        try:
            check_upload(upload.name, len(data))
            bundle = parse_file(data, filename=upload.name, limits=ImportLimits.from_store(store))
        except ObserveError as exc:
            ctx.fail(exc)
        st.subheader(ctx.t("ie.preview"))
        mapping = default_mapping(bundle, store)
        mapping = mapping_form(ctx, bundle, mapping)
        new_copy = st.checkbox(ctx.t("ie.new_copy"), key="ie_new_copy")
        shown = attempt(ctx, lambda: preview(bundle, store, mapping, new_copy=new_copy))
        if shown is not None:
            a, b, c = st.columns(3)
            a.metric(ctx.t("ie.events"), shown.counts["events"])
            b.metric(ctx.t("ie.observations"), shown.counts["observations"])
            c.metric(ctx.t("ie.new_sessions"), shown.counts["new_sessions"])
            st.dataframe(shown.sessions, hide_index=True, key="ie_preview_sessions")
            if shown.new_codes:
                scheme = f"{shown.scheme.name} v{shown.scheme.version}"
                st.info(ctx.t("ie.new_codes", codes=", ".join(shown.new_codes), scheme=scheme))
            if shown.warnings:
                with st.expander(f"{ctx.t('ie.warnings')} ({len(shown.warnings)})"):
                    st.markdown("\n".join(f"- {w.message(ctx.lang)}" for w in shown.warnings))
            if shown.problem:
                st.error(shown.problem, icon=":material/block:")
            if st.button(ctx.t("ie.do_import"), type="primary", disabled=not shown.ok, key="ie_do_import"):
                bar = progress_bar(ctx.t("ie.do_import"))
                done = attempt(
                    ctx,
                    lambda: apply_import(
                        store,
                        bundle,
                        mapping,
                        new_copy=new_copy,
                        filename=upload.name,
                        data=data,
                        progress=bar,
                    ),
                )
                if done is not None:
                    st.success(ctx.t("ie.imported", **done), icon=":material/check_circle:")

sessions = [s.code for s in store.sessions()] if store.may("session.read") else []  # researchers: none
readable = store.clients() if store.may("client.read") else []
clients = sorted({s.split("-S")[0] for s in sessions} | {c.code for c in readable})

with tab_export:
    left, middle, right = st.columns(3)
    kind = left.selectbox(
        ctx.t("ie.kind"), list(EXPORTS), format_func=lambda k: ctx.t(f"ie.kind.{k}"), key="ie_kind"
    )
    fmt = middle.selectbox(ctx.t("ie.format"), EXPORTS[kind], key=f"ie_format_{kind}")
    scopes = ["", *(f"client:{c}" for c in clients), *(f"session:{s}" for s in sessions)]
    scope = right.selectbox(
        ctx.t("ie.scope"),
        scopes,
        format_func=lambda s: s.split(":", 1)[-1] or ctx.t("ie.all"),
        key="ie_scope",
    )
    what, _, code = scope.partition(":")
    selection = Selection(
        session=code if what == "session" else None, client=code if what == "client" else None
    )
    whose = st.selectbox(
        ctx.t("ie.observer_choice"),
        ["", ALL_OBSERVERS, *observers_for_export(store, selection)],
        format_func=lambda o: {"": ctx.t("ie.reference"), ALL_OBSERVERS: ctx.t("ie.all_observers")}.get(o, o),
        key="ie_observer_choice",
    )
    selection = replace(selection, observer=whose or None)
    notes = st.checkbox(ctx.t("ie.include_notes"), key="ie_include_notes") if kind == "research" else False
    if st.button(ctx.t("ie.prepare"), key="ie_prepare"):
        bar = progress_bar(ctx.t("ie.prepare"))
        made = attempt(
            ctx, lambda: export_file(store, kind, fmt, selection=selection, include_notes=notes, progress=bar)
        )
        if made is not None:
            st.session_state["ie_export_file"] = made
    made = st.session_state.get("ie_export_file")
    if made is not None:
        st.download_button(
            ctx.t("ie.download", filename=made.filename),
            made.data,
            file_name=made.filename,
            mime=made.mime,
            key="ie_download",
            icon=":material/download:",
        )

with tab_report:
    chosen = edit_picker(
        ctx.t("ie.report_session"),
        sessions,
        key="ie_report_session",
        placeholder=ctx.t("ie.report_session_pick"),
    )
    if chosen and st.button(ctx.t("ie.prepare"), key="ie_report_prepare"):
        html_page = attempt(ctx, lambda: session_report_html(store, chosen, lang=ctx.lang))
        if html_page is not None:
            st.session_state["ie_report_file"] = (f"{chosen}-report.html", html_page.encode("utf-8"))
    report = st.session_state.get("ie_report_file")
    if report is not None:
        st.download_button(
            ctx.t("ie.download", filename=report[0]),
            report[1],
            file_name=report[0],
            mime="text/html",
            key="ie_report_download",
            icon=":material/download:",
        )
