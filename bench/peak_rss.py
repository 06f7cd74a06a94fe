"""Run a command; write its wall time and its own peak RSS (from wait4) as JSON to a file.

    python -I -S bench/peak_rss.py RESULT.json PROGRAM [ARG...]

A separate, small process on purpose: on Linux a child's ru_maxrss also counts the memory image
of the process that spawned it (the mapping it replaces at exec), so a CLI spawned straight from
the benchmark, which holds hundreds of MB of arrays, would look that big. Standard library only.
"""

import json
import os
import sys
import time


def main() -> int:
    result, program = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.posix_spawn(program[0], program, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    with open(result, "w") as f:
        json.dump({"wall_s": wall, "peak_rss_kib": usage.ru_maxrss}, f)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
