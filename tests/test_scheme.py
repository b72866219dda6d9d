"""The coding scheme (observe/scheme): the shipped default against DOMAIN §1–2, errors that
name the file and line, valence profiles, hotkeys, (de)serialisation and the cheat-sheet."""

from __future__ import annotations

import csv
import io
import math
import shutil
from pathlib import Path

import pytest

from observe.errors import SchemeError
from observe.scheme import CodingScheme, Hotkey, default_scheme, load_scheme
from observe.scheme.load import DATA_DIR
from observe.scheme.sheet import SHEET_COLUMNS, cheat_sheet

SCHEME = default_scheme()
CUES_CSV = DATA_DIR / "default.cues.csv"


# -- the default scheme ----------------------------------------------------------------------------------


def test_default_scheme_has_the_54_cues_of_domain_section_1() -> None:
    assert len(SCHEME.cues) == 54
    assert SCHEME.subject_codes == ("client", "counselor")
    assert [c.code for c in SCHEME.channels] == ["FACE", "GAZE", "TRUNK", "ARMS", "SIT", "POINT", "PROCESS"]
    assert [c.code for c in SCHEME.channels if c.exhaustive] == ["FACE", "GAZE", "TRUNK", "ARMS", "SIT"]
    per_channel = {ch.code: sum(c.channel == ch.code for c in SCHEME.cues) for ch in SCHEME.channels}
    assert per_channel == {"FACE": 7, "GAZE": 7, "TRUNK": 6, "ARMS": 6, "SIT": 6, "POINT": 7, "PROCESS": 15}
    assert {m.code: m.values for m in SCHEME.modifiers} == {
        "intensity": ("1", "2", "3"),
        "context": ("K", "C"),
    }


def test_every_cue_is_labelled_in_english_and_indonesian() -> None:
    for cue in SCHEME.cues:
        assert cue.labels["en"].strip() and cue.labels["id"].strip(), cue.code
    for item in (*SCHEME.subjects, *SCHEME.channels, *SCHEME.modifiers):
        assert item.labels["en"].strip() and item.labels["id"].strip(), item.code
    assert SCHEME.titles["en"] != SCHEME.titles["id"]


def test_no_hotkey_clash_per_subject_and_every_cue_has_a_key() -> None:
    for subject in SCHEME.subject_codes:
        keyed = [c for c in SCHEME.cues_for(subject) if subject in c.keys]
        assert len(SCHEME.keymap(subject)) == len(keyed)
        assert len({c.keys[subject] for c in keyed}) == len(keyed)
    for cue in SCHEME.cues:
        assert cue.keys, f"{cue.code} has no key for anybody"


def test_not_visible_codes_have_missing_valence_and_one_per_exhaustive_channel() -> None:
    for channel in ("FACE", "GAZE", "TRUNK", "ARMS", "SIT"):
        for subject in SCHEME.subject_codes:
            nv = SCHEME.not_visible_cue(channel, subject)
            assert nv is not None and nv.code == f"{channel[0]}_NV"
            assert math.isnan(nv.valences[subject])  # NA, never 0


@pytest.mark.parametrize(
    ("cue", "subject", "label"),
    [
        ("G_EYE", "client", "e"),
        ("G_EYE", "counselor", "Shift+E"),
        ("CR_TOPIC", "counselor", "Shift+["),
        ("D_STRENGTH", "client", "\\"),
        ("D_STRENGTH", "counselor", "Shift+\\"),
        ("F_NV", "counselor", "Shift+1"),
        ("R3_REFUSE", "client", ","),
        ("CR_STRENGTH", "counselor", "Shift+,"),
        ("P_TEARS", "client", "-"),
    ],
)
def test_keyboard_event_labels(cue: str, subject: str, label: str) -> None:
    assert SCHEME.cue(cue).keys[subject].label == label


def test_subjects_of_one_sided_cues() -> None:
    assert SCHEME.cue("G_STARE").subjects == ("counselor",)
    assert SCHEME.cue("R3_REFUSE").subjects == ("client",)
    assert set(SCHEME.cue("CR_REFER").subjects) == {"counselor"}
    assert set(SCHEME.cue("D_STRENGTH").subjects) == {"client", "counselor"}


