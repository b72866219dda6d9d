"""The import preview's mapping form: which of our subjects each source subject is, and the
client, counselor and observer the imported sessions belong to."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from observe.interop.bundle import ImportBundle
from observe.interop.preview import SUBJECT_CHOICES, ImportMapping
from observe.ui.page import Page


def mapping_form(ctx: Page, bundle: ImportBundle, mapping: ImportMapping) -> ImportMapping:
    """The person's mapping, starting from ``mapping`` (tidy files name our subjects already)."""
    subjects = dict(mapping.subjects)
    if not bundle.source_format.startswith("tidy"):
        counts = pd.concat([o.events["subject"] for o in bundle.observations]).value_counts()
        columns = st.columns(max(len(bundle.subjects), 1))
        for i, (source, column) in enumerate(zip(bundle.subjects, columns, strict=False)):
            subjects[source] = column.selectbox(
                ctx.t("ie.subject_map", subject=source or ctx.t("ie.no_focal"), n=int(counts.get(source, 0))),
                SUBJECT_CHOICES,
                index=SUBJECT_CHOICES.index(subjects.get(source, "other")),
                format_func=lambda c: c or ctx.t("ie.left_out"),
                key=f"ie_subject_{i}",
            )
        left, middle, right = st.columns(3)
        client = left.text_input(ctx.t("ie.client"), mapping.client, key="ie_client")
        counselor = middle.text_input(ctx.t("ie.counselor"), mapping.counselor, key="ie_counselor")
        observer = right.text_input(ctx.t("ie.observer"), mapping.observer, key="ie_observer")
        mapping = replace(mapping, subjects=subjects, client=client, counselor=counselor, observer=observer)
    return mapping
