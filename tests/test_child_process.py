"""run_script (book/_ext/child_process.py): the script's output, its errors, and no process
it started left running, neither by the helper alone nor after the book's examples."""

import os
import time
import uuid
from pathlib import Path

import pytest

from child_process import MARKER, ScriptFailed, run_script
from conftest import CHAPTERS

# Starts a grandchild that would sleep for a minute, then goes on as the test asks.
GRANDCHILD = """\
import subprocess, sys, time
sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(sleeper.pid, flush=True)
"""


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def gone(pid: int, seconds: float = 5) -> bool:
    """A killed orphan is reaped by init a moment later: wait for that, briefly."""
    deadline = time.monotonic() + seconds
    while running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def listening_inodes() -> dict[str, str]:
    """{socket inode: local address} of every listening TCP socket."""
    sockets = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                sockets[fields[9]] = fields[1]
    return sockets


def survivors(token: str) -> list[str]:
    """Every process still running that a run_script called with MARKER=token started
    (they all inherit it), with the ports it listens on."""
    listening = listening_inodes()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or not running(int(proc.name)):
            continue
        try:
            if f"{MARKER}={token}".encode() not in (proc / "environ").read_bytes().split(b"\0"):
                continue
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            sockets = [os.readlink(fd) for fd in (proc / "fd").iterdir()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        ports = [listening[s[8:-1]] for s in sockets if s[8:-1] in listening]
        found.append(f"{proc.name}: {command} listening on {ports}")
    return found


def test_prints_what_the_script_printed_with_the_books_settings(capsys):
    run_script(
        "import os\nprint(os.environ['TF_ENABLE_ONEDNN_OPTS'], os.environ['MODE'])", {"MODE": "x"}
    )
    assert capsys.readouterr().out == "0 x\n"


def test_a_script_that_imports_both_frameworks_gets_triton_first(capsys):
    # Only the text decides: this script mentions `import tensorflow` and torch, imports neither.
    run_script("# import tensorflow after torch\nprint(open(__file__).read().split()[0])")
    assert capsys.readouterr().out == "try:\n"


def test_a_failing_script_raises_with_its_stderr_after_its_output(capsys):
    with pytest.raises(ScriptFailed, match=r"exited with 1; stderr:\n(.|\n)*ZeroDivisionError"):
        run_script("print('before')\n1 / 0")
    assert capsys.readouterr().out == "before\n"


def test_a_grandchild_does_not_outlive_the_script(capsys):
    run_script(GRANDCHILD)
    assert gone(int(capsys.readouterr().out))


def test_a_script_past_its_timeout_is_killed_with_its_children(capsys):
    start, token = time.monotonic(), uuid.uuid4().hex
    with pytest.raises(ScriptFailed, match="the script ran past 2 s and was killed"):
        run_script(GRANDCHILD + "time.sleep(60)", {MARKER: token}, timeout=2)
    assert time.monotonic() - start < 30
    assert gone(int(capsys.readouterr().out))
    assert survivors(token) == []


@pytest.mark.slow
@pytest.mark.xdist_group("chapters_alone")
def test_the_books_examples_leave_no_process_or_port_behind(chapters_alone):
    chapters = [chapter for chapter in CHAPTERS if "run_script(" in chapter.read_text()]
    assert len(chapters) >= 3  # data loading, porting, distributed training
    result, token = chapters_alone  # every chapter's examples, those chapters' among them
    assert result.returncode == 0, result.stdout[-3000:]
    assert survivors(token) == []
