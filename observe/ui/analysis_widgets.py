"""Widgets shared by the analysis pages (session review, client progress, counselor, cue patterns).

Parameter forms that turn into the analysis parameter objects, charts and tables with their
downloads, the parameters box beside each result, the limitations note, and the cached calls
into :mod:`observe.reports.dashboards` (keyed by the signed-in user, the parameters and
:func:`observe.reports.dashboards.data_version`, so that no user is served another's role-filtered
result and every change shows at once).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import streamlit as st

from observe import charts
from observe.analysis.openness import LIMITATIONS_KEY, OpennessParams
from observe.analysis.resistance import ReferralParams
from observe.charts.style import house
from observe.errors import ObserveError
from observe.model import EXHAUSTIVE_CHANNELS
from observe.reports import agreement_view, dashboards
from observe.store import Store
from observe.ui import cache as _cache  # noqa: F401  (cached figures unpickle without validating again)
from observe.ui.page import Page
from observe.ui.plot import plot
from observe.ui.widgets import drawn_when_open

RECORD_PAGE = "pages/1_Record.py"
R = TypeVar("R")
#: who reads, in every cache key: (user name, user id, role)
Viewer = tuple[str, int | None, str]


# -- cached calls: the key is the database URL, the viewer, the inputs, the parameters and the data version
@st.cache_data(show_spinner=False, max_entries=64)
def session_review(_store: Store, url: str, viewer: Viewer, session: str, observer: str | None, params: OpennessParams,
                   version: tuple[Any, ...]) -> dashboards.SessionReview:  # fmt: skip
    return dashboards.session_review(_store, session, observer, params)


@st.cache_data(show_spinner=False, max_entries=64)
def client_progress(_store: Store, url: str, viewer: Viewer, client: str, observer: str | None, params: OpennessParams,
                    referral: ReferralParams, version: tuple[Any, ...]) -> dashboards.ClientProgress:  # fmt: skip
    return dashboards.client_progress(_store, client, params, referral, observer=observer)


@st.cache_data(show_spinner=False, max_entries=64)
def counselor_view(_store: Store, url: str, viewer: Viewer, counselor: str, observer: str | None, params: OpennessParams,
                   version: tuple[Any, ...]) -> dashboards.CounselorView:  # fmt: skip
    return dashboards.counselor_view(_store, counselor, params, observer=observer)


@st.cache_data(show_spinner=False, max_entries=64)
def cue_patterns(_store: Store, url: str, viewer: Viewer, given: tuple[str, ...], target: tuple[str, ...],
                 options: tuple[tuple[str, Any], ...], filters: dashboards.SessionFilter,
                 version: tuple[Any, ...]) -> dashboards.CuePatterns:  # fmt: skip
    return dashboards.cue_patterns(_store, given, target, filters=filters, **dict(options))


@dataclass(frozen=True)
class ReviewFigures:
    """The session review's timeline and its openness curve (None when the session has no index)."""

    timeline: go.Figure
    curve: go.Figure | None


@st.cache_data(show_spinner=False, max_entries=64)
def session_review_figures(_store: Store, url: str, viewer: Viewer, session: str, observer: str | None,
                           params: OpennessParams, lang: str, version: tuple[Any, ...]) -> ReviewFigures:  # fmt: skip
    review = session_review(_store, url, viewer, session, observer, params, version)
    timeline = charts.timeline_figure(review.events, review.scheme, lang, valences=review.valences)
    if review.openness is None:
        return ReviewFigures(timeline, None)
    attending = review.attending.windows if review.attending is not None else None
    curve = charts.openness_curve_figure(review.openness.windows, attending, lang)
    return ReviewFigures(timeline, curve)


@st.cache_data(show_spinner=False, max_entries=64)
def budget_figure(_store: Store, url: str, viewer: Viewer, session: str, observer: str | None, params: OpennessParams,
                  lang: str, measure: str, version: tuple[Any, ...]) -> go.Figure:  # fmt: skip
    review = session_review(_store, url, viewer, session, observer, params, version)
    return charts.time_budget_figure(
        review.time_budget, review.scheme, lang, valences=review.valences, value=measure
    )


@st.cache_data(show_spinner=False, max_entries=32)
def agreement(_store: Store, url: str, viewer: Viewer, session: str, observer_a: str, observer_b: str, unit: float,
              lang: str, version: tuple[Any, ...]) -> agreement_view.AgreementView:  # fmt: skip
    return agreement_view.agreement_view(_store, session, observer_a, observer_b, unit=unit, lang=lang)


