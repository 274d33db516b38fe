"""The supervisor's terminal streams: a reader that goes away never makes a write raise."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from workloads.supervisor.terminal import SafeStream

pytestmark = pytest.mark.unit


def test_a_write_to_a_broken_pipe_goes_quiet_instead_of_raising():
    read_end, write_end = os.pipe()
    stream = open(write_end, "w")  # noqa: SIM115 - closed below
    safe = SafeStream(stream)
    safe.write("first\n")
    assert os.read(read_end, 100) == b"first\n"
    os.close(read_end)  # the reader (tee, head) is gone
    safe.write("second\n")  # EPIPE inside: swallowed
    assert safe.gone
    safe.write("third\n")
    safe.buffer.write(b"bytes too\n")
    safe.flush()
    # The descriptor now points at /dev/null, so the last flush at exit cannot fail either.
    assert os.path.samestat(os.fstat(write_end), os.stat(os.devnull))
    stream.close()


def test_a_process_whose_stdout_reader_died_exits_0():
    # What `windmill up` does with its streams, in a process whose stdout pipe is closed
    # before it writes: it must neither raise nor exit 120 at the interpreter's last flush.
    script = textwrap.dedent(
        """
        import logging, sys, time
        logging.basicConfig()
        from workloads.supervisor.terminal import guard_terminal
        guard_terminal()
        time.sleep(0.5)
        for n in range(1000):
            print("line", n)
        logging.getLogger("x").warning("to stderr")
        sys.stderr.buffer.write(b"raw")
        open(sys.argv[1], "w").write("done")
        """
    )
    done = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"terminal-test-{os.getpid()}")
    proc = subprocess.Popen(
        [sys.executable, "-c", script, done], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    proc.stdout.close()  # the reader goes away before the first line
    assert proc.wait(timeout=30) == 0
    with open(done) as handle:
        assert handle.read() == "done"
    os.unlink(done)
