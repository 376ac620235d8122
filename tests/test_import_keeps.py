"""Issue 11: an import adds calls and adds or updates deadlines; it never removes one."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import ACCELERATOR_2027 as ACCELERATOR

AS_OF = ("--as-of", "2026-12-10")


def _write(fw_env, text: str = ACCELERATOR) -> None:
    with open(fw_env["FUNDWATCH_FILE"], "w", encoding="utf-8") as f:
        f.write(text)


def _ats(fw):
    r = fw("list", "--format", "json", *AS_OF)
    return {c["id"]: [(d["at"], d["label"]) for d in c["deadlines"]] for c in json.loads(r.out)}


THREE = [
    ("2027-01-07T17:00:00+01:00", "Cut-off 1"),
    ("2027-03-04T17:00:00+01:00", "Cut-off 2"),
    ("2027-09-02T17:00:00+02:00", "Cut-off 3"),
]


def test_a_window_of_upcoming_deadlines_removes_nothing(fw, fw_env):
    """The issue's case: `upcoming --within 40d --format json | fundwatch import -`."""
    _write(fw_env)
    before = Path(fw_env["FUNDWATCH_FILE"]).read_bytes()
    window = fw("upcoming", "--within", "40d", "--format", "json", *AS_OF)
    assert [row["label"] for row in json.loads(window.out)] == ["Cut-off 1"]
    for dry in ((), ("--dry-run",)):
        r = fw("import", "-", *dry, *AS_OF, input=window.out)
        assert r.code == 0, r.err
        assert "portal" not in r.out + r.err
        assert "no longer" not in r.out
        assert r.out.splitlines()[0].startswith("standard input: 1 call, 0 ")
        assert "1 unchanged" in r.out
    assert Path(fw_env["FUNDWATCH_FILE"]).read_bytes() == before
    assert _ats(fw) == {"eic-accelerator-2027": THREE}


def test_a_source_that_leaves_deadlines_out_adds_and_moves_only(fw, fw_env, tmp_path):
    _write(fw_env)
    src = tmp_path / "cutoffs.json"
    src.write_text(json.dumps([{
        "title": "EIC Accelerator 2027",
        "identifier": "HORIZON-EIC-2027-ACCELERATOR-01",
        "deadlines": [{"at": "2027-03-11T17:00:00+01:00", "label": "Cut-off 2"},
                      {"at": "2027-10-06T17:00:00+02:00", "label": "Cut-off 4"}],
    }]), encoding="utf-8")  # fmt: skip
    dry = fw("import", str(src), "--dry-run", *AS_OF)
    real = fw("import", str(src), *AS_OF)
    assert real.code == dry.code == 0, real.err + dry.err
    assert real.out.splitlines()[0] == (
        "updated eic-accelerator-2027: Cut-off 2 deadline moved from 4 Mar 2027 17:00 to "
        "11 Mar 2027 17:00 (Brussels); new cut-off 4: 6 Oct 2027 17:00 (Brussels)"
    )
    # the dry run lists the same lines
    said = {"would add": "added", "would update": "updated"}
    assert [said[line[: line.index(" e")]] + line[line.index(" e") :]
            for line in dry.out.splitlines()[:-1]] == real.out.splitlines()[:-1]  # fmt: skip
    assert _ats(fw)["eic-accelerator-2027"] == [
        THREE[0],
        ("2027-03-11T17:00:00+01:00", "Cut-off 2"),
        THREE[2],
        ("2027-10-06T17:00:00+02:00", "Cut-off 4"),
    ]


def test_an_unlabelled_deadline_beside_others_is_added_not_a_replacement(fw, fw_env, tmp_path):
    # two unlabelled deadlines: which one the source's would replace cannot be told
    _write(fw_env, ACCELERATOR.replace(', label = "Cut-off 1"', "").replace(
        ', label = "Cut-off 2"', ""))  # fmt: skip
    src = tmp_path / "one.csv"
    src.write_text(
        "title,identifier,deadline\n"
        "EIC Accelerator 2027,HORIZON-EIC-2027-ACCELERATOR-01,20/01/2027 17:00\n",
        encoding="utf-8",
    )
    r = fw("import", str(src), *AS_OF)
    assert r.code == 0, r.err
    assert r.out.splitlines()[0] == (
        "updated eic-accelerator-2027: new deadline: 20 Jan 2027 17:00 (Brussels)"
    )
    assert len(_ats(fw)["eic-accelerator-2027"]) == 4
    # the one unlabelled deadline of a call, and one in the source: that one moved
    _write(fw_env, ACCELERATOR.replace(', label = "Cut-off 1"', ""))
    r = fw("import", str(src), *AS_OF)
    assert r.out.splitlines()[0] == (
        "updated eic-accelerator-2027: deadline moved from 7 Jan 2027 17:00 to 20 Jan 2027 "
        "17:00 (Brussels)"
    )
    assert len(_ats(fw)["eic-accelerator-2027"]) == 3


def test_an_identifier_in_another_case_is_the_same_call(fw, fw_env, tmp_path: Path) -> None:
    # `add` refuses it as a duplicate; an import must not make the duplicate either
    _write(fw_env)
    (tmp_path / "c.csv").write_text(
        "Title;Identifier;Deadline\n"
        "EIC Accelerator 2027;horizon-eic-2027-accelerator-01;Cut-off 4: 01/12/2027 17:00\n"
    )
    r = fw("import", str(tmp_path / "c.csv"), *AS_OF)
    assert r.code == 0, r.err
    assert r.out.startswith("updated eic-accelerator-2027: new cut-off 4"), r.out
    listed = json.loads(fw("list", "--format", "json", *AS_OF).out)
    assert [(c["id"], c["identifier"]) for c in listed] == [
        ("eic-accelerator-2027", "HORIZON-EIC-2027-ACCELERATOR-01")
    ]
