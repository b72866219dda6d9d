"""``python -m observe import``: a file or BORIS observation imported before is refused, in a dry
run exactly as in the real import, unless ``--new-copy``; ``sessions --format json`` shows where
each imported session came from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from observe.cli import main
from tests.conftest import shared_fixtures


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'imports.db'}"
    return str(request.getfixturevalue("workspace_postgres_url"))


def test_repeat_import_refused_in_dry_run_and_for_real_unless_new_copy(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path
) -> None:
    project = tmp_path / "project.boris"
    shutil.copy(shared_fixtures() / "boris" / "test.boris", project)
    status, out, err = run(capsys, "--db", db, "import", str(project), "--client", "B01")
    assert status == 0, err
    first = out
    status, out, _ = run(capsys, "--db", db, "sessions", "--format", "json")
    sources = {s["session"]: s["source"] for s in json.loads(out)}
    assert (
        "BORIS project.boris, observation observation #2: Description of observation #2" in sources.values()
    )
    assert "BORIS project.boris, observation offset neg" in sources.values()

    status, dry_out, dry_err = run(capsys, "--db", db, "import", str(project), "--client", "B01", "--dry-run")
    status_real, real_out, real_err = run(capsys, "--db", db, "import", str(project), "--client", "B01")
    assert status == status_real == 2 and dry_out == real_out == ""
    refusal = [line for line in real_err.splitlines() if line.startswith("observe: error: ")]
    assert refusal == [line for line in dry_err.splitlines() if line.startswith("observe: error: ")]
    assert len(refusal) == 1
    assert "project.boris was already imported as B01-S01, B01-S02" in refusal[0] and " on 20" in refusal[0]

    status, out, _ = run(
        capsys, "--db", db, "import", str(project), "--client", "B01", "--new-copy", "--dry-run"
    )
    assert status == 0 and out.startswith("would import")
    status, out, err = run(capsys, "--db", db, "import", str(project), "--client", "B01", "--new-copy")
    assert status == 0, err
    assert out == first  # the same events again, in new sessions
    status, out, _ = run(capsys, "--db", db, "sessions", "--format", "json")
    assert len(json.loads(out)) == 2 * len(sources)


def test_a_boris_observation_imported_before_names_its_own_session(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """BORIS's tabular export of observation #1, after the project was imported: refused in a dry
    run as for real, naming the session that observation became — not every session of the project."""
    db = f"sqlite:///{tmp_path / 'w.db'}"
    project = shared_fixtures() / "boris" / "test.boris"
    export = shared_fixtures() / "boris" / "boris-9.12.3-exports" / "observation1_tabular_events.tsv"
    assert run(capsys, "--db", db, "import", str(project), "--client", "B01")[0] == 0
    _, out, _ = run(capsys, "--db", db, "sessions", "--format", "json")
    (code,) = [s["session"] for s in json.loads(out) if s["source"].endswith("observation observation #1")]
    errors = []
    for extra in (["--dry-run"], []):
        status, out, err = run(capsys, "--db", db, "import", str(export), "--client", "B01", *extra)
        assert status == 2 and out == ""
        errors.append(err.strip().splitlines()[-1])
    assert errors[0] == errors[1]
    assert errors[0].startswith(
        f"observe: error: BORIS observation observation #1 was already imported as {code} on "
    )
