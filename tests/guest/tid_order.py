"""The threads of a --stats file in the order they were created.

A guest tid is a tid the master's kernel handed out, so tids grow with
creation until they wrap at pid_max and start again from the bottom
(busy machines wrap often at the default 32768). The run's tids are few
and close together, so the wrap is the widest gap between them taken
round the circle: the thread after it came first."""


def pid_max():
    try:
        with open("/proc/sys/kernel/pid_max") as f:
            return int(f.read())
    except OSError:
        return 1 << 22


def by_creation(threads):
    ts = sorted(threads, key=lambda t: t["tid"])
    if len(ts) < 2:
        return ts
    top = pid_max()
    gaps = [(ts[(i + 1) % len(ts)]["tid"] - ts[i]["tid"]) % top for i in range(len(ts))]
    first = (gaps.index(max(gaps)) + 1) % len(ts)
    return ts[first:] + ts[:first]
