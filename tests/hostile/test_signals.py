"""SIGTERM and SIGHUP (an SSH drop) stop animetui like Ctrl-C: the paid answer in flight is kept.

A real ``animetui generate --wait`` process talks to AnimeAPI played by the hostile server, which
holds its answer back. The signal arrives while the paid request is on the wire; the answer is
let go only once the process has said it is stopping (a line on stderr — an event, not a sleep).
The journal must then hold the image URL (job ``downloading``), the process must end within the
stop grace, and the next start (``animetui jobs watch``) saves the picture without paying again.

The TUI is run in a pseudo-terminal the same way (the job queued earlier, the TUI sending it):
after the signal the terminal must be back to normal — out of the alternate screen, mouse
reporting off, canonical mode and echo on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from animetui.models import JobState
from animetui.store import JobJournal, default_path

from .fake_animeapi import FakeAnimeAPI

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")

MARKER = "received, stopping"


def _journal_jobs() -> list:
    journal = JobJournal(default_path(Path(os.environ["ANIMETUI_DATA_DIR"])))
    try:
        return journal.list()
    finally:
        journal.close()


def _read_until(stream, marker: str) -> list[str]:
    """Lines of ``stream`` up to and including the first holding ``marker`` (all of them on EOF)."""
    lines = []
    for line in stream:
        lines.append(line)
        if marker in line:
            break
    return lines


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_cli_generate_stopped_by_a_signal_journals_the_paid_answer(hostile, point_at, cli, sig):
    api = FakeAnimeAPI(hostile, hold=True)
    point_at(hostile)
    proc = subprocess.Popen(
        [sys.executable, "-m", "animetui", "generate", "a fox in the snow", "--wait"],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert api.arrived.wait(60), "the generate request never reached the server"
        proc.send_signal(sig)
        said = _read_until(proc.stderr, MARKER)
        assert said and MARKER in said[-1], f"no word of stopping; the process said: {''.join(said)!r}"
        api.release()  # the paid answer comes back only now, while animetui is stopping
        out, rest = proc.communicate(timeout=60)
    finally:
        api.release()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = "".join(said) + rest
    assert proc.returncode == 128 + sig, stderr
    assert "Traceback" not in stderr
    (job,) = _journal_jobs()
    assert job.state is JobState.DOWNLOADING, (job.state, job.error)
    assert job.result_url == api.image_url and job.balance_usd == 9.5  # the answer was recorded
    assert api.generate_requests() == 1

    code, _out, err = cli("jobs", "watch")  # the next start fetches what was paid for
    assert code == 0, err
    (job,) = _journal_jobs()
    assert job.state is JobState.SUCCEEDED, job.error
    with Image.open(job.result_path) as image:
        assert image.size == (64, 48)
    assert api.generate_requests() == 1  # never paid twice


# --------------------------------------------------------------------------- the TUI in a pty
def _queue_a_generate_job() -> str:
    """A job the user queued earlier (e.g. from the TUI before a restart): the TUI sends it."""
    from animetui.models import Job, JobKind

    journal = JobJournal(default_path(Path(os.environ["ANIMETUI_DATA_DIR"])))
    now = time.time()
    job = Job(
        id="feedc0ffee01",
        kind=JobKind.GENERATE,
        provider="animeapi",
        params={"prompt": "a fox in the snow", "orientation": "portrait", "allow_nsfw": False, "enhance": True},
        state=JobState.QUEUED,
        created_at=now,
        updated_at=now,
    )
    try:
        journal.insert(job)
    finally:
        journal.close()
    return job.id


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_tui_stopped_by_a_signal_restores_the_terminal_and_keeps_the_paid_answer(hostile, point_at, cli, sig):
    import fcntl
    import pty
    import struct
    import termios
    import threading

    api = FakeAnimeAPI(hostile, hold=True)
    point_at(hostile)
    _queue_a_generate_job()
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    before = termios.tcgetattr(slave)
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    env.pop("TEXTUAL_ANIMATIONS", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "animetui", "--renderer", "none"],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True,
    )
    os.close(slave)
    output = bytearray()
    seen = threading.Condition()

    def pump() -> None:  # keep the pty drained (a full pty would block the app's writes)
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            with seen:
                if not data:
                    seen.notify_all()
                    return
                output.extend(data)
                seen.notify_all()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        assert api.arrived.wait(30), "the TUI never sent the queued job: " + output.decode(errors="replace")[-500:]
        with seen:  # the app owns the terminal: alternate screen, mouse on, raw mode
            assert seen.wait_for(lambda: b"\x1b[?1049h" in output and b"\x1b[?1000h" in output, timeout=60)
        raw = termios.tcgetattr(master)
        assert not raw[3] & termios.ICANON and not raw[3] & termios.ECHO
        proc.send_signal(sig)
        with seen:
            assert seen.wait_for(lambda: MARKER.encode() in output, timeout=60), output.decode(errors="replace")[-800:]
            at_marker = len(output)
        after = termios.tcgetattr(master)  # already given back, while the paid answer is still out
        api.release()
        proc.wait(timeout=60)
        reader.join(timeout=10)
    finally:
        api.release()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = bytes(output)
    head = text[:at_marker]
    assert head.rfind(b"\x1b[?1049l") > head.rfind(b"\x1b[?1049h"), "still in the alternate screen"
    assert head.rfind(b"\x1b[?1000l") > head.rfind(b"\x1b[?1000h"), "mouse reporting still on"
    assert after[3] & termios.ICANON and after[3] & termios.ECHO, "canonical mode / echo not restored"
    assert after[3] == before[3]
    assert proc.returncode == 128 + sig, text.decode(errors="replace")[-800:]
    assert b"Traceback" not in text
    (job,) = _journal_jobs()
    assert job.state is JobState.DOWNLOADING and job.result_url == api.image_url, (job.state, text[at_marker:])

    code, _out, err = cli("jobs", "watch")
    assert code == 0, err
    (job,) = _journal_jobs()
    assert job.state is JobState.SUCCEEDED and Path(job.result_path).is_file()
    assert api.generate_requests() == 1


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc to see where the app's stderr points")
def test_tui_after_an_ssh_drop_still_journals_the_paid_answer(hostile, point_at, cli):
    """The terminal itself goes away (the pty's master side closes, as sshd does), then SIGHUP.
    Every write to the terminal now fails: the app must swap it for /dev/null and still stop
    the job runner with its grace, not hang on (or die of) its output."""
    import fcntl
    import pty
    import struct
    import termios
    import threading

    api = FakeAnimeAPI(hostile, hold=True)
    point_at(hostile)
    _queue_a_generate_job()
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "animetui", "--renderer", "none"],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True,
    )
    os.close(slave)
    drained = threading.Event()

    def pump() -> None:
        while True:
            try:
                if not os.read(master, 65536):
                    break
            except OSError:
                break
        drained.set()

    threading.Thread(target=pump, daemon=True).start()
    try:
        assert api.arrived.wait(30), "the TUI never sent the queued job"
        os.close(master)  # the connection is gone: the terminal hangs up
        master = -1
        proc.send_signal(signal.SIGHUP)
        stderr_link = f"/proc/{proc.pid}/fd/2"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the event: the app gave up the dead terminal for /dev/null
            try:
                if os.readlink(stderr_link) == os.devnull:
                    break
            except OSError:
                break  # the process is gone (killed by the signal: the old behaviour)
            time.sleep(0.01)
        assert proc.poll() is None, f"the app died at once (exit {proc.returncode})"
        api.release()
        assert proc.wait(timeout=60) == 128 + signal.SIGHUP
    finally:
        api.release()
        if master >= 0:
            os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    (job,) = _journal_jobs()
    assert job.state is JobState.DOWNLOADING and job.result_url == api.image_url, (job.state, job.error)
    code, _out, err = cli("jobs", "watch")
    assert code == 0, err
    (job,) = _journal_jobs()
    assert job.state is JobState.SUCCEEDED and Path(job.result_path).is_file()
    assert api.generate_requests() == 1
