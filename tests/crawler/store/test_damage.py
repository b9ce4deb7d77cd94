"""The dataset survives damage (tests/damage.py has the cases): the next command refuses damage
with one line and an exit code and touches nothing, or goes on where the damage cannot be seen
cheaply; `corpus verify` names the damage; `corpus repair` plus a re-ingest of the inputs it
lists brings every record back; the environment's troubles (full disk, read-only folder, a lock
that is a folder, --out a file) are one line and a non-zero exit with nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from damage import CASES, MOUNTS, build_dataset, can_mount, message_is_one_line, run_case


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dataset(tmp_path_factory.mktemp("damage") / "corpus")


@pytest.mark.parametrize("name", list(CASES))
def test_damage(name: str, built: Path, tmp_path: Path) -> None:
    case = CASES[name]
    if name in MOUNTS and not can_mount():
        pytest.skip("needs to mount a file system (root)")
    dataset = tmp_path / "corpus"
    shutil.copytree(built, dataset)
    outcome = run_case(case, dataset)
    assert outcome.next_exit == case.next_exit, outcome
    if outcome.next_exit not in (0, -9):
        assert message_is_one_line(outcome) and outcome.next_message.startswith("corpus: error:")
    if case.next_exit == 4:
        assert "corpus verify" in outcome.next_message and "corpus repair" in outcome.next_message
    if case.refuses:
        assert outcome.touched == [], outcome
    assert outcome.verify_exit == case.verify_exit, outcome
    if case.verify_exit:
        assert outcome.verify_lines and outcome.verify_lines[-1].startswith("fix: corpus repair")
    assert outcome.repair_exit == 0, outcome
    assert outcome.reingest_exit in (None, 0), outcome
    assert outcome.lost_for_good == [], outcome  # repair + re-ingest brought every record back
    assert outcome.verify_after == 0, outcome
    if case.check is not None:
        case.check(outcome)


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["manifest cut short", "index rot"])
def test_a_crawl_refuses_a_damaged_dataset_in_one_line(
    built: Path, tmp_path: Path, damage: str
) -> None:
    from damage import cli, committed, flip_bytes

    dataset = tmp_path / "corpus"
    shutil.copytree(built, dataset)
    if damage == "index rot":
        flip_bytes(committed(dataset, "_index/inputs"))
    else:
        (dataset / "_manifest.json").write_text("{")
    files = sorted(p.name for p in dataset.rglob("*"))
    # refused under the lock, before anything is fetched
    result = cli("crawl", "http://127.0.0.1:9/", "--out", dataset, "--allow-private", "-q")
    assert result.code == 4, result
    assert result.message.startswith("corpus: error:") and "corpus repair" in result.message
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in dataset.rglob("*")) == files
