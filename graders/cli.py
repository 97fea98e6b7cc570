"""The `nngrade` command: check one submission, grade a class, report on it, build Gradescope's autograder,
list the assignments, build the release."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from graders.engine import runner

USAGE_ERROR = 2


def graded_functions() -> dict[str, set[str]]:
    """assignment -> the functions its graders grade (from the graders' markers: no torch imported)."""
    return {assignment: set(runner.declared_points(assignment)) for assignment in runner.assignments()}


def absent_device(device: str) -> str | None:
    """Why `device` cannot be graded on here, or None when it can. Without a GPU driver (or off macOS,
    for mps) the answer is known before torch is imported; otherwise torch is asked."""
    if device in ("all", "cpu"):
        return None
    drivers = ("/dev/nvidiactl", "/proc/driver/nvidia", "/dev/kfd")
    if device == "cuda" and not any(Path(path).exists() for path in drivers):
        return runner.absent_device_message(device)
    if device == "mps" and sys.platform != "darwin":
        return runner.absent_device_message(device)
    from graders.plugin import device_available

    return None if device_available(device) else runner.absent_device_message(device)


def command_check(options) -> int:
    from graders.engine import loader

    if options.explain_isolation:
        return explain_isolation()
    if not options.submission:
        return usage_error("check needs a SUBMISSION (or --explain-isolation)")
    # Everything a usage error can come from is checked before torch is imported anywhere.
    if not Path(options.submission).exists():
        return usage_error(f"{options.submission} does not exist")
    functions = graded_functions()
    assignment = options.assignment or loader.infer_assignment(options.submission, functions)
    if assignment is None:
        return usage_error(f"cannot tell which assignment {options.submission} is for; "
                           f"pass --assignment (one of: {', '.join(functions)})")
    if assignment not in functions:
        return usage_error(f"unknown assignment {assignment!r} (known: {', '.join(functions)})")
    if options.function and options.function not in functions[assignment]:
        return usage_error(f"{assignment} grades no function named {options.function!r} "
                           f"(it grades: {', '.join(sorted(functions[assignment]))})")
    try:
        file = loader.resolve(options.submission, assignment)
        loader.code_chunks(file)
    except loader.UnreadableSubmission as error:
        return usage_error(str(error))
    if absent_device(options.device):
        return usage_error(absent_device(options.device))
    if options.isolation == "process":
        from graders.engine.zygote import Zygote

        Zygote.shared(runner.libraries(assignment))  # importing torch there overlaps with importing it here
    from graders.engine.report import escaped, results_json, table

    hard_wall(file)
    started = time.monotonic()
    try:
        board = runner.grade(file, assignment, device=options.device, seed=options.seed,
                             isolation=options.isolation, call_timeout=options.call_timeout,
                             function=options.function)
    except RuntimeError as error:
        return usage_error(str(error))
    print(table(board, title=f"nngrade check: {escaped(str(file))} (assignment {assignment}"
                + (f", function {escaped(options.function)})" if options.function else ")")))
    if options.json:
        runner.write_atomically(Path(options.json), json.dumps(
            results_json(board, assignment=assignment, devices=board.devices(),
                         seconds=time.monotonic() - started), indent=2))
    failed = any(check.outcome == "failed" for check in board.graded())
    return 1 if failed or not board.graded() else 0


def hard_wall(file: Path, wall: float | None = None):
    """The judge's own time limit: the submission's whole budget, its load time and a margin, as for each
    student of `nngrade grade`. Past it the check stops with one line (and its zygote, seeing its judge
    gone, kills the workers): no data a submission returns can keep the judge busy for longer."""
    import os
    import signal

    from graders.engine.batch import judge_wall

    wall = wall or judge_wall()

    def stop(signum, frame):
        from graders.engine.report import escaped

        os.write(2, f"nngrade: grading {escaped(str(file))} ran past its wall of {wall:g} s (the submission's "
                    "grading budget, its load time and a margin): stopped, nothing recorded\n".encode())
        os._exit(1)

    if hasattr(signal, "SIGALRM"):
        signal.signal(signal.SIGALRM, stop)
        signal.alarm(int(wall))


def explain_isolation() -> int:
    """Start a worker on an empty submission and report the layers it runs under, as it sees them."""
    from graders.engine.isolation import Isolated
    from graders.engine.proxy import Submission
    from graders.probes import core

    worker = Isolated([], hide=[])
    facts = Submission(worker).run(core.explain_isolation)
    worker.close()
    print("Submissions run in a separate worker process, forked from a zygote that imported torch.")
    print("Layers active on this machine:")
    for layer in worker.layers:
        print(f"  - {layer}")
    print("What the worker observes:")
    print(f"  pid {facts['pid']} (1 means a PID namespace of its own), uid {facts['uid']}")
    print(f"  network: {facts['network']}; root file system writable: {facts['root_writable']}")
    limits = facts["limits"].items()
    print("  limits: " + ", ".join(f"{name.removeprefix('RLIMIT_')}={value}" for name, value in limits))
    print(f"  seccomp: {facts['seccomp']}; no_new_privs: {facts['no_new_privs']}")
    print(f"  environment: {', '.join(facts['environment'])}")
    print("  mounts: " + "; ".join(facts["mounts"]))
    return 0


def command_list(options) -> int:
    for assignment in runner.assignments():
        functions = runner.declared_points(assignment)
        print(f"{assignment} ({sum(functions.values()):g} points)")
        for function, points in functions.items():
            print(f"  {function:<40} {points:g}")
    return 0


def command_grade(options) -> int:
    from graders.engine import batch
    from graders.engine.gradebook import GradebookError

    if options.assignment not in runner.assignments():
        return usage_error(f"unknown assignment {options.assignment!r} (known: {', '.join(runner.assignments())})")
    if absent_device(options.device):
        return usage_error(absent_device(options.device))
    submitted = Path(options.submitted)
    if not submitted.is_dir():
        return usage_error(f"{submitted} is not a folder")
    out = Path(options.out or f"graded/{options.assignment}")
    shard = parse_shard(options.shard)
    if shard is None:
        return usage_error(f"--shard {options.shard}: expected K/N with 1 <= K <= N, e.g. 3/8")
    if shard[1] > 1 and options.gradebook:
        return usage_error("--gradebook is for the whole class: grade the shards without it, then "
                           "`nngrade merge` with --gradebook")
    problem, autograded = checked_gradebook(options, submitted)
    if problem:
        return usage_error(problem)
    try:
        counts = batch.grade_batch(submitted, options.assignment, out, workers=options.workers,
                                   force=options.force, seed=options.seed, device=options.device,
                                   gradebook=options.gradebook, autograded=autograded, shard=shard)
    except (FileNotFoundError, GradebookError) as error:
        return usage_error(str(error))
    summary(counts, out, options.gradebook, autograded)
    if shard[1] > 1:
        print(f"shard {shard[0]}/{shard[1]} done; when every shard is, combine them with `nngrade merge`")
    return 0


def command_merge(options) -> int:
    from graders.engine import batch
    from graders.engine.gradebook import GradebookError

    if options.assignment not in runner.assignments():
        return usage_error(f"unknown assignment {options.assignment!r} (known: {', '.join(runner.assignments())})")
    submitted = Path(options.submitted) if options.submitted else None
    if submitted is not None and not submitted.is_dir():
        return usage_error(f"{submitted} is not a folder")
    if options.gradebook and submitted is None:
        return usage_error("--gradebook needs --submitted SUBMITTED, for the autograded notebooks")
    problem, autograded = checked_gradebook(options, submitted)
    if problem:
        return usage_error(problem)
    out = Path(options.out)
    try:
        counts = batch.merge([Path(folder) for folder in options.shards], out, options.assignment,
                             submitted=submitted, gradebook=options.gradebook, autograded=autograded)
    except (FileNotFoundError, GradebookError) as error:
        return usage_error(str(error))
    summary(counts, out, options.gradebook, autograded)
    return 0


def parse_shard(text: str) -> tuple[int, int] | None:
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit()) or not 1 <= int(index) <= int(count):
        return None
    return int(index), int(count)