# -- hotkeys ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "shift"),
    [
        ("g", "KeyG", False),
        ("G", "KeyG", False),
        ("Shift+G", "KeyG", True),
        ("shift+g", "KeyG", True),
        ("5", "Digit5", False),
        ("Shift+[", "BracketLeft", True),
        ("'", "Quote", False),
        ("\\", "Backslash", False),
    ],
)
def test_hotkey_parse(text: str, code: str, shift: bool) -> None:
    assert Hotkey.parse(text) == Hotkey(code, shift)
    assert Hotkey.parse(Hotkey.parse(text).label) == Hotkey(code, shift)  # label round trip


@pytest.mark.parametrize("text", ["", "gg", "Shift+", "Ctrl+G", "é", "`", "Shift+`", " "])
def test_hotkey_parse_refuses(text: str) -> None:
    with pytest.raises(SchemeError):
        Hotkey.parse(text)


# -- valence profiles (DOMAIN §2) -------------------------------------------------------------------------------


def test_default_valences() -> None:
    v = SCHEME.valences()
    assert v[("client", "G_EYE")] == 1.0 and v[("client", "G_DOWN")] == -1.0
    assert v[("counselor", "G_STARE")] == -1.0
    assert v[("client", "S_RESTLESS")] == 0.0 and v[("counselor", "S_RESTLESS")] == -1.0
    assert math.isnan(v[("client", "G_NV")])
    assert ("client", "G_STARE") not in v  # not a client cue: absent, so NA for analyses
    assert math.isnan(v[("counselor", "CR_TOPIC")])


def test_cultural_profile_changes_g_down_for_the_client_only() -> None:
    base = SCHEME.valences()
    cultural = SCHEME.valences("cultural")
    assert cultural[("client", "G_DOWN")] == 0.0
    assert cultural[("counselor", "G_DOWN")] == -1.0
    changed = {k for k in base if not _same(base[k], cultural[k])}
    assert changed == {("client", "G_DOWN")}


def test_special_needs_profile() -> None:
    base = SCHEME.valences()
    special = SCHEME.valences("special_needs")
    changed = {k for k in base if not _same(base[k], special[k])}
    assert changed == {("client", "G_DOWN"), ("client", "G_AWAY"), ("client", "P_LOOKAWAY_Q")}
    assert all(special[k] == 0.0 for k in changed)


def test_overrides_win_over_the_profile() -> None:
    v = SCHEME.valences("cultural", {"G_DOWN": -1, "T_SLUMP": -1})
    assert v[("client", "G_DOWN")] == -1.0 and v[("client", "T_SLUMP")] == -1.0
    assert v[("counselor", "G_DOWN")] == -1.0


def test_unknown_profile_or_override_cue_is_refused() -> None:
    with pytest.raises(SchemeError) as info:
        SCHEME.valences("optimistic")
    assert info.value.key == "scheme.unknown_profile"
    with pytest.raises(SchemeError):
        SCHEME.valences("default", {"G_NOPE": 0})


def test_valence_hash_differs_by_profile_and_is_stable() -> None:
    assert SCHEME.valence_hash() == default_scheme().valence_hash()
    assert (
        len({SCHEME.valence_hash(), SCHEME.valence_hash("cultural"), SCHEME.valence_hash("special_needs")})
        == 3
    )


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


# -- (de)serialisation ---------------------------------------------------------------------------------------


def test_to_dict_from_dict_round_trip() -> None:
    data = SCHEME.to_dict()
    again = CodingScheme.from_dict(data)
    assert again.to_dict() == data
    assert [c.code for c in again.cues] == [c.code for c in SCHEME.cues]
    assert again.valences("special_needs").keys() == SCHEME.valences("special_needs").keys()
    assert all(_same(again.valences()[k], v) for k, v in SCHEME.valences().items())
    assert again.keymap("counselor") == SCHEME.keymap("counselor")
    import json

    assert CodingScheme.from_dict(json.loads(json.dumps(data))).to_dict() == data  # survives JSON


