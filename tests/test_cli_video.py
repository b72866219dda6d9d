"""``python -m observe motion`` and ``python -m observe synchrony``: files in, CSV/JSON out, one-line errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from observe.cli import main
from observe.video.synthetic import SyntheticVideo, make_synthetic_video
from tests.conftest import shared_fixtures


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> SyntheticVideo:
    return make_synthetic_video(
        tmp_path_factory.mktemp("cli_video") / "s.mp4", duration_s=40, size=(192, 108), seed=2
    )


def roi_args(video: SyntheticVideo, *, background: bool = False) -> list[str]:
    out = []
    for name, r in video.rois.items():
        if background or not r.is_background:
            out += ["--roi", f"{name}={r.x},{r.y},{r.w},{r.h}"]
    return out


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_motion_then_synchrony_finds_the_delay(
    video: SyntheticVideo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "series.csv"
    code, stdout, err = run(capsys, "motion", str(video.path), *roi_args(video), "-o", str(out))
    assert (code, err) == (0, "")
    assert "999 samples at 25 per second" in stdout
    series = pd.read_csv(out)
    assert list(series.columns) == [
        "time_s",
        "counselor_head",
        "counselor_body",
        "client_head",
        "client_body",
    ]
    assert series["time_s"].iloc[0] == pytest.approx(0.04)
    short = ["--lag", "1", "--window", "6", "--step", "2"]
    code, stdout, err = run(capsys, "synchrony", str(out), *short, "--segment", "5", "--json")
    assert (code, err) == (0, "")
    report = json.loads(stdout)
    assert abs(report["summary"]["best_lag_median_s"] - video.expected_lag_s) <= 1 / 25  # within one frame
    assert report["params"]["fps"] == 25.0
    assert report["shuffle"]["n_exceeding"] == 0  # real synchrony above every shuffled surrogate
    assert "exploratory" in report["caveat"]
    # the text summary says who leads; 30 s segments do not fit 40 s: said, and the rest is shown
    code, stdout, _ = run(capsys, "synchrony", str(out), *short)
    assert code == 0 and "counselor leads" in stdout and "exploratory" in stdout
    assert "too short to shuffle 30.0 s segments" in stdout and "vs shuffled" not in stdout


def test_background_threshold(
    video: SyntheticVideo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "series.csv"
    code, stdout, err = run(
        capsys,
        "motion",
        str(video.path),
        *roi_args(video, background=True),
        "--threshold",
        "background",
        "--frame-step",
        "2",
        "-o",
        str(out),
    )
    assert (code, err) == (0, "")
    assert "at 12.5 per second" in stdout
    assert "background" in pd.read_csv(out).columns


def test_rmea_fixture_reproduces_rmea(capsys: pytest.CaptureFixture[str]) -> None:
    """rMEA's own result for its sample dyad 200_01 (golden.json, computed by rMEA 1.3.0 in R)."""
    root = shared_fixtures() / "rmea"
    golden = json.loads((root / "golden" / "golden.json").read_text())["dyads"]["normal_200_1"]
    code, stdout, err = run(
        capsys,
        "synchrony",
        str(root / "data" / "normal" / "200_01.txt"),
        "--rmea",
        "--surrogates",
        "0",
        "--json",
    )
    assert (code, err) == (0, "")
    report = json.loads(stdout)
    assert report["summary"]["grand_aver"] == pytest.approx(golden["grandAver"], abs=1e-9)
    assert report["summary"]["lag_zero_mean"] == pytest.approx(golden["lag_zero_mean"], abs=1e-9)
    assert [w["all_lags"] for w in report["windows"]] == pytest.approx(golden["all_lags"], abs=1e-9)
    assert "shuffle" not in report


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["synchrony", "{tmp}/missing.csv"], "cannot be read"),
        (["synchrony", "{tmp}/short.txt"], "use a shorter window or lag"),
        (["synchrony", "{tmp}/flat.txt", "--window", "2", "--lag", "0.5", "--step", "1"], "never changes"),
        (["synchrony", "{tmp}/bad.txt"], "Line 3 of bad.txt"),
        (["motion", "{video}", "--roi", "client_head=1,2,3", "-o", "{tmp}/o.csv"], "not valid"),
        (["motion", "{video}", "--roi", "client_head=150,0,100,20", "-o", "{tmp}/o.csv"], "outside"),
        (
            [
                "motion",
                "{video}",
                "--roi",
                "client=0,0,50,50",
                "--roi",
                "counselor=40,40,50,50",
                "-o",
                "{tmp}/o.csv",
            ],
            "overlap",
        ),
        (
            ["motion", "{tmp}/bad.txt", "--roi", "client_head=0,0,5,5", "-o", "{tmp}/o.csv"],
            "cannot be opened",
        ),
        (
            ["motion", "{video}", "--roi", "client_head=0,0,5,5", "--threshold", "x", "-o", "{tmp}/o.csv"],
            "threshold",
        ),
    ],
)
def test_errors_are_one_line_with_exit_status_2(
    argv: list[str], needle: str, video: SyntheticVideo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "short.txt").write_text('"pat" "th"\n' + "1 2\n3 4\n" * 200)
    (tmp_path / "flat.txt").write_text("".join(f"5 {i % 7}\n" for i in range(500)))
    (tmp_path / "bad.txt").write_text('"pat" "th"\n1 2\n3 x\n')
    args = [a.format(tmp=tmp_path, video=video.path) for a in argv]
    code, stdout, err = run(capsys, *args)
    assert code == 2 and stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("observe: error: "), err
    assert needle in lines[0]
    assert not (tmp_path / "o.csv").exists()  # nothing half-written


def test_motion_output_is_readable_by_synchrony_with_fps_checked(
    video: SyntheticVideo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "series.csv"
    assert main(["motion", str(video.path), *roi_args(video), "-o", str(out)]) == 0
    capsys.readouterr()
    code, _, err = run(capsys, "synchrony", str(out), "--fps", "30", "--surrogates", "0")
    assert code == 2 and "does not match" in err
    code, stdout, _ = run(
        capsys, "synchrony", str(out), "--fps", "25", "--lag", "1", "--window", "6", "--step", "2", "--json"
    )
    report = json.loads(stdout)
    assert report["n_samples"] == 999 and not any(
        isinstance(v, float) and math.isnan(v) for v in report["summary"].values()
    )