def checked_gradebook(options, submitted: Path | None) -> tuple[str | None, Path | None]:
    """With --gradebook: (a problem with the gradebook, or None; where the autograded notebooks go)."""
    if not options.gradebook:
        return None, None
    from graders.engine.gradebook import GradebookError, check

    autograded = Path(options.autograded) if options.autograded else (
        submitted.resolve().parent / "autograded" if submitted is not None else None)
    try:
        check(options.gradebook, options.assignment, runner.declared_points(options.assignment))
    except GradebookError as error:
        return str(error), autograded
    return None, autograded


def summary(counts: dict, out: Path, gradebook: str | None, autograded: Path | None):
    total = sum(counts.values())
    print(f"{total} submissions: " + ", ".join(f"{count} {status}" for status, count in sorted(counts.items())))
    print(f"results: {out}/<student>.json" + (f", {out}/scores.csv" if (out / "scores.csv").is_file() else "") + (
        f"; gradebook {gradebook}; autograded notebooks in {autograded} (for nbgrader generate_feedback)"
        if gradebook else ""))


def command_report(options) -> int:
    from graders.engine import item_report

    try:
        written, notes = item_report.write_report([Path(folder) for folder in options.graded],
                                                  Path(options.out) if options.out else None)
    except item_report.ReportError as error:
        return usage_error(str(error))
    for note in notes:
        print(f"nngrade: {note}", file=sys.stderr)
    print(f"report: {written[0]}; tables: {', '.join(str(path) for path in written[1:])}")
    return 0


