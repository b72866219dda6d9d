"""The research zip of the Import/export page and CLI: consent gates what leaves, and it is audited."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pandas as pd
import pytest

from observe.interop.exports import Selection, analysis_table, export_file
from observe.store import Store


def test_only_consenting_clients_leave_and_the_export_is_audited(demo_copy: Store) -> None:
    store = demo_copy  # the demo: K01 and K02 consented to research use, the child K03 did not
    data = export_file(store, "research", selection=Selection(), seed=3).data
    archive = zipfile.ZipFile(io.BytesIO(data))
    sessions = pd.read_csv(archive.open("sessions.csv"))
    assert len(sessions) == 6 + 5  # K01's and K02's sessions, none of K03's
    assert sessions["client"].nunique() == 2
    text = b"".join(archive.read(name) for name in archive.namelist())
    for secret in (b"K01", b"K02", b"K03", b"C01", b"obs.ani", b"2026-08"):
        assert secret not in text
    assert (store.audit_log()["action"] == "export.research").any()


def test_research_tables_keep_full_precision(demo_copy: Store) -> None:
    """Issue 14 item 8 in the research zip too: no %.6g rounding of shares, indices or times."""
    store = demo_copy
    archive = zipfile.ZipFile(io.BytesIO(export_file(store, "research", selection=Selection(), seed=3).data))
    budget = pd.read_csv(archive.open("timebudget.csv"))
    shares = [c for c in budget.columns if c.startswith("share")]
    values = budget[shares].to_numpy().ravel()
    values = values[pd.notna(values)]
    assert len(values)
    assert any(float(f"{v:.6g}") != v for v in values)  # a %.6g file holds none such
    text = archive.read("timebudget.csv").decode()
    assert any(len(cell.split(".")[-1]) > 6 for cell in text.replace("\n", ",").split(",") if "." in cell)


def test_each_session_is_reviewed_once_and_the_time_budget_is_the_tables(
    demo_copy: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One session review per exported session gives both openness.csv and timebudget.csv; the time
    budget is the one the Export tab's time-budget table gives for those sessions."""
    from observe.reports import dashboards

    store = demo_copy
    expected = analysis_table(store, "timebudget", Selection())
    reviewed: list[str] = []
    real = dashboards.session_review

    def counted(store: Store, code: str, *args: Any, **kwargs: Any) -> dashboards.SessionReview:
        reviewed.append(code)
        return real(store, code, *args, **kwargs)

    monkeypatch.setattr(dashboards, "session_review", counted)
    archive = zipfile.ZipFile(io.BytesIO(export_file(store, "research", selection=Selection(), seed=3).data))
    sessions = pd.read_csv(archive.open("sessions.csv"))
    assert len(reviewed) == len(set(reviewed)) == len(sessions) == 11
    budget = pd.read_csv(archive.open("timebudget.csv"))
    expected = expected[expected["session"].isin(reviewed)]
    assert len(budget) == len(expected)
    shares = [c for c in budget.columns if c.startswith("share")]
    assert shares
    for column in shares:
        assert sorted(budget[column].dropna()) == sorted(expected[column].dropna())
