"""Small helpers the one-shot benchmark scripts (bench/split/run,
bench/split/change, bench/hint/run) share: a CSV file from dicts, and a
median."""


def write_csv(path, rows, fields):
    """rows (dicts) as CSV with the given columns; a missing or None value
    is an empty field."""
    with open(path, "w") as f:
        f.write(",".join(fields) + "\n")
        for r in rows:
            f.write(",".join("" if r.get(k) is None else str(r.get(k)) for k in fields) + "\n")


def median(vals):
    vals = sorted(vals)
    n = len(vals)
    return vals[n // 2] if n % 2 else (vals[n // 2 - 1] + vals[n // 2]) / 2
