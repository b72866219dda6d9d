"""A one-page, print-friendly summary of a client's progress (for the supervision file)."""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from observe.reports.dashboards import ClientProgress

SUMMARY_COLUMNS: tuple[str, ...] = ("session_number", "session_date", "counselor", "oi", "ci_low", "ci_high", "attending",
                    "delta_first", "rr_per_10min", "disclosure_min", "responses_tried", "coverage")  # fmt: skip


def progress_summary_html(progress: ClientProgress, lang: str = "en") -> str:
    """A one-page, print-friendly HTML summary of :func:`observe.reports.dashboards.client_progress`.

    A partially coded session says so in its coverage cell (DOMAIN §9.3).

    Examples
    --------
    >>> from observe.reports.dashboards import client_progress
    >>> from observe.governance.demo import create_demo
    >>> from observe.store import Store
    >>> store = Store.open("sqlite://")
    >>> _ = create_demo(store, videos=False)
    >>> html_text = progress_summary_html(client_progress(store, "K02"), "id")
    >>> "alih tangan kasus" in html_text, "<table" in html_text
    (True, True)
    """
    from observe.i18n import t

    def cell(value: Any, column: str = "") -> str:
        if column == "coverage":
            return html.escape(coverage_text(value, lang))
        if isinstance(value, float):
            return "–" if math.isnan(value) else f"{value:.2f}"
        return html.escape(str(value))

    head = "".join(f"<th>{html.escape(t(f'dash.col.{c}', lang))}</th>" for c in SUMMARY_COLUMNS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{cell(r.get(c, math.nan), c)}</td>" for c in SUMMARY_COLUMNS) + "</tr>"
        for _, r in progress.sessions.iterrows()
    )
    trend = progress.trend
    if trend["reason"]:
        slope = t(trend["reason"], lang)
    else:
        ci = t("dash.ci", lang, low=f"{trend['ci_low']:+.3f}", high=f"{trend['ci_high']:+.3f}")
        slope = f"{trend['slope']:+.3f} ({ci})"
    params = {**progress.params, **progress.referral_params}
    params_text = "; ".join(f"{k} = {v}" for k, v in params.items())
    client = progress.client
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>{html.escape(t("dash.summary.title", lang, client=client.code))}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:1em auto;color:#000}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #999;padding:2px 6px;text-align:right}}
th{{background:#eee}}.flag{{border:2px solid #000;padding:.5em}}small{{color:#333}}
@media print{{body{{margin:0}}}}</style></head><body>
<h1>{html.escape(t("dash.summary.title", lang, client=client.code))}</h1>
<p>{
        html.escape(
            t(
                "dash.summary.meta",
                lang,
                profile=client.valence_profile,
                n=len(progress.sessions),
                special=t("dash.yes" if client.special_needs else "dash.no", lang),
            )
        )
    }</p>
<p class="flag"><b>{html.escape(t(f"dash.flag.{progress.referral.status}", lang))}</b> —
{html.escape(progress.referral.text(lang))}</p>
<p><b>{html.escape(t("dash.metric.slope", lang))}:</b> {html.escape(slope)}</p>
<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>
<p><small><b>{html.escape(t("dash.params.used", lang))}</b> {html.escape(params_text)};
valence hash {progress.valence_hash}</small></p>
<p><small>{html.escape(t("analysis.openness.limitations", lang))}</small></p>
</body></html>"""


def coverage_text(coverage: float | None, lang: str = "en") -> str:
    """``"100%"``, or ``"partially coded (20%)"`` below a coverage of 0.5 (DOMAIN §9.3); ``"–"`` if unknown.

    Examples
    --------
    >>> coverage_text(0.2), coverage_text(0.95, "id"), coverage_text(float("nan"))
    ('partially coded (20%)', '95%', '–')
    """
    from observe.analysis.intervals import PARTIAL_BELOW, R_PARTIAL
    from observe.i18n import t

    if coverage is None or not isinstance(coverage, int | float) or math.isnan(coverage):
        return "–"
    percent = f"{100 * coverage:.0f}"
    return t(R_PARTIAL, lang, percent=percent) if coverage < PARTIAL_BELOW else f"{percent}%"