def run(ctx: Page, cached: Callable[..., R], *args: Any, client: str | None = None,
        session: str | None = None) -> R:  # fmt: skip
    """Call one of the cached dashboards above; a user error is shown in the user's language and stops
    the page. ``client``/``session`` narrow the data-version read to what the dashboard uses."""
    version = dashboards.data_version(ctx.store, client=client, session=session)
    try:
        return cached(ctx.store, ctx.store.url, viewer(ctx.store), *args, version)
    except ObserveError as exc:
        ctx.fail(exc)


def viewer(store: Store) -> Viewer:
    """The signed-in user as a cache key: results are filtered by what their role may see."""
    who = store.principal
    return who.username, who.user_id, who.role


# -- parameter forms ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """One number of a parameter form: its key suffix, label, bounds, default, step and help."""

    name: str
    label: str
    low: float
    high: float
    default: float
    step: float | None = None
    help: str | None = None


def _panel(title: str, icon: str, key: str, rows: list[list[Field]]) -> dict[str, float]:
    """Number fields in an expander, drawn while it is open (:func:`drawn_when_open`), and their
    values (the defaults until changed). What the user set is kept while the page is open
    (``persist_state="page"``) and read from the session state, so the panel can be closed
    without losing it."""
    with drawn_when_open(title, icon=icon, key=f"{key}_open") as shown:
        if shown:
            for row in rows:
                for column, f in zip(st.columns(len(row)), row, strict=True):
                    column.number_input(f.label, f.low, f.high, f.default, f.step, key=f"{key}_{f.name}",
                                        help=f.help, persist_state="page")  # fmt: skip
    return {f.name: st.session_state.get(f"{key}_{f.name}", f.default) for row in rows for f in row}


def openness_params(ctx: Page, prefix: str, *, plot_step: bool = False) -> OpennessParams:
    """Every openness parameter as a widget (DOMAIN §3 defaults), in an expander."""
    d, t = OpennessParams(), ctx.t
    first = [Field("window", t("dash.p.window_s"), 5.0, 600.0, d.window_s, 5.0)]
    if plot_step:
        first.append(Field("step", t("dash.p.step_s"), 5.0, 600.0, 30.0, 5.0, help=t("dash.p.step_help")))
    first += [
        Field("cmin", t("dash.p.c_min"), 0.0, 1.0, d.c_min, 0.05),
        Field("lam", t("dash.p.lam"), 0.0, 20.0, d.lam, 0.5),
    ]
    rows = [
        first,
        [Field("m", t("dash.p.m"), 1, 50, d.m), Field("block", t("dash.p.block"), 1, 50, d.block),
         Field("boot", t("dash.p.n_boot"), 0, 20000, d.n_boot, 500), Field("seed", t("dash.p.seed"), 0, 2**31 - 1, d.seed)],
        [*(Field(f"w_{ch}", f"ω {ch}", 0.0, 5.0, 1.0, 0.5) for ch in EXHAUSTIVE_CHANNELS),
         Field("wp", t("dash.p.point_weight"), 0.0, 5.0, 1.0, 0.5)],
    ]  # fmt: skip
    v = _panel(t("dash.params.openness"), ":material/tune:", prefix, rows)
    try:
        return OpennessParams(window_s=v["window"], step_s=v.get("step", v["window"]), c_min=v["cmin"], lam=v["lam"],
                              m=int(v["m"]), weights=tuple((ch, v[f"w_{ch}"]) for ch in EXHAUSTIVE_CHANNELS),
                              point_weight=v["wp"], block=int(v["block"]), n_boot=int(v["boot"]), seed=int(v["seed"]))  # fmt: skip
    except ObserveError as exc:
        ctx.fail(exc)


def referral_params(ctx: Page, prefix: str) -> ReferralParams:
    """The referral-flag thresholds (DOMAIN §4 defaults) as widgets."""
    d, t = ReferralParams(), ctx.t
    row = [Field("n", t("dash.p.n_sessions"), 2, 20, d.n_sessions), Field("rho", t("dash.p.rho"), 0.0, 60.0, d.rho, 0.5),
           Field("delta", t("dash.p.delta"), -1.0, 1.0, d.delta, 0.01), Field("k", t("dash.p.k"), 0, 5, d.k),
           Field("sh", t("dash.p.min_share"), 0.0, 1.0, d.min_defined_share, 0.05)]  # fmt: skip
    v = _panel(t("dash.params.referral"), ":material/flag:", f"{prefix}_referral", [row])
    try:
        return ReferralParams(n_sessions=int(v["n"]), rho=v["rho"], delta=v["delta"], k=int(v["k"]),
                              min_defined_share=v["sh"])  # fmt: skip
    except ObserveError as exc:
        ctx.fail(exc)