def test_from_dict_validates() -> None:
    data = SCHEME.to_dict()
    data["cues"][1]["keys"]["client"] = data["cues"][0]["keys"]["client"]
    with pytest.raises(SchemeError) as info:
        CodingScheme.from_dict(data)
    assert info.value.key == "scheme.key_clash"
    with pytest.raises(SchemeError) as info:
        CodingScheme.from_dict({"name": "x"})
    assert info.value.key == "scheme.malformed"


def test_next_version() -> None:
    v2 = SCHEME.next_version(titles={"en": "mine", "id": "milikku"})
    assert v2.version == SCHEME.version + 1 and v2.cues == SCHEME.cues


# -- broken scheme files: the error names the file and the line ----------------------------------------------------


def _copy_scheme(tmp_path: Path, name: str = "mine") -> tuple[Path, list[dict[str, str]], list[str]]:
    toml = tmp_path / f"{name}.toml"
    shutil.copy(DATA_DIR / "default.toml", toml)
    with CUES_CSV.open(encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows, fields = list(reader), list(reader.fieldnames or [])
    return toml, rows, fields


def _write_cues(toml: Path, rows: list[dict[str, str]], fields: list[str]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = toml.with_suffix(".cues.csv")
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _line(rows: list[dict[str, str]], code: str, nth: int = 0) -> int:
    """The file line of the nth row with ``code`` (line 1 is the header)."""
    return [i for i, r in enumerate(rows) if r["code"] == code][nth] + 2


def test_a_copy_of_the_default_files_loads(tmp_path: Path) -> None:
    toml, rows, fields = _copy_scheme(tmp_path)
    _write_cues(toml, rows, fields)
    assert load_scheme(toml) == SCHEME


def test_duplicate_code_names_file_and_line(tmp_path: Path) -> None:
    toml, rows, fields = _copy_scheme(tmp_path)
    rows.insert(30, dict(rows[3], key_client="", key_counselor=""))  # a second F_TENSE without keys
    _write_cues(toml, rows, fields)
    with pytest.raises(SchemeError) as info:
        load_scheme(toml)
    assert info.value.key == "scheme.duplicate_code"
    assert info.value.where == f"mine.cues.csv, line {_line(rows, 'F_TENSE', 1)}"
    assert str(info.value).startswith(f"mine.cues.csv, line {_line(rows, 'F_TENSE', 1)}: ")
    assert "F_TENSE" in str(info.value)


def test_hotkey_clash_within_a_subject_names_the_second_line(tmp_path: Path) -> None:
    toml, rows, fields = _copy_scheme(tmp_path)
    target = next(r for r in rows if r["code"] == "T_AWAY")
    target["key_counselor"] = "Shift+E"  # G_EYE's counselor key
    _write_cues(toml, rows, fields)
    with pytest.raises(SchemeError) as info:
        load_scheme(toml)
    assert info.value.key == "scheme.key_clash"
    assert info.value.params["subject"] == "counselor"
    assert {info.value.params["first"], info.value.params["second"]} == {"G_EYE", "T_AWAY"}
    assert info.value.where == f"mine.cues.csv, line {_line(rows, 'T_AWAY')}"


def test_same_key_for_two_subjects_is_fine(tmp_path: Path) -> None:
    toml, rows, fields = _copy_scheme(tmp_path)
    next(r for r in rows if r["code"] == "CR_TOPIC")["key_counselor"] = "e"  # the client's G_EYE key
    _write_cues(toml, rows, fields)
    assert load_scheme(toml).cue("CR_TOPIC").keys["counselor"] == Hotkey("KeyE")


def test_unknown_channel_names_the_line(tmp_path: Path) -> None:
    toml, rows, fields = _copy_scheme(tmp_path)
    next(r for r in rows if r["code"] == "A_GEST")["channel"] = "HANDS"
    _write_cues(toml, rows, fields)
    with pytest.raises(SchemeError) as info:
        load_scheme(toml)
    assert info.value.key == "scheme.unknown_channel"
    assert info.value.where == f"mine.cues.csv, line {_line(rows, 'A_GEST')}"
    assert "HANDS" in str(info.value)


@pytest.mark.parametrize("value", ["2", "maybe", "0.5", "+"])
def test_bad_valence_names_the_line(tmp_path: Path, value: str) -> None:
    toml, rows, fields = _copy_scheme(tmp_path)
    next(r for r in rows if r["code"] == "S_RIGID")["valence_client"] = value
    _write_cues(toml, rows, fields)
    with pytest.raises(SchemeError) as info:
        load_scheme(toml)
    assert info.value.key == "scheme.bad_valence"
    assert info.value.where == f"mine.cues.csv, line {_line(rows, 'S_RIGID')}"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"kind": "event"}, "scheme.bad_kind"),
        ({"key_client": "Ctrl+Q"}, "scheme.bad_key"),
        ({"key_client": "Shift+`"}, "scheme.reserved_key"),
        (
            {"key_client": "", "key_counselor": "", "valence_client": "", "valence_counselor": ""},
            "scheme.no_subject",
        ),
        ({"kind": "point"}, "scheme.point_in_exhaustive"),
    ],
)
def test_other_cue_errors_name_the_line(tmp_path: Path, change: dict[str, str], key: str) -> None:
    toml, rows, fields = _copy_scheme(tmp_path)
    next(r for r in rows if r["code"] == "F_SAD").update(change)
    _write_cues(toml, rows, fields)
    with pytest.raises(SchemeError) as info:
        load_scheme(toml)
    assert info.value.key == key
    assert info.value.where == f"mine.cues.csv, line {_line(rows, 'F_SAD')}"


