#!/usr/bin/env python3
"""What a user sees: the progress display on a terminal (a pty) and in a log.

Runs progress_replay (the real StatusPrinter/LinePrinter, events from a worker
thread) with a scripted install:
  - on a pty: the live display is drawn and redrawn in place (cursor up,
    erase line), shows the bar and the largest transfers, and the screen ends
    with the warning and the summary only (no leftover bar);
  - with stderr a pipe (CI logs, docker build): plain lines, no control
    characters, exactly one line per phase, the warning and the summary.
usage: progress_pty_test.py PROGRESS_REPLAY
"""
import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import tempfile
import termios

EVENTS = """
phase read
phase check
phase plan
phase fetch 3
start big-package-1.0-h0_0.conda 3000000
start mid-package-1.0-h0_0.conda 1000000
start small-package-1.0-h0_0.tar.bz2 1000
sleep 150
progress big-package-1.0-h0_0.conda 1000000
progress mid-package-1.0-h0_0.conda 500000
sleep 150
warning package cache /cache is on another filesystem; copying instead of hardlinking
progress big-package-1.0-h0_0.conda 2000000
finish big-package-1.0-h0_0.conda 3000000 net
sleep 150
progress mid-package-1.0-h0_0.conda 500000
finish mid-package-1.0-h0_0.conda 1000000 net
finish small-package-1.0-h0_0.tar.bz2 1000 cache
phase extract 3
extracted big-package-1.0-h0_0.conda
extracted mid-package-1.0-h0_0.conda
extracted small-package-1.0-h0_0.tar.bz2
sleep 150
phase link 3
linked big-package-1.0-h0_0
linked mid-package-1.0-h0_0
linked small-package-1.0-h0_0
sleep 150
phase record
phase done
summary default /opt/env 3 0 0 4000000 1.25
"""

SUMMARY = [
    "installed environment 'default' into /opt/env",
    "  3 installed, 0 removed, 0 unchanged, 3.8 MiB downloaded, 1.2s",
]
SUMMARY_UTF8 = [
    "\u2714 installed environment 'default' into /opt/env",
    "  3 installed \u00b7 0 removed \u00b7 0 unchanged \u00b7 3.8 MiB downloaded \u00b7 1.2s",
]
WARNING = "warning: package cache /cache is on another filesystem; copying instead of hardlinking"


class Screen:
    """Just enough of a terminal to replay what the progress display writes."""

    def __init__(self, cols):
        self.cols = cols
        self.lines = [""]
        self.row = 0
        self.col = 0

    def _put(self, ch):
        line = self.lines[self.row].ljust(self.col)
        self.lines[self.row] = line[: self.col] + ch + line[self.col + 1:]
        self.col += 1
        if self.col > self.cols:
            raise AssertionError("a line overflowed the terminal width: %r" % self.lines[self.row])

    def feed(self, text):
        i = 0
        while i < len(text):
            c = text[i]
            if c == "\x1b":
                m = re.match(r"\x1b\[([0-9;?]*)([A-Za-z])", text[i:])
                if not m:
                    raise AssertionError("unexpected escape sequence at %r" % text[i:i + 10])
                arg, cmd = m.group(1), m.group(2)
                if cmd == "A":
                    self.row = max(0, self.row - int(arg or "1"))
                elif cmd == "K" and arg == "2":
                    self.lines[self.row] = ""
                elif cmd == "J" and arg in ("", "0"):
                    self.lines[self.row] = self.lines[self.row][: self.col]
                    del self.lines[self.row + 1:]
                elif cmd == "m":
                    pass
                else:
                    raise AssertionError("unexpected escape sequence %r" % m.group(0))
                i += len(m.group(0))
                continue
            if c == "\r":
                self.col = 0
            elif c == "\n":
                self.row += 1
                self.col = 0
                if self.row == len(self.lines):
                    self.lines.append("")
            else:
                self._put(c)
            i += 1

    def text_lines(self):
        out = [l.rstrip() for l in self.lines]
        while out and not out[-1]:
            out.pop()
        return out


def run_on_pty(replay, events_file, extra_env):
    cols = 100
    pid, fd = pty.fork()
    if pid == 0:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TERM": "xterm-256color"}
        env.update(extra_env)
        os.execve(replay, [replay, events_file], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, cols, 0, 0))
    raw = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        raw += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, status
    # The pty turns "\n" into "\r\n"; the screen model handles both.
    return raw.decode("utf-8"), cols


def check_terminal(replay, events_file):
    text, cols = run_on_pty(replay, events_file, {"LANG": "C.UTF-8", "NO_COLOR": "1"})
    assert "\x1b[2K" in text and re.search(r"\x1b\[\d+A", text), "no redraw in place: %r" % text[:300]
    assert text.count("Downloading") >= 2, "the live display was not redrawn: %r" % text[:500]
    assert "big-package-1.0-h0_0.conda" in text, "the largest transfer is not shown"
    assert "\u2501" in text, "no bar drawn"
    screen = Screen(cols)
    screen.feed(text)
    final = screen.text_lines()
    expected = [WARNING] + SUMMARY_UTF8
    assert final == expected, "screen at the end:\n%s\nexpected:\n%s" % ("\n".join(final), "\n".join(expected))

    # Colors on a terminal unless NO_COLOR; they must not break the layout.
    text, cols = run_on_pty(replay, events_file, {"LANG": "C.UTF-8"})
    assert "\x1b[32m" in text, "no color on a terminal"
    screen = Screen(cols)
    screen.feed(text)
    assert screen.text_lines() == expected, screen.text_lines()


def check_plain(replay, events_file):
    out = subprocess.run([replay, events_file], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env={"PATH": os.environ.get("PATH", ""), "TERM": "xterm"},
                         check=True)
    text = out.stderr.decode("utf-8")
    assert "\x1b" not in text and "\r" not in text, "control characters in plain output: %r" % text
    lines = text.splitlines()
    expected = [
        "reading the lock file",
        "checking the host",
        "planning",
        "fetching 3 packages",
        WARNING,
        "extracting 3 packages",
        "linking 3 packages",
        "writing the environment's records",
    ] + SUMMARY
    assert lines == expected, "plain output:\n%s" % text
    assert out.stdout == b"", "progress must not go to stdout"

    # --no-progress on a terminal also gives the plain lines.
    quiet = subprocess.run([replay, "-q", events_file], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           check=True)
    assert quiet.stderr == b"" and quiet.stdout == b"", "-q must print nothing"


def check_no_progress_on_pty(replay, events_file):
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(replay, [replay, "--no-progress", events_file],
                  {"PATH": os.environ.get("PATH", ""), "TERM": "xterm", "NO_COLOR": "1"})
    raw = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        raw += chunk
    os.waitpid(pid, 0)
    text = raw.decode("utf-8").replace("\r\n", "\n")
    assert "\x1b" not in text and "\r" not in text, "--no-progress must not redraw: %r" % text
    assert text.splitlines()[-2:] == SUMMARY, text


def main():
    replay = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        events_file = os.path.join(tmp, "events.txt")
        with open(events_file, "w") as f:
            f.write(EVENTS)
        check_plain(replay, events_file)
        check_terminal(replay, events_file)
        check_no_progress_on_pty(replay, events_file)
    print("ok")


if __name__ == "__main__":
    main()
