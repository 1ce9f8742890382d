"""What bench/scale runs: a bundled workload (bench/workloads/NAME.c, built
here for AArch64 on first use) or a PARSEC program prepared by
bench/parsec/build.sh (parsec:NAME).

A workload resolves to a Program: the guest binary, the directory to run
it in, and its arguments for a thread count.
"""
import os
import shlex
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", "..", "workloads"))
INPUTS = ("small", "medium", "large")
PARSEC_INPUTS = ("test", "simdev", "simsmall", "simmedium", "simlarge", "native")
GUEST_CC = os.environ.get("GUEST_CC", "aarch64-linux-gnu-gcc")
CFLAGS = ["-std=c11", "-D_GNU_SOURCE", "-O2", "-pthread", "-Wall"]


class Program:
    def __init__(self, name, binary, cwd, argv_for):
        self.name, self.binary, self.cwd, self._argv_for = name, binary, cwd, argv_for

    def argv(self, threads):
        return self._argv_for(threads)


def bundled():
    return sorted(f[:-2] for f in os.listdir(SRC) if f.endswith(".c") and f != "pi_threads.c")


def _stale(out, srcs):
    return not os.path.exists(out) or any(os.path.getmtime(s) > os.path.getmtime(out) for s in srcs)


def build_bundled(name, bindir, cc=GUEST_CC, static=True, suffix=""):
    """Builds bench/workloads/NAME.c (static AArch64 by default; with
    cc="gcc", static=False the native reference) if its sources changed."""
    src = os.path.join(SRC, name + ".c")
    if not os.path.exists(src):
        raise SystemExit("bench/scale: no workload %r (bundled: %s; PARSEC: parsec:NAME)"
                         % (name, ", ".join(bundled())))
    os.makedirs(bindir, exist_ok=True)
    out = os.path.join(bindir, name + suffix)
    if _stale(out, [src, os.path.join(SRC, "workload.h")]):
        cmd = [cc] + CFLAGS + (["-static"] if static else []) + ["-o", out, src, "-lm"]
        subprocess.run(cmd, check=True)
    return out


def resolve(name, input_set, build, outdir):
    """The Program for NAME at INPUT; build is shoal's build directory."""
    if name.startswith("parsec:"):
        return _parsec(name[len("parsec:"):], input_set, build)
    if input_set not in INPUTS:
        raise SystemExit("bench/scale: --input for bundled workloads is one of %s" % ", ".join(INPUTS))
    binary = build_bundled(name, os.path.join(build, "bench", "workloads"))
    return Program(name, binary, outdir, lambda t: [str(t), input_set])


def _parsec(name, input_set, build):
    """bench/parsec/build.sh leaves build/parsec/bin/NAME and, per input
    set, build/parsec/run/NAME/INPUT/ with the inputs unpacked and a file
    "args" holding PARSEC's run_args for that input (with ${NTHREADS})."""
    if input_set not in PARSEC_INPUTS:
        raise SystemExit("bench/scale: --input for PARSEC is one of %s" % ", ".join(PARSEC_INPUTS))
    root = os.path.join(build, "parsec")
    binary = os.path.join(root, "bin", name)
    cwd = os.path.join(root, "run", name, input_set)
    argsfile = os.path.join(cwd, "args")
    if not (os.path.exists(binary) and os.path.exists(argsfile)):
        raise SystemExit("bench/scale: parsec:%s is not built for input %s: run "
                         "PARSEC_DIR=... bench/parsec/build.sh --build %s --input %s %s"
                         % (name, input_set, build, input_set, name))
    with open(argsfile) as f:
        template = f.read().strip()
    return Program("parsec:" + name, binary, cwd,
                   lambda t: shlex.split(template.replace("${NTHREADS}", str(t))))


def parse_result(stdout):
    """(check, checksum) from a bundled workload's RESULT line; a program
    without one (PARSEC) is judged by its exit status alone."""
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            fields = dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
            return fields.get("check", "FAIL"), fields.get("checksum", "")
    return None, ""
