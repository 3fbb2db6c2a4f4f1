"""The SQLite job journal: every field round-trips, writes are compare-and-set, the schema is
versioned per component, and a commit survives the process being killed right after it."""

from __future__ import annotations

import dataclasses
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from animetui.models import Job, JobKind, JobState
from animetui.store import FILE_FORMAT, JobJournal, JournalError, connect, default_path, migrate


def make_job(job_id: str = "a1b2c3d4e5f6", *, created: float = 1000.0, state: JobState = JobState.QUEUED, **extra) -> Job:
    fields = dict(
        id=job_id,
        kind=JobKind.GENERATE,
        provider="animeapi",
        params={"prompt": "青い髪の少女 — blue hair", "orientation": "square", "allow_nsfw": False, "enhance": True},
        state=state,
        created_at=created,
        updated_at=created,
    )
    fields.update(extra)
    return Job(**fields)


@pytest.fixture
def journal(tmp_path):
    with JobJournal(default_path(tmp_path / "data")) as opened:
        yield opened


def test_every_field_round_trips(journal):
    job = make_job(
        state=JobState.SUCCEEDED,
        remote_id="task-9",
        attempts=2,
        result_url="https://cdn.example/x.webp",
        result_path="/tmp/x.webp",
        error="",
        cost_usd=0.009,
        balance_usd=9.981,
        finished_at=1010.5,
        submitted_at=1001.25,
    )
    journal.insert(job)
    assert journal.get(job.id) == job
    assert journal.get("nope") is None


def test_list_is_newest_first_and_filters_by_state(journal):
    journal.insert(make_job("old000000000", created=1.0))
    journal.insert(make_job("new000000000", created=3.0, state=JobState.RUNNING))
    journal.insert(make_job("mid000000000", created=2.0, state=JobState.FAILED))
    assert [j.id for j in journal.list()] == ["new000000000", "mid000000000", "old000000000"]
    assert [j.id for j in journal.list(states=[JobState.FAILED])] == ["mid000000000"]
    assert [j.id for j in journal.list(limit=1)] == ["new000000000"]
    assert [j.id for j, _owner in journal.active()] == ["old000000000", "new000000000"]


def test_update_is_compare_and_set_and_counts_revisions(journal):
    job = make_job()
    journal.insert(job, owner="me")
    running = dataclasses.replace(job, state=JobState.RUNNING, remote_id="task-1")
    assert journal.update(running, expect_state=JobState.QUEUED)
    assert journal.get(job.id).state is JobState.RUNNING
    assert journal.revisions() == {job.id: 2}
    # a second writer that still believes "queued" loses
    assert not journal.update(job, expect_state=JobState.QUEUED)
    assert journal.get(job.id).state is JobState.RUNNING
    assert journal.owner_of(job.id) == "me"


def test_claim_lets_exactly_one_runner_adopt(journal):
    journal.insert(make_job(), owner="dead")
    assert journal.claim("a1b2c3d4e5f6", "runner-a", replacing="dead")
    assert not journal.claim("a1b2c3d4e5f6", "runner-b", replacing="dead")
    assert journal.owner_of("a1b2c3d4e5f6") == "runner-a"
    assert journal.release("runner-a") == 1
    assert journal.owner_of("a1b2c3d4e5f6") is None
    assert journal.claim("a1b2c3d4e5f6", "runner-b", replacing=None)


def test_claim_many_in_one_transaction(journal):
    for n in range(5):
        journal.insert(make_job(f"job{n:09d}"), owner="dead" if n < 4 else "alive")
    ids = [f"job{n:09d}" for n in range(5)]
    assert journal.claim_many(ids, "me", replacing="dead") == ids[:4]
    assert journal.claim_many(ids, "other", replacing="dead") == []
    assert [journal.owner_of(i) for i in ids] == ["me"] * 4 + ["alive"]


def test_delete_and_get_many(journal):
    for n in range(3):
        journal.insert(make_job(f"job{n:09d}", created=float(n)))
    assert journal.delete("job000000001")
    assert not journal.delete("job000000001")
    assert sorted(j.id for j in journal.get_many(["job000000000", "job000000001", "job000000002"])) == [
        "job000000000",
        "job000000002",
    ]


