"""Batch motion energy on Dask (issue 16): same series as the serial run, failures reported, stored for the page."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from observe.analysis.synchrony import SynchronyParams
from observe.cli import main
from observe.commands.progress import bar, terminal_progress
from observe.errors import InvalidInput
from observe.reports import synchrony as sync
from observe.store import Store
from observe.video.batch import (
    BatchJob,
    expand_videos,
    local_cluster,
    run_batch,
    single_threaded,
    worker_threads,
)
from observe.video.motion import MotionParams, motion_energy
from observe.video.synthetic import SyntheticVideo, make_synthetic_video

SIZE = (160, 90)


def token(n: int) -> str:
    return f"{n + 0xB0:032x}.mp4"


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> list[SyntheticVideo]:
    folder = tmp_path_factory.mktemp("batch_src")
    return [
        make_synthetic_video(folder / token(i), duration_s=8 + 2 * i, size=SIZE, seed=10 + i)
        for i in range(3)
    ]


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """One local Dask cluster for the CLI tests (``--scheduler``), so they share its start-up."""
    with local_cluster(2) as cluster:
        yield str(cluster.scheduler_address)


def assert_same_series(batch: pd.DataFrame, serial: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(batch, serial, check_exact=True)
    assert batch.attrs == serial.attrs


def test_batch_equals_serial_and_a_broken_video_does_not_stop_the_others(
    videos: list[SyntheticVideo], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    jobs = [BatchJob(str(v.path), tuple(v.rois.values())) for v in videos]
    jobs.insert(1, BatchJob(str(broken), tuple(videos[0].rois.values())))
    params = MotionParams(frame_step=2)
    calls: list[tuple[int, int]] = []
    results = run_batch(jobs, params, workers=2, progress=lambda done, total: calls.append((done, total)))
    assert [r.job for r in results] == jobs  # in the order given, whatever order they finished in
    assert [r.ok for r in results] == [True, False, True, True]
    assert "broken.mp4" in (results[1].error or "") and "cannot be opened" in (results[1].error or "")
    for result, video in zip([results[0], *results[2:]], videos, strict=True):
        assert result.series is not None and result.seconds > 0
        assert_same_series(result.series, motion_energy(video.path, list(video.rois.values()), params))
    # progress: a start, then one call per video with growing counts up to the total
    assert calls[0] == (0, 4) and calls[-1] == (4, 4)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and {t for _, t in calls} == {4}


def test_each_worker_is_one_process_computing_on_one_thread(scheduler: str) -> None:
    """Processes, not threads; one Dask thread, OpenCV and the BLAS/OpenMP pools at one thread."""
    from distributed import Client

    with Client(scheduler) as client:
        info = client.run(worker_threads)
        assert len(info) == 2 and all(w["nthreads"] == 1 for w in client.scheduler_info()["workers"].values())
        assert all(i["OMP_NUM_THREADS"] == "1" and i["OPENBLAS_NUM_THREADS"] == "1" for i in info.values())
        after_task = client.submit(lambda: (single_threaded(), worker_threads())[1], pure=False).result()
    assert after_task["opencv_threads"] == 1


def test_single_thread_decoding_gives_the_same_series(videos: list[SyntheticVideo]) -> None:
    video = videos[0]
    rois = list(video.rois.values())
    threaded = motion_energy(video.path, rois)
    assert_same_series(motion_energy(video.path, rois, single_thread=True), threaded)


def test_expand_videos_folder_glob_and_nothing(videos: list[SyntheticVideo], tmp_path: Path) -> None:
    folder = videos[0].path.parent
    assert expand_videos(str(folder)) == sorted(str(v.path) for v in videos)
    assert expand_videos(str(folder / "*b1.mp4")) == [str(videos[1].path)]
    with pytest.raises(InvalidInput, match="No video matches"):
        expand_videos(str(tmp_path / "*.mp4"))


@pytest.fixture
def workspace(
    videos: list[SyntheticVideo], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, Path]:
    """A database with three sessions, two of them with stored regions, and their media folder."""
    media = tmp_path / "media"
    media.mkdir()
    for v in videos:
        shutil.copy(v.path, media / v.path.name)
    monkeypatch.setenv("OBSERVE_MEDIA", str(media))
    db = f"sqlite:///{tmp_path / 'batch.db'}"
    store = Store.open(db)
    store.add_client("K01")
    store.add_counselor("C01")
    day = dt.date(2026, 3, 2)
    for i, v in enumerate(videos):
        store.add_session("K01", "C01", date=day, video_ref=v.path.name)
        if i < 2:
            code = store.sessions()[-1].code
            sync.save_rois(store, code, [r for r in v.rois.values() if not r.is_background])
    store.close()
    return db, media


def test_cli_batch_stores_each_sessions_series_for_its_synchrony_page(
    workspace: tuple[str, Path],
    videos: list[SyntheticVideo],
    scheduler: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, media = workspace
    code = main(["motion", "--batch", str(media), "--scheduler", scheduler, "--db", db, "--json"])
    out, err = capsys.readouterr()
    assert err == ""  # no progress bar off a terminal: the JSON stays clean
    report = json.loads(out)
    assert code == 1  # the third session has no regions: reported, the others done
    rows = {r["session"]: r for r in report["videos"]}
    assert (report["n_videos"], report["n_failed"]) == (3, 1)
    assert rows["K01-S01"]["status"] == rows["K01-S02"]["status"] == "computed"
    assert rows["K01-S03"]["status"] == "failed" and "no regions" in rows["K01-S03"]["error"]
    assert rows["K01-S01"]["samples"] == videos[0].n_frames - 1

    # the Synchrony page now reads the batch result instead of computing
    def must_not_run(*args: object, **kwargs: object) -> pd.DataFrame:
        raise AssertionError("motion energy computed although the batch stored it")

    monkeypatch.setattr(sync, "motion_energy", must_not_run)
    store = Store.open(db)
    try:
        params = SynchronyParams(lag_s=1, win_s=4, inc_s=2, n_surrogates=0)
        result = sync.session_synchrony(store, "K01-S01", sync_params=params, partners=False)
        stored_rois = sync.session_rois(store.session("K01-S01"))
    finally:
        store.close()
    assert result.cache_hit
    serial = motion_energy(media / videos[0].path.name, stored_rois)
    assert result.motion is not None
    pd.testing.assert_frame_equal(result.motion, serial, check_exact=False, rtol=1e-12)

    # a second run finds them cached and computes only what is missing
    code = main(["motion", "--batch", str(media), "--scheduler", scheduler, "--db", db, "--json"])
    rows = {r["session"]: r for r in json.loads(capsys.readouterr().out)["videos"]}
    assert [rows[s]["status"] for s in ("K01-S01", "K01-S02", "K01-S03")] == ["cached", "cached", "failed"]


def test_cli_batch_with_regions_writes_csvs_and_text_summary(
    workspace: tuple[str, Path],
    videos: list[SyntheticVideo],
    scheduler: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, media = workspace
    r = videos[0].rois
    roi_args = [
        a
        for name in ("counselor_head", "client_head")
        for a in ("--roi", f"{name}={r[name].x},{r[name].y},{r[name].w},{r[name].h}")
    ]
    out_dir = tmp_path / "series"
    code = main(
        [
            "motion",
            "--batch",
            str(media / "*.mp4"),
            *roi_args,
            "-o",
            str(out_dir),
            "--scheduler",
            scheduler,
            "--db",
            db,
        ]
    )
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert "3 of 3 videos done, 0 failed" in out
    written = pd.read_csv(out_dir / f"{videos[2].path.name}.csv")
    assert list(written.columns) == ["time_s", "counselor_head", "client_head"]
    assert len(written) == videos[2].n_frames - 1


def test_cli_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert (
        main(["motion", "--batch", str(tmp_path / "none*.mp4"), "--db", f"sqlite:///{tmp_path / 'x.db'}"])
        == 2
    )
    assert "No video matches" in capsys.readouterr().err
    assert main(["motion", "-o", str(tmp_path / "x.csv")]) == 2
    assert "--batch" in capsys.readouterr().err


# --------------------------------------------------------------------------- terminal progress


class FakeTerminal(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_bar_only_on_a_terminal() -> None:
    err = io.StringIO()
    assert terminal_progress("x", stdout=FakeTerminal(False), stream=err) is None
    show = terminal_progress("motion", stdout=FakeTerminal(True), stream=err)
    assert show is not None
    for done in (0, 1, 1, 2):
        show(done, 2)
    assert (
        err.getvalue()
        == "\r" + bar("motion", 0, 2) + "\r" + bar("motion", 1, 2) + "\r" + bar("motion", 2, 2) + "\n"
    )


def test_cli_single_video_shows_progress_on_a_terminal_only(
    videos: list[SyntheticVideo],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    v = videos[0]
    args = [
        "motion",
        str(v.path),
        "--roi",
        "client_head="
        + ",".join(
            str(x)
            for x in (
                v.rois["client_head"].x,
                v.rois["client_head"].y,
                v.rois["client_head"].w,
                v.rois["client_head"].h,
            )
        ),
    ]
    assert main([*args, "-o", str(tmp_path / "a.csv")]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    assert main([*args, "-o", str(tmp_path / "b.csv")]) == 0
    err = capsys.readouterr().err
    frames = v.n_frames
    assert f"] {frames}/{frames}\n" in err and err.count("\r") > 2
