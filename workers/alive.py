"""Container health check for a worker: exit 0 when a process of that worker module runs (`python -m
workers.alive workers.cpu`). Reads /proc, so it needs nothing the slim image lacks."""

from __future__ import annotations

import sys
from pathlib import Path


def running(module: str) -> bool:
    me = str(Path("/proc/self").resolve().name)
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        if cmdline.parent.name == me:
            continue
        try:
            arguments = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"-m" in arguments and module.encode() in arguments and b"workers.alive" not in arguments:
            return True
    return False


if __name__ == "__main__":
    sys.exit(0 if running(sys.argv[1]) else 1)
