"""The Agreement page's view model on the demo workspace, without Streamlit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import plotly.graph_objects as go
import pytest

from observe.analysis.agreement import compare
from observe.errors import ObserveError
from observe.reports import agreement
from observe.reports import agreement_view as av
from observe.store import Store
from tests.conftest import open_demo_copy


@pytest.fixture(scope="module")
def demo(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The demo workspace, read only by the tests that share it."""
    store = open_demo_copy(demo_workspace, tmp_path_factory.mktemp("agreement-view"))
    yield store
    store.close()


@pytest.fixture
def fresh(demo_copy: Store) -> Store:
    """A demo workspace of its own, for tests that write."""
    return demo_copy


def test_pick_falls_back_inside_the_options() -> None:
    assert av.pick(["a", "b", "c"], "c") == 2
    assert av.pick(["a", "b", "c"], None, 1) == 1
    assert av.pick(["a", "b"], "zz", 5) == 1
    assert av.pick(["a"], "", 0) == 0


def test_pickers_list_the_observers_and_the_reference(demo: Store) -> None:
    picks = av.pickers(demo, "K01-S03")
    assert picks.observers == ("obs.ani", "obs.budi")
    assert picks.reference == "obs.ani"
    assert "reference" in picks.labels["obs.ani"] and "reference" not in picks.labels["obs.budi"]
    assert picks.may_set_reference  # the local administrator
    assert picks.others("obs.ani") == ["obs.budi"]
    assert picks.default_a(None, "local") == 0
    assert picks.default_a("obs.budi", "local") == 1
    assert picks.default_a(None, "obs.budi") == 1
    # B defaults to the reference, unless the reference is A
    assert picks.others("obs.budi")[picks.default_b("obs.budi", None)] == "obs.ani"
    assert picks.default_b("obs.ani", "nobody") == 0


def test_an_observer_may_not_set_the_reference(demo: Store) -> None:
    assert not av.pickers(demo.as_user("obs.budi"), "K01-S03").may_set_reference
    assert av.pickers(demo.as_user("sup.dewi"), "K01-S03").may_set_reference


def test_pickers_in_indonesian(demo: Store) -> None:
    labels = av.pickers(demo, "K01-S03", "id").labels
    assert labels["obs.ani"] != av.pickers(demo, "K01-S03", "en").labels["obs.ani"]


def test_view_holds_every_table_of_the_comparison(demo: Store) -> None:
    view = av.agreement_view(demo, "K01-S03", "obs.ani", "obs.budi", unit=1.0)
    assert view.hidden == ""
    events = demo.events_frame(session="K01-S03")
    a, b = events[events["observer"] == "obs.ani"], events[events["observer"] == "obs.budi"]
    assert view.tolerances == (0.0, 2.0)
    for tau in view.tolerances:
        expected = compare(a, b, tolerance=tau).time_unit
        expected = expected[expected["level"] == "channel"]
        shown = view.channel_tables[tau]
        assert shown["kappa"].tolist() == expected["kappa"].round(3).tolist()
        assert set(shown["subject"]) == {"Client", "Counselor"}
        assert not view.cue_tables[tau].empty
    assert {"f1", "precision", "recall", "matches"} <= set(view.event_table.columns)
    assert len(view.icc_table) == 2 and view.icc_table["icc"].notna().all()
    assert view.alpha_table is None  # two observers only


def test_view_notes_are_split_between_warnings_and_the_folded_list(demo: Store) -> None:
    view = av.agreement_view(demo, "K01-S03", "obs.ani", "obs.budi")
    notes = agreement.session_agreement(demo, "K01-S03", "obs.ani", "obs.budi").main.notes
    folded = [n.message("en") for n in notes if n.key == av.FOLDED_NOTE]
    assert list(view.folded_notes) == folded
    assert len(view.warnings) + len(view.folded_notes) == len(notes)


