#!/usr/bin/python3
"""Where the two cores go during a benchmark: every second, the CPU each kind of process
used in that second, in % of one core, one line per second, largest first.

    bench/cpu_sample.py > /tmp/cpu.log &  make bench;  kill %1

Processes are grouped by their command line (Kafka's JVM, the three services, the load
generator, the PortOne imitation, PostgreSQL's backends, wrk, pgbench, nginx); what is
left is "other". A process that started within the second counts all its time."""
import os
import sys
import time

GROUPS = (("kafka.Kafka", "kafka"), ("ft-ingress", "ingress"), ("ft-worker", "worker"), ("ft-expirer", "expirer"),
          ("ft-loadgen", "loadgen"), ("portone_imitation", "portone"), ("postgres", "postgres"), ("wrk", "wrk"),
          ("pgbench", "pgbench"), ("nginx", "nginx"))
TICKS = os.sysconf("SC_CLK_TCK")


def group_of(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            command = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "gone"
    return next((name for key, name in GROUPS if key in command), "other")


def read_stat(path):
    """(name, user + system ticks) of a /proc/.../stat file; the name may hold spaces and
    parentheses, so the fields are counted from its last ")"."""
    with open(path, encoding="ascii", errors="replace") as f:
        head, tail = f.read().rsplit(")", 1)
    fields = tail.split()
    return head.split("(", 1)[1], int(fields[11]) + int(fields[12])


def cpu_ticks():
    """user + system ticks of every process now."""
    ticks = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ticks[int(entry)] = read_stat(f"/proc/{entry}/stat")[1]
            except (OSError, IndexError, ValueError):
                pass
    return ticks


def thread_ticks(pid, prefixes):
    """user + system ticks of those threads of process pid whose names start with one of
    prefixes (Linux cuts a thread's name at 15 characters: "C2 CompilerThre"); None when
    the process is gone."""
    total = 0
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return None
    for tid in threads:
        try:
            name, ticks = read_stat(f"/proc/{pid}/task/{tid}/stat")
        except OSError:
            continue  # the thread ended meanwhile
        if name.startswith(prefixes):
            total += ticks
    return total


def ticks_by_group(before, after, names):
    """The ticks each group spent between two cpu_ticks() readings. `names` holds each
    pid's group, read once: a process that has ended by now keeps the name it had."""
    used = {}
    for pid, ticks in after.items():
        spent = ticks - before.get(pid, 0)
        if spent > 0:
            if pid not in names:
                names[pid] = group_of(pid)
            used[names[pid]] = used.get(names[pid], 0) + spent
    return used


def main():
    groups = {}
    before = cpu_ticks()
    while True:
        time.sleep(1)
        now = cpu_ticks()
        used = ticks_by_group(before, now, groups)
        before = now
        line = " ".join(f"{name}={100 * spent / TICKS:.0f}" for name, spent in sorted(used.items(), key=lambda x: -x[1]))
        print(time.strftime("%H:%M:%S"), line, flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
