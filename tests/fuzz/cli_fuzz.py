"""Property-based fuzzing of the CLI entry point, in-process (run by test_cli_fuzz.py in a child
process whose address space is limited).

For every command, hypothesis draws a few of its options, each with either a small valid value or
a hostile one (empty, NaN, inf, huge, negative, malformed lists, control characters, special
files, missing folders), on top of a baseline that keeps valid runs small. Every run must end
with exit code 0 or 2 (or 130 when the step budget stopped it: the work is bounded by counting
its progress callbacks, not by a clock), never a traceback; an exit 2 says one line on stderr;
a failed run leaves no file behind.

Usage: python cli_fuzz.py WORKDIR EXAMPLES_PER_COMMAND
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

WORK = Path(sys.argv[1])
EXAMPLES = int(sys.argv[2])
BUDGET = 200  # progress callbacks a run may make before the budget stops it


class BudgetExceeded(KeyboardInterrupt):
    """The step budget of one run is spent (the CLI reports it as an interruption, exit 130)."""


def install_budget() -> dict:
    """Every progress bar the CLI opens counts its updates against one shared budget."""
    import neuromosaic.cli.progress as progress_module

    state = {"calls": 0, "fired": False}

    @contextlib.contextmanager
    def counting_bar(description, *, enabled=True):
        def update(done, total):
            state["calls"] += 1
            if state["calls"] > BUDGET:
                state["fired"] = True
                raise BudgetExceeded

        yield update

    progress_module.progress_bar = counting_bar
    for name in ("paint", "regions", "fit", "theory"):
        module = sys.modules.get(f"neuromosaic.cli.{name}")
        if module is not None and hasattr(module, "progress_bar"):
            module.progress_bar = counting_bar
    return state


HOSTILE = ["", " ", "nan", "inf", "-inf", "-1", "0", "1e308", "1e999", "99999999999999999999",
           "2147483648", "a,b", ",", "1,,2", "\x00", "../../etc/passwd", "💥", "[" * 60, "0x10",
           "1_000", "true", "-0", "1e-320", "none", "3,-3"]


def paths() -> dict[str, list[str]]:
    WORK.mkdir(parents=True, exist_ok=True)
    fifo = WORK / "fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    folder = WORK / "folder.png"
    folder.mkdir(exist_ok=True)
    bad = [str(fifo), str(folder), str(WORK / "missing" / "x"), "/dev/full", "/dev/full/x", "/"]
    return {"png": [str(WORK / "out.png"), *bad, str(WORK / "out.txt")],
            "json": [str(WORK / "out.json"), "-", *bad],
            "gif": [str(WORK / "out.gif"), *bad, str(WORK / "out.avi")],
            "html": [str(WORK / "out.html"), *bad],
            "dir": [str(WORK / "gallery"), str(WORK / "out.txt"), "/dev/full/x", str(fifo)],
            "in": [str(WORK / "net.npz"), str(WORK / "art.png"), str(fifo), str(WORK / "nope.npz"),
                   "/dev/null", str(WORK / "garbage.npz"), "/"]}


def valid_values(p: dict[str, list[str]]) -> dict[str, list[str]]:
    return {
        "--size": ["8", "6x4"], "--widths": ["4", "3,3", "none"], "--activation": ["relu", "tanh"],
        "--out-activation": ["sigmoid", "identity"], "--init": ["default", "normal:1", "uniform:3"],
        "--bias-init": ["zeros"], "--bias": ["first", "none"], "--inputs": ["xy", "xyrz"],
        "--z-dim": ["2"], "--scale": ["0.5"], "--center": ["0.1,0.2"], "--color": ["gray", "hsv"],
        "--seed": ["0", "7"], "--device": ["cpu"], "--recipe": ["grey-goo"], "--domain": ["-1,1,-1,1"],
        "--in-dim": ["2", "3"], "--out-dim": ["1", "2"], "--target": ["x1*x2", "paraboloid", "xor"],
        "--task": ["regression", "surface", "classification"], "--steps": ["3"], "--n-train": ["20"],
        "--n-test": ["10"], "--lr": ["0.01"], "--noise": ["0.1"], "--batch-size": ["5"],
        "--restarts": ["1"], "--early-stop": ["2"], "--lbfgs-polish": ["1"], "--optimizer": ["sgd"],
        "--frames": ["2"], "--n": ["2"], "--steepness": ["10"], "--layers": ["1"], "--sides": ["3"],
        "--eps": ["1e-5"], "--batch": ["2"], "--loss": ["mse", "cross_entropy"], "--rank": ["2"],
        "--fan-in": ["4"], "--thumb": ["0"], "--samples": ["1"], "--seeds": ["1"], "--p": ["1"],
        "--depth": ["2"], "--last-width": ["2"], "--sawtooth": ["2"], "--mode": ["zoom", "morph"],
        "--fps": ["5"], "--keyframes": ["2"], "--zoom": ["0.5"], "--max-regions": ["100"],
        "--color-by": ["output", "gradient"], "--dpi": ["30"], "--sweep-activations": ["relu"],
        "--sweep-sigma-w": ["1"], "--sigma-b": ["0.1"], "--sweep-depths": ["1"], "--sweep-widths": ["4"],
        "--inits": ["default"], "-o": p["png"][:1], "--json": p["json"][:2], "--animate": p["gif"][:1],
        "--plot3d": p["html"][:1], "--surface": p["png"][:1], "--weights": p["in"][:1],
        "--from": [str(WORK / "art.png")],
    }


KIND = {"-o": "png", "--json": "json", "--animate": "gif", "--plot3d": "html", "--surface": "png",
        "--weights": "in", "--from": "in"}

# what every run of a command starts from (small), and its output option's kind
BASELINE = {
    ("paint",): (["--size", "8"], "png"), ("gallery",): (["--size", "8"], "dir"),
    ("animate",): (["--size", "8", "--frames", "2"], "gif"), ("regions",): (["--widths", "4"], None),
    ("fit",): (["--steps", "3", "--n-train", "20", "--n-test", "10"], "png"),
    ("towers",): (["--n", "2"], "png"), ("gradcheck",): ([], None), ("bounds",): (["--widths", "4"], None),
    ("explain", "phase"): (["--thumb", "0"], "png"),
    ("explain", "trajectory"): (["--widths", "8,8,8,8,8,8", "--sweep-sigma-w", "1", "--samples", "1",
                                 "--sweep-activations", "relu"], "png"),
    ("explain", "density"): (["--sweep-depths", "1", "--sweep-widths", "4", "--samples", "1"], "png"),
    ("explain", "stats"): (["--widths", "4,4", "--seeds", "1", "--size", "4", "--inits", "default"], "png"),
    ("explain", "constructions"): (["--sawtooth", "2", "--p", "1", "--depth", "2", "--last-width", "2"], "png"),
}


def options_of(path: tuple[str, ...]) -> list[tuple[str, bool]]:
    """The visible options of a command: ``(name, is_flag)``."""
    import typer

    from neuromosaic.cli.app import app

    cmd = typer.main.get_command(app)
    for part in path:
        cmd = cmd.commands[part]
    out = []
    for p in cmd.params:
        if getattr(p, "hidden", False) or not p.opts or p.opts[0] in ("--help",):
            continue
        out.append((p.opts[0], bool(p.is_flag)))
    return out


def run(argv: list[str], budget: dict) -> tuple[int, str, str]:
    from neuromosaic.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    budget["calls"], budget["fired"] = 0, False
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def snapshot() -> set[str]:
    return {str(p) for p in WORK.rglob("*")}


def make_inputs() -> None:
    """A net and a painting to read back, and a garbage .npz."""
    import numpy as np

    from neuromosaic.cli.app import main

    rng = np.random.default_rng(0)
    np.savez(WORK / "net.npz", W0=rng.normal(size=(4, 2)), b0=np.zeros(4), W1=rng.normal(size=(1, 4)),
             b1=np.zeros(1))
    (WORK / "garbage.npz").write_bytes(b"PK\x03\x04" + os.urandom(200))
    with contextlib.redirect_stderr(io.StringIO()):
        assert main(["paint", "--size", "8", "-o", str(WORK / "art.png")]) == 0


def fuzz_command(path: tuple[str, ...], budget: dict, report: dict) -> None:
    p = paths()
    valid = valid_values(p)
    opts = options_of(path)
    baseline, out_kind = BASELINE[path]

    @st.composite
    def argvs(draw):
        argv = [*path, *baseline]
        if out_kind is not None:  # mostly the valid output, so that runs get past it
            argv += ["-o", draw(st.sampled_from([p[out_kind][0]] * 6 + p[out_kind][1:]))]
        for name, is_flag in draw(st.lists(st.sampled_from(opts), max_size=3, unique=True)):
            if is_flag:
                argv.append(name)
                continue
            kind = KIND.get(name)
            pool = p[kind] if kind else []
            choices = [*valid.get(name, []) * 8, *pool, *HOSTILE]
            argv += [name, draw(st.sampled_from(choices) | st.text(max_size=12))]
        return argv

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(argvs())
    def check(argv):
        before = snapshot()
        code, out, err = run(argv, budget)
        assert "Traceback" not in err and "Traceback" not in out, (argv, err)
        if code == 130:
            assert budget["fired"], (argv, "130 without the budget", err)
        else:
            assert code in (0, 2), (argv, code, err)
        if code == 2:
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), (argv, err)
            assert snapshot() <= before, (argv, "left files", sorted(snapshot() - before))
        report[" ".join(path)][str(code)] = report[" ".join(path)].get(str(code), 0) + 1

    report[" ".join(path)] = {}
    check()


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    WORK.mkdir(parents=True, exist_ok=True)
    make_inputs()
    import neuromosaic.cli.app  # noqa: F401 - registers the command modules before the budget

    budget = install_budget()
    report: dict = {}
    for path in BASELINE:
        fuzz_command(path, budget, report)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