def test_view_figures_and_matrices(demo: Store) -> None:
    view = av.agreement_view(demo, "K01-S03", "obs.ani", "obs.budi")
    assert set(view.matrices) == {"units", "events"}
    assert "Client · Gaze" in view.matrices["events"]
    first = next(iter(view.matrices["units"]))
    heatmap = view.matrix_figure("units", first)
    assert isinstance(heatmap, go.Figure) and heatmap.data[0].type == "heatmap"
    nil = view.matrix_figure("events", "Client · Gaze")
    assert "∅" in list(nil.data[0].x)
    assert isinstance(view.timeline, go.Figure) and len(view.timeline.data) > 0
    assert view.training_figure is not None
    assert view.training_table["reference"].tolist() == ["obs.ani"]


def test_view_jumps_to_the_record_page_at_each_disagreement(demo: Store) -> None:
    view = av.agreement_view(demo, "K01-S03", "obs.ani", "obs.budi", lang="id")
    runs = agreement.largest_disagreements(
        agreement.compare_session(demo, "K01-S03", "obs.ani", "obs.budi"), "id"
    )
    assert len(view.jumps) == len(runs) > 0
    first = view.jumps[0]
    assert first.query == {
        "session": "K01-S03",
        "observer": "obs.ani",
        "t": f"{runs.start_s[0]:.1f}",
        "lang": "id",
    }
    # the sentence names the channel by the scheme's label in the user's language
    assert first.text.split(" · ")[0] == runs.text[0].split(" · ")[0]
    assert "Klien · Sorot mata" in first.text


def test_view_is_blind_while_the_second_observer_codes(fresh: Store) -> None:
    budi = fresh.open_observation("K01-S01", "obs.budi")
    fresh.add_event(budi.id, "client", "G_EYE", 0.0, 100.0)
    hidden = av.agreement_view(fresh, "K01-S01", "obs.budi", "obs.ani")
    assert "Your observation of K01-S01 is not finished" in hidden.hidden
    assert not hidden.channel_tables and hidden.timeline is None and not hidden.jumps
    assert (
        "Not everyone has finished coding K01-S01"
        in av.agreement_view(fresh, "K01-S01", "obs.ani", "obs.budi").hidden
    )
    fresh.finish_observation(budi.id)
    assert av.agreement_view(fresh, "K01-S01", "obs.budi", "obs.ani").hidden == ""


def test_view_refuses_a_bad_unit(demo: Store) -> None:
    with pytest.raises(ObserveError):
        av.agreement_view(demo, "K01-S03", "obs.ani", "obs.budi", unit=0.0)


def test_set_reference_by_observer(fresh: Store) -> None:
    av.set_reference(fresh, "K01-S03", "obs.budi")
    assert av.pickers(fresh, "K01-S03").reference == "obs.budi"
    view = av.agreement_view(fresh, "K01-S03", "obs.ani", "obs.budi")
    assert view.training_table["reference"].tolist() == ["obs.budi"]


def test_view_marks_an_observation_reopened_after_unblinding(fresh: Store) -> None:
    ani = next(o for o in fresh.observations(session="K01-S03") if o.observer == "obs.ani")
    assert not av.agreement_view(fresh, "K01-S03", "obs.ani", "obs.budi").warnings or all(
        "reopened" not in w for w in av.agreement_view(fresh, "K01-S03", "obs.ani", "obs.budi").warnings
    )
    fresh.reopen_observation(ani.id)  # the administrator (a supervisor's action once unblinded)
    fresh.finish_observation(ani.id)
    view = av.agreement_view(fresh, "K01-S03", "obs.ani", "obs.budi")
    assert any("obs.ani was reopened after every coder had finished" in w for w in view.warnings)
    indonesian = av.agreement_view(fresh, "K01-S03", "obs.ani", "obs.budi", lang="id")
    assert any("obs.ani dibuka kembali" in w for w in indonesian.warnings)