# -- showing results -----------------------------------------------------------------------------------------------
def chart(
    ctx: Page, fig: go.Figure, key: str, filename: str, *, clickable: bool = False
) -> list[dict[str, Any]]:
    """A plotly chart (PNG from its toolbar camera) with a self-contained HTML download below it;
    the points clicked in it in this run (see :func:`observe.ui.plot.plot`)."""
    clicked = plot(fig, key, filename=filename, clickable=clickable)
    st.download_button(
        ctx.t("dash.download_html"),
        data=lambda: pio.to_html(house(fig), include_plotlyjs=True, full_html=True),  # built when clicked
        file_name=f"{filename}.html",
        mime="text/html",
        key=f"{key}_html",
        on_click="ignore",
        icon=":material/download:",
    )
    return clicked


def table(ctx: Page, frame: pd.DataFrame, key: str, filename: str) -> None:
    """A table with translated headers (``dash.col.<column>``, else the column name) and a CSV download."""
    # rounded for reading; the CSV keeps full precision
    shown = frame.round(4)
    for col in [c for c in shown.columns if str(c).endswith("reason")]:  # translation keys → words
        shown[col] = shown[col].map(lambda k: ctx.t(k) if isinstance(k, str) and k else "")
    shown = shown.rename(columns={c: _label(ctx, c) for c in shown.columns})
    st.dataframe(shown, hide_index=True, key=key)
    st.download_button(ctx.t("dash.download_csv"), data=frame.to_csv(index=False).encode(),
                       file_name=f"{filename}.csv", mime="text/csv", key=f"{key}_csv", on_click="ignore",
                       icon=":material/download:")  # fmt: skip


def _label(ctx: Page, column: str) -> str:
    text = ctx.t(f"dash.col.{column}")
    return column if text == f"dash.col.{column}" else text


def params_box(ctx: Page, params: Mapping[str, Any]) -> None:
    """The parameters a result was computed with, beside it (also in every export)."""
    flat: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Mapping) and key != "weights":
            flat.update({f"{key}.{k}": v for k, v in value.items() if v not in (None, [], ())})
        else:
            flat[key] = value
    with st.container(border=True):
        st.caption(ctx.t("dash.params.used"))
        st.caption("  \n".join(f"**{k}** = {_fmt_param(v)}" for k, v in flat.items()))


def _fmt_param(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_fmt_param(v)}" for k, v in value.items()) or "–"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "–"
    return "–" if value is None else str(value)


def limitations(ctx: Page) -> None:
    """The short limitations note with the long text (DOMAIN §3) in an expander."""
    st.caption(":material/info: " + ctx.t("dash.limitations.short"))
    with drawn_when_open(ctx.t("dash.limitations.more"), key="limitations_open") as shown:
        if shown:
            st.markdown(ctx.t(LIMITATIONS_KEY))


def not_enough(ctx: Page, key: str, **params: Any) -> None:
    """A clear "not enough data" message instead of an empty chart."""
    st.info(ctx.t(key, **params), icon=":material/hourglass_empty:")


def index_text(ctx: Page, index: Mapping[str, Any]) -> tuple[str, str | None]:
    """``("0.42", "95% CI 0.30 to 0.51")`` for a metric, or the reason it is missing."""
    oi = index.get("oi", math.nan)
    if oi is None or pd.isna(oi):
        return "–", ctx.t(index.get("reason") or dashboards.NO_EVENTS)
    low, high = index.get("ci_low", math.nan), index.get("ci_high", math.nan)
    if pd.isna(low):
        return f"{oi:+.2f}", ctx.t(index.get("ci_reason") or "analysis.openness.ci_off")
    return f"{oi:+.2f}", ctx.t("dash.ci", low=f"{low:+.2f}", high=f"{high:+.2f}")


def record_link(ctx: Page, session: str, observer: str | None, t_s: float) -> dict[str, str]:
    """Query parameters that open the Record page on ``session``/``observer`` at ``t_s`` seconds."""
    params = {"session": session, "t": f"{t_s:.3f}", "lang": ctx.lang}
    if observer:
        params["observer"] = observer
    return params