def test_duplicate_id_is_a_journal_error(journal):
    journal.insert(make_job())
    with pytest.raises(JournalError, match="cannot write the job journal"):
        journal.insert(make_job())


def test_wal_full_sync_and_versions(journal):
    conn = sqlite3.connect(journal.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == FILE_FORMAT
    assert conn.execute("SELECT version FROM schema_versions WHERE component='jobs'").fetchone()[0] == 1
    conn.close()
    assert journal._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert oct(journal.path.stat().st_mode & 0o777) == "0o600"


def test_another_component_migrates_beside_the_journal(tmp_path):
    path = tmp_path / "animetui.db"
    journal = JobJournal(path)
    journal.insert(make_job())
    conn = connect(path)
    history = ("CREATE TABLE history (id INTEGER PRIMARY KEY, query TEXT)", "ALTER TABLE history ADD COLUMN at REAL")
    assert migrate(conn, "history", history[:1]) == 1
    assert migrate(conn, "history", history) == 2  # upgrades one step
    assert migrate(conn, "history", history) == 2  # idempotent
    conn.close()
    journal.close()
    reopened = JobJournal(path)
    assert reopened.schema_version == 1
    assert reopened.get("a1b2c3d4e5f6") is not None
    reopened.close()


def test_a_failed_migration_step_leaves_the_old_schema(tmp_path):
    conn = connect(tmp_path / "animetui.db")
    steps = ("CREATE TABLE t (a INTEGER)", "ALTER TABLE t ADD COLUMN b INTEGER; THIS IS NOT SQL")
    with pytest.raises(sqlite3.Error):
        migrate(conn, "thing", steps)
    assert conn.execute("SELECT version FROM schema_versions WHERE component='thing'").fetchone()[0] == 1
    assert [r[1] for r in conn.execute("PRAGMA table_info(t)")] == ["a"]


def test_newer_files_are_refused_not_downgraded(tmp_path):
    path = tmp_path / "animetui.db"
    JobJournal(path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schema_versions SET version = 99 WHERE component = 'jobs'")
    conn.commit()
    conn.close()
    with pytest.raises(JournalError, match="newer animetui"):
        JobJournal(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 42")
    conn.commit()
    conn.close()
    with pytest.raises(JournalError, match="file format 42"):
        JobJournal(path)


def test_a_corrupt_file_gets_a_clear_message(tmp_path):
    path = tmp_path / "animetui.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(JournalError, match="damaged .*do not delete or replace it") as info:
        JobJournal(path)
    assert "move it aside" not in str(info.value), "moving the journal aside would hide paid jobs"


def test_rows_from_a_newer_version_are_skipped(journal):
    journal.insert(make_job())
    journal._conn.execute("UPDATE jobs SET state = 'teleporting'")
    assert journal.list() == []
    assert journal.get("a1b2c3d4e5f6") is None


def test_data_version_sees_other_connections_only(journal):
    before = journal.data_version()
    journal.insert(make_job())
    assert journal.data_version() == before
    other = JobJournal(journal.path)
    other.insert(make_job("fromelsewhere"))
    other.close()
    assert journal.data_version() != before


def test_a_commit_survives_sigkill_right_after_it(tmp_path):
    path = tmp_path / "animetui.db"
    script = textwrap.dedent(
        f"""
        import os, signal
        from animetui.models import Job, JobKind, JobState
        from animetui.store import JobJournal
        journal = JobJournal({str(path)!r})
        journal.insert(Job(id="killed000001", kind=JobKind.CARTOONIZE, provider="ailab",
                           params={{"source": "/x.jpg", "style": 2}}, state=JobState.SUBMITTING,
                           created_at=1.0, updated_at=1.0))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == -9, result.stderr.decode()
    journal = JobJournal(path)
    job = journal.get("killed000001")
    assert job is not None and job.state is JobState.SUBMITTING
    assert job.params == {"source": "/x.jpg", "style": 2}
    journal.close()


def test_default_path_is_in_the_data_dir(tmp_path):
    assert default_path(tmp_path) == tmp_path / "jobs.sqlite3"
    assert Path(default_path(tmp_path)).name == "jobs.sqlite3"