def test_missing_cue_columns_and_missing_files(tmp_path: Path) -> None:
    toml, rows, fields = _copy_scheme(tmp_path)
    _write_cues(
        toml, [{k: v for k, v in r.items() if k != "kind"} for r in rows], [f for f in fields if f != "kind"]
    )
    with pytest.raises(SchemeError) as info:
        load_scheme(toml)
    assert info.value.key == "scheme.missing_columns" and info.value.where == "mine.cues.csv"
    toml.with_suffix(".cues.csv").unlink()
    with pytest.raises(SchemeError) as info:
        load_scheme(toml)
    assert info.value.key == "scheme.unreadable" and "mine.cues.csv" in str(info.value)
    with pytest.raises(SchemeError) as info:
        load_scheme(tmp_path / "absent.toml")
    assert "absent.toml" in str(info.value)


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    toml, rows, fields = _copy_scheme(tmp_path)
    _write_cues(toml, rows, fields)
    toml.write_text(toml.read_text() + "\n[[channel]\ncode = \n")
    with pytest.raises(SchemeError) as info:
        load_scheme(toml)
    assert info.value.key == "scheme.unreadable" and "mine.toml" in str(info.value)


def test_scheme_errors_have_indonesian_messages(tmp_path: Path) -> None:
    toml, rows, fields = _copy_scheme(tmp_path)
    next(r for r in rows if r["code"] == "A_GEST")["channel"] = "HANDS"
    _write_cues(toml, rows, fields)
    with pytest.raises(SchemeError) as info:
        load_scheme(toml)
    english, indonesian = info.value.message("en"), info.value.message("id")
    assert english != indonesian and "HANDS" in indonesian and "line" in indonesian


# -- the cheat-sheet ------------------------------------------------------------------------------------------------


def test_cheat_sheet_rows_and_columns() -> None:
    sheet = cheat_sheet(SCHEME)
    assert tuple(sheet.columns) == SHEET_COLUMNS
    assert len(sheet) == sum(len(c.subjects) for c in SCHEME.cues)
    row = sheet[(sheet.code == "CR_TOPIC") & (sheet.subject == "counselor")].iloc[0]
    assert (row.channel, row.kind, row.valence, row.key) == ("PROCESS", "point", "NA", "Shift+[")
    assert (row.label_en, row.label_id) == ("Changes topic", "Mengalihkan topik")
    eye = sheet[(sheet.code == "G_EYE") & (sheet.subject == "client")].iloc[0]
    assert (eye.key, eye.valence) == ("e", "+1")
    assert set(sheet.valence) <= {"+1", "0", "-1", "NA"}
    only = cheat_sheet(SCHEME, subject="client")
    assert set(only.subject) == {"client"} and "G_STARE" not in set(only.code)