def command_gradescope(options) -> int:
    from graders.engine import gradescope

    if options.assignment not in runner.assignments():
        return usage_error(f"unknown assignment {options.assignment!r} (known: {', '.join(runner.assignments())})")
    out = Path(options.out or f"gradescope-{options.assignment}.zip")
    try:
        gradescope.build_bundle(runner.GRADERS_DIR.parent, options.assignment, out, seed=options.seed)
    except gradescope.BundleError as error:
        return usage_error(str(error))
    print(f"{out}: Gradescope's autograder for {options.assignment} (setup.sh, run_autograder, the nngrade wheel); "
          "upload it under Configure Autograder > Zip file upload")
    return 0


def command_build(options) -> int:
    from graders.engine import build

    try:
        build.build(Path(options.root), [options.assignment] if options.assignment else None)
    except build.BuildError as error:
        return usage_error(str(error))
    return 0


def usage_error(message: str) -> int:
    from graders.engine.report import escaped  # a path may hold control characters: shown, not obeyed

    print(f"nngrade: {escaped(message)}", file=sys.stderr)
    return USAGE_ERROR


def version() -> str:
    from importlib import metadata

    def installed(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return f"nngrade {installed('nngrade')} (torch {installed('torch')}, Python {sys.version.split()[0]})"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="nngrade", description=__doc__)
    top.add_argument("--version", action="version", version=version())
    commands = top.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="grade one submission and print a table")
    check.add_argument("submission", nargs="?", help="a .py file, a notebook, or a folder holding one")
    check.add_argument("--assignment", help="which assignment (inferred from the file name when left out)")
    check.add_argument("--device", default="all", choices=("cpu", "cuda", "mps", "all"),
                       help="device to grade on (default: every device present)")
    check.add_argument("--seed", type=int, default=0, help="base seed for the checks' inputs (default 0)")
    check.add_argument("--function", metavar="NAME", help="grade only this function of the assignment")
    check.add_argument("--json", metavar="FILE", help="also write Gradescope's results.json to FILE")
    check.add_argument("--isolation", default="process", choices=("process", "none"),
                       help="'process' (default): run the submission in a confined worker; "
                            "'none': in this process, for trusted code only")
    check.add_argument("--call-timeout", type=float, metavar="SECONDS",
                       help="wall-clock limit for each call into the submission (default 10)")
    check.add_argument("--explain-isolation", action="store_true",
                       help="print which isolation layers are active on this machine, and exit")
    check.set_defaults(run=command_check)

    batch = commands.add_parser("grade", help="grade every submission in nbgrader's submitted/ folder")
    batch.add_argument("submitted", help="the submitted/ folder: submitted/<student>/<assignment>/")
    batch.add_argument("--assignment", required=True, help="which assignment to grade")
    batch.add_argument("--workers", type=int, default=0,
                       help="judge processes in parallel (default and most: the cores this process may use)")
    batch.add_argument("--out", help="where results go (default graded/<assignment>)")
    batch.add_argument("--force", action="store_true", help="regrade submissions already graded and unchanged")
    batch.add_argument("--seed", type=int, default=0, help="base seed for the checks' inputs (default 0)")
    batch.add_argument("--device", default="all", choices=("cpu", "cuda", "mps", "all"))
    batch.add_argument("--gradebook", metavar="DB_URL",
                       help="also write the scores into this nbgrader gradebook, e.g. sqlite:///gradebook.db, "
                            "and the autograded notebooks that nbgrader generate_feedback turns into feedback")
    batch.add_argument("--autograded", metavar="DIR",
                       help="with --gradebook: where the autograded notebooks go (default: autograded/ beside "
                            "SUBMITTED, nbgrader's layout)")
    batch.add_argument("--shard", default="1/1", metavar="K/N",
                       help="grade only shard K of N of the class (a stable split by student name), e.g. one "
                            "task of a Slurm job array; combine the shards with `nngrade merge`")
    batch.set_defaults(run=command_grade)

    merging = commands.add_parser("merge", help="combine the results of a class graded in shards")
    merging.add_argument("shards", nargs="+", metavar="SHARD_DIR", help="the --out folders of the shards")
    merging.add_argument("--assignment", required=True, help="which assignment the shards graded")
    merging.add_argument("--out", required=True, help="where the combined results and scores.csv go")
    merging.add_argument("--submitted", help="the submitted/ folder: every student there is listed, and the "
                                             "autograded notebooks are made from it")
    merging.add_argument("--gradebook", metavar="DB_URL", help="also write the scores into this nbgrader gradebook")
    merging.add_argument("--autograded", metavar="DIR", help="with --gradebook: where the autograded notebooks go")
    merging.set_defaults(run=command_merge)

    report = commands.add_parser("report", help="what the class got wrong: an item-analysis report (HTML, CSV)")
    report.add_argument("graded", nargs="+", metavar="GRADED_DIR",
                        help="the --out folder of `nngrade grade`, or several, one per assignment")
    report.add_argument("--out", metavar="FILE.html",
                        help="where the report goes (default GRADED_DIR/report.html); its CSVs go beside it")
    report.set_defaults(run=command_report)

    bundle = commands.add_parser("gradescope", help="build the autograder zip of an assignment for Gradescope")
    bundle.add_argument("--assignment", required=True, help="which assignment the autograder grades")
    bundle.add_argument("--out", metavar="FILE.zip", help="where the zip goes (default gradescope-<assignment>.zip)")
    bundle.add_argument("--seed", type=int, default=0,
                        help="base seed for the checks' inputs (default 0, the inputs of the practice cells)")
    bundle.set_defaults(run=command_gradescope)

    listing = commands.add_parser("list", help="list assignments, their functions and points")
    listing.set_defaults(run=command_list)

    build = commands.add_parser("build", help="regenerate release/ and solutions/ from exercises/")
    build.add_argument("--root", default=".", help="the course repository (default: current folder)")
    build.add_argument("--assignment", help="build only this assignment")
    build.set_defaults(run=command_build)
    return top


def main(argv=None) -> int:
    options = parser().parse_args(argv)
    try:
        return options.run(options)
    except BrokenPipeError:  # the reader (e.g. `| head`) went away; nothing left to say
        sys.stderr.close()
        return 1


def run():
    """The `nngrade` program: `main`, then the exit handlers (the zygote is stopped there) and an exit
    that skips tearing the interpreter down, which takes a process holding torch a third of a second
    once everything is written and closed."""
    import atexit
    import os

    code = main()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    run()
