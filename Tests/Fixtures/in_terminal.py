"""Runs a command in a pseudo-terminal, presses a key after a delay, and prints what the
command wrote to the terminal (as Python bytes literal) and its exit code.

usage: in_terminal.py SECONDS KEY COMMAND [ARG...]
"""
import os
import pty
import select
import sys
import time

delay, key, command = float(sys.argv[1]), sys.argv[2].encode(), sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(command[0], command)

output = b""


def pump(seconds):
    global output
    end = time.time() + seconds
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                output += os.read(fd, 65536)
            except OSError:
                return


pump(delay)
os.write(fd, key)
deadline = time.time() + 30
while time.time() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    pump(0.1)
else:
    os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
pump(0.2)
sys.stdout.write(repr(output) + "\n")
sys.stdout.write("exit %d\n" % os.waitstatus_to_exitcode(status))
