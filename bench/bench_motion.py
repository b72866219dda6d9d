"""Motion energy speed against the floor: decoding the same video with OpenCV (issue 8).

Targets: motion energy of a 640×360, 25 fps video with four ROIs (head and body of
two persons) runs at >= 60 % of the speed of merely decoding it with
``cv2.VideoCapture`` (``ratio = floor_s / ours_s``), and >= 10× faster than real
time (``ratio = video duration / ours_s``).

The video is generated here (:mod:`observe.video.synthetic`: H.264 through ffmpeg
when available, else OpenCV's mp4v, which this OpenCV both writes and reads).
Each timing is the best of a few alternating runs, because the machine is shared.

Run: ``python -m bench.bench_motion`` (``--quick`` for a short video).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cv2

from bench._common import print_rows, time_pair
from observe.video.motion import motion_energy
from observe.video.synthetic import make_synthetic_video

SIZE = (640, 360)
FPS = 25.0


def decode_only(path: Path) -> int:
    """The floor: read every frame with cv2.VideoCapture and do nothing with it."""
    cap = cv2.VideoCapture(str(path))
    n = 0
    try:
        while True:
            ok, _ = cap.read()
            if not ok:
                return n
            n += 1
    finally:
        cap.release()


def run(quick: bool = False) -> list[dict[str, object]]:
    """Time motion energy and decoding on one generated video; one row per target."""
    duration = 20.0 if quick else 120.0
    repeats = 3
    rows: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        video = make_synthetic_video(Path(tmp) / "bench.mp4", duration_s=duration, fps=FPS, size=SIZE)
        rois = [r for name, r in video.rois.items() if name != "background"]  # the four person ROIs
        decode_only(video.path)  # warm the file cache and codec
        ours_s, floor_s = time_pair(
            lambda: motion_energy(video.path, rois), lambda: decode_only(video.path), repeats, warm=False
        )
        label = f"{SIZE[0]}x{SIZE[1]} {FPS:g} fps {video.codec} {duration:g} s, 4 ROIs"
        rows.append(
            {
                "name": f"motion energy vs decode ({label})",
                "ours_s": round(ours_s, 4),
                "floor_s": round(floor_s, 4),
                "ratio": round(floor_s / ours_s, 3),
                "target": ">= 0.6 (speed relative to decoding)",
            }
        )
        rows.append(
            {
                "name": f"motion energy vs real time ({label})",
                "ours_s": round(ours_s, 4),
                "floor_s": duration,
                "ratio": round(duration / ours_s, 1),
                "target": ">= 10 (times faster than real time)",
            }
        )
    return rows


if __name__ == "__main__":
    print_rows(run(quick="--quick" in sys.argv))
