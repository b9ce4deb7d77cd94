"""The one run skeleton (`crawler.run.session.RunSession`): lock, recover, stage, finish, clean
up, for `corpus ingest`, the Prefect flow and the crawl alike."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from crawler.config import Settings
from crawler.errors import DatasetAccessError, DatasetLockedError
from crawler.run.session import RunSession
from crawler.store.dataset import Dataset


def test_the_session_holds_the_lock_and_cleans_up(tmp_path: Path) -> None:
    out = tmp_path / "c"
    with RunSession(out, Settings()) as session:
        staging = Path(session.ctx.staging)
        assert staging.is_dir()
        with pytest.raises(DatasetLockedError), Dataset(out).lock():
            pass  # another run cannot take the dataset meanwhile
        summary = session.finish([], 0, 0)
    assert not staging.exists()
    with Dataset(out).lock():  # released
        pass
    assert summary.added == 0
    assert Dataset(out).manifest()["runs"] == []  # a run that changed nothing: no entry


def test_stage_timings_go_into_the_summary(tmp_path: Path) -> None:
    with RunSession(tmp_path / "c", Settings()) as session:
        with session.timed("scan"):
            pass
        summary = session.finish([], 0, 0)
    assert "scan" in summary.seconds and "write_and_commit" in summary.seconds


def test_a_refused_write_is_an_access_error_naming_the_need(tmp_path: Path) -> None:
    """A full disk met in any stage is one DatasetAccessError (exit 5), with the size of the
    run's new inputs; the staging area is removed all the same."""
    staged: list[Path] = []
    with (
        pytest.raises(DatasetAccessError, match=r"no space left.*about 3\.0 MB"),
        RunSession(tmp_path / "c", Settings()) as session,
    ):
        staged.append(Path(session.ctx.staging))
        session.needed_bytes = lambda: 3_000_000
        raise OSError(errno.ENOSPC, "No space left on device")
    assert not staged[0].exists()


def test_other_errors_pass_through(tmp_path: Path) -> None:
    with (
        pytest.raises(OSError, match="not a write error"),
        RunSession(tmp_path / "c", Settings()),
    ):
        raise OSError(errno.EIO, "not a write error")


def test_a_staging_folder_of_its_own_is_kept(tmp_path: Path) -> None:
    """The crawl stages in its job folder, which outlives the run (a killed crawl resumes
    its staged batches); the run's own staging area goes."""
    job_staging = tmp_path / "job" / "staging"
    with RunSession(tmp_path / "c", Settings(), staging=job_staging) as session:
        assert session.ctx.staging == str(job_staging)
        (job_staging / "batch-00000.docs.parquet.staged").write_bytes(b"")
    assert (job_staging / "batch-00000.docs.parquet.staged").exists()
    assert not (tmp_path / "c" / "_staging").exists() or not any(
        (tmp_path / "c" / "_staging").iterdir()
    )


def test_the_context_exists_inside_the_session_only(tmp_path: Path) -> None:
    session = RunSession(tmp_path / "c", Settings())
    with pytest.raises(RuntimeError):
        session.ctx  # noqa: B018
