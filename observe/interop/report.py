"""Printable, self-contained HTML reports for supervisors (issue 6, "Session report").

One page per session (:func:`session_report_html`) and one per client across sessions
(:func:`client_report_html`): the facts, the charts (plotly, its JavaScript inlined ONCE
so the file opens offline), the tables and the limitations note (DOMAIN §3), with a
print stylesheet so the browser's "Print to PDF" gives clean pages. The numbers come
from :mod:`observe.reports.dashboards` (the same review the pages show), never recomputed here.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from observe.analysis.openness import LIMITATIONS_KEY
from observe.i18n import t
from observe.store import Store

_CSS = """
:root{color-scheme:light}
body{font-family:system-ui,"Segoe UI",Roboto,sans-serif;max-width:62em;margin:1.5em auto;padding:0 1em;color:#111;line-height:1.4}
h1{font-size:1.6em;margin:.2em 0}h2{font-size:1.2em;margin:1.4em 0 .4em;border-bottom:1px solid #ccc;padding-bottom:.15em}
table{border-collapse:collapse;width:100%;font-size:.9em;margin:.4em 0}
td,th{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.5em 0}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
.metrics{display:flex;gap:1em;flex-wrap:wrap}.metric{border:1px solid #bbb;border-radius:6px;padding:.4em .8em;min-width:9em}
.metric b{display:block;font-size:1.4em}.note{font-size:.85em;color:#333}.chart{margin:.3em 0}
.flag{border:2px solid #111;padding:.5em;border-radius:4px}
@page{size:A4;margin:14mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:10.5pt}h2{break-after:avoid}
 .chart,table,.metric,.flag{break-inside:avoid}.noprint{display:none}a{color:#000;text-decoration:none}}
"""


def session_report_html(store: Store, session: str, *, observer: str | None = None, lang: str = "en") -> str:
    """One session's report as a single HTML page that works offline and prints cleanly.

    Parameters
    ----------
    store : Store
        The workspace (read only).
    session : str
        Session code (e.g. ``K01-S03``); an unknown code raises ``NotFound``.
    observer : str, optional
        Whose coding (default: the reference observation, else the most coded one).
    lang : str
        ``"en"`` or ``"id"``.

    Examples
    --------
    >>> from observe.governance.demo import create_demo
    >>> store = Store.open("sqlite://")
    >>> _ = create_demo(store, videos=False)
    >>> page = session_report_html(store, "K01-S06")
    >>> page.count("plotly.js v") == 1, "K01-S06" in page
    (True, True)
    """
    store.log_export("report", what=session)  # refused for a role without reports; audited
    from observe.charts import openness_curve_figure, time_budget_figure, timeline_figure
    from observe.reports.dashboards import session_review

    review = session_review(store, session, observer)
    info = review.session
    figures: list[tuple[str, go.Figure]] = []
    if len(review.events):
        figures.append(
            ("report.timeline", timeline_figure(review.events, review.scheme, lang, valences=review.valences))
        )
    if review.openness is not None:
        attending = review.attending.windows if review.attending is not None else None
        figures.append(("report.curves", openness_curve_figure(review.openness.windows, attending, lang)))
    if len(review.time_budget):
        figures.append(
            (
                "report.time_budget",
                time_budget_figure(review.time_budget, review.scheme, lang, valences=review.valences),
            )
        )
    facts = [
        ("dash.col.session", info.code),
        ("dash.col.client", info.client),
        ("dash.col.counselor", info.counselor),
        ("dash.col.session_number", str(info.number)),
        ("dash.col.session_date", info.date.isoformat()),
        ("report.length", _minutes(info.duration_s)),
        ("dash.col.observer", review.observer or "–"),
        ("report.observers", ", ".join(review.observers) or "–"),
        ("report.scheme", f"{review.scheme.name} v{review.scheme.version}"),
        ("report.profile", review.profile),
    ]
    metrics = [
        ("dash.metric.openness", review.index.get("oi"), review.index.get("reason")),
        ("dash.metric.attending", review.attending_index.get("oi"), review.attending_index.get("reason")),
        ("dash.metric.rr", _rate(review.resistance.get("rr_per_10min")), None),
    ]
    body = [
        f"<h1>{_e(t('report.session.title', lang, session=info.code))}</h1>",
        _facts(facts, lang),
        '<div class="metrics">' + "".join(_metric(k, v, r, lang) for k, v, r in metrics) + "</div>",
        *(f"<p class='note'>{_e(t(p, lang))}</p>" for p in review.problems),
        *_charts(figures, lang),
        f"<h2>{_e(t('report.episodes', lang))}</h2>",
        _table(review.episodes.drop(columns=["session", "observer"], errors="ignore"), lang)
        if len(review.episodes)
        else f"<p>{_e(t('dash.no_episodes', lang))}</p>",
        f"<h2>{_e(t('report.notes', lang))}</h2>",
        _notes(info.notes, review.events, lang),
        _footer(review.params, lang),
    ]
    return _page(t("report.session.title", lang, session=info.code), body, lang)


def client_report_html(store: Store, client: str, *, observer: str | None = None, lang: str = "en") -> str:
    """All sessions of one client on one page: the sessions table, the openness trend, the
    referral flag with its reasons, the parameters and the limitations note.

    Examples
    --------
    >>> from observe.governance.demo import create_demo
    >>> store = Store.open("sqlite://")
    >>> _ = create_demo(store, videos=False)
    >>> "K02" in client_report_html(store, "K02")
    True
    """
    store.log_export("report", what=client)  # refused for a role without reports; audited
    from observe.charts import openness_trend_figure
    from observe.reports.dashboards import _SUMMARY_COLUMNS, client_progress

    progress = client_progress(store, client, observer=observer)
    trend = progress.trend
    figures = []
    if len(progress.sessions):
        figures.append(
            (
                "report.trend",
                openness_trend_figure(progress.sessions, lang, trend=None if trend["reason"] else trend),
            )
        )
    columns = [c for c in _SUMMARY_COLUMNS if c in progress.sessions]
    body = [
        f"<h1>{_e(t('report.client.title', lang, client=progress.client.code))}</h1>",
        _facts(
            [
                ("dash.col.client", progress.client.code),
                ("report.sessions", str(len(progress.sessions))),
                ("report.profile", progress.client.valence_profile),
            ],
            lang,
        ),
        f"<p class='flag'><b>{_e(t(f'dash.flag.{progress.referral.status}', lang))}</b> — "
        f"{_e(progress.referral.text(lang))}</p>",
        *_charts(figures, lang),
        f"<h2>{_e(t('report.sessions', lang))}</h2>",
        _table(progress.sessions[columns], lang),
        _footer({**progress.params, **progress.referral_params, "valence_hash": progress.valence_hash}, lang),
    ]
    return _page(t("report.client.title", lang, client=progress.client.code), body, lang)


# ------------------------------------------------------------------------------------- pieces


def _e(text: Any) -> str:
    return html.escape(str(text))


def _minutes(seconds: float | None) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    return f"{seconds / 60:.1f} min"


def _rate(value: Any) -> str:
    """A rate has no sign to show (unlike an index, which runs from −1 to +1)."""
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{float(value):.2f}"


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:+.2f}" if isinstance(value, float) else _e(value)


def _facts(items: Iterable[tuple[str, str]], lang: str) -> str:
    rows = "".join(f"<dt>{_e(t(key, lang))}</dt><dd>{_e(value)}</dd>" for key, value in items)
    return f'<dl class="facts">{rows}</dl>'


def _metric(key: str, value: Any, reason: Any, lang: str) -> str:
    shown = _number(value)
    why = f"<br><span class='note'>{_e(t(str(reason), lang))}</span>" if reason and shown == "–" else ""
    return f'<div class="metric">{_e(t(key, lang))}<b>{shown}</b>{why}</div>'


def _charts(figures: Sequence[tuple[str, go.Figure]], lang: str) -> list[str]:
    """Each figure under its heading; plotly.js goes inline with the FIRST figure only."""
    out = []
    for i, (title, fig) in enumerate(figures):
        fig.update_layout(template="plotly_white", paper_bgcolor="white", plot_bgcolor="white")
        div = fig.to_html(
            full_html=False,
            include_plotlyjs=(i == 0),
            config={"displaylogo": False, "responsive": True, "staticPlot": False},
            default_width="100%",
        )
        out.append(f"<h2>{_e(t(title, lang))}</h2><div class='chart'>{div}</div>")
    return out


def _table(frame: pd.DataFrame, lang: str) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return "<td class='num'>–</td>" if math.isnan(value) else f"<td class='num'>{value:.2f}</td>"
        if isinstance(value, int):
            return f"<td class='num'>{value}</td>"
        return f"<td>{_e(value)}</td>"

    head = "".join(f"<th>{_e(_column_label(c, lang))}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _column_label(column: str, lang: str) -> str:
    key = f"dash.col.{column}"
    text = t(key, lang)
    return column if text == key else text


def _notes(session_notes: str, events: pd.DataFrame, lang: str) -> str:
    parts = []
    if session_notes.strip():
        parts.append(f"<p>{_e(session_notes)}</p>")
    if len(events) and "comment" in events:
        commented = events.loc[events["comment"].fillna("").astype(str).str.strip() != ""]
        if len(commented):
            rows = "".join(
                f"<tr><td class='num'>{r.start_s:.1f} s</td><td>{_e(r.subject)}</td><td>{_e(r.cue)}</td>"
                f"<td>{_e(r.comment)}</td></tr>"
                for r in commented.sort_values("start_s").itertuples(index=False)
            )
            parts.append(f"<table><tbody>{rows}</tbody></table>")
    return "".join(parts) or f"<p>{_e(t('dash.no_notes', lang))}</p>"


def _footer(params: dict[str, Any], lang: str) -> str:
    used = "; ".join(f"{k} = {v}" for k, v in params.items())
    return (
        f"<h2>{_e(t('report.limitations', lang))}</h2><p class='note'>{_e(t(LIMITATIONS_KEY, lang))}</p>"
        f"<p class='note'><b>{_e(t('dash.params.used', lang))}</b> {_e(used)}</p>"
    )


def _page(title: str, body: Sequence[str], lang: str) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>" + "\n".join(body) + "</body></html>"
    )
