"""The `nngrade` command: check one submission, grade a class, report on it, build Gradescope's autograder,
list the assignments, build the release."""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import tempfile
import time
from pathlib import Path

GRADERS_DIR = Path(__file__).resolve().parent
USAGE_ERROR = 2


def assignments() -> list[str]:
    return sorted(path.stem.removeprefix("test_") for path in GRADERS_DIR.glob("test_*.py"))


def grader_file(assignment: str) -> Path:
    return GRADERS_DIR / f"test_{assignment}.py"


def graded_functions() -> dict[str, set[str]]:
    """assignment -> the functions its graders grade, read from the source of their `points` markers
    (`@points(2, "mse_loss")`) without importing the graders (and torch)."""
    found: dict[str, set[str]] = {}
    for assignment in assignments():
        names = found.setdefault(assignment, set())
        for node in ast.walk(ast.parse(grader_file(assignment).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "points":
                named = node.args[1:2] + [keyword.value for keyword in node.keywords if keyword.arg == "function"]
                names |= {value.value for value in named if isinstance(value, ast.Constant)}
    return found


def run_pytest(args: list[str], board, extra_plugins=()) -> int:
    """Run the graders with nngrade's scoreboard, keeping pytest's own report off the screen."""
    import pytest

    # unraisableexception runs gc.collect() five times at the end of every session: seconds in a
    # process holding torch. Neither it nor the terminal report has anything to add here.
    quiet = ["-p", "no:cacheprovider", "-p", "no:terminal", "-p", "no:unraisableexception", "-p", "no:threadexception", "-o", "addopts=", "--rootdir", str(GRADERS_DIR)]
    return int(pytest.main([*args, *quiet], plugins=[board, *extra_plugins]))


def grade(submission, assignment: str, *, device: str = "all", seed: int = 0, isolation: str = "process",
          call_timeout: float | None = None, load_timeout: float | None = None, hide=(), function: str | None = None):
    """Run `assignment`'s graders (those of `function` alone, when given) on `submission` (a path) and
    return the filled Scoreboard."""
    from graders.report import Scoreboard

    board = Scoreboard()
    options = ["--isolation", isolation]
    options += ["--call-timeout", str(call_timeout)] if call_timeout else []
    options += ["--load-timeout", str(load_timeout)] if load_timeout else []
    options += ["--function", function] if function else []
    for path in hide:
        options += ["--hide", str(path)]
    code = run_pytest([str(grader_file(assignment)), "--submission", str(submission),
                       "--device", device, "--seed", str(seed), *options], board)
    if code not in (0, 1):
        raise RuntimeError(f"the graders could not run (pytest exit code {code})")
    return board


def declared_points(assignment: str) -> dict[str, float]:
    """function -> the points its checks declare, as pytest collects them."""
    from graders.report import Scoreboard

    board = Scoreboard()
    code = run_pytest([str(grader_file(assignment)), "--collect-only", "--submission", "reference"], board)
    if code != 0:
        raise RuntimeError(f"the graders of {assignment} could not be collected (pytest exit code {code})")
    return board.points_by_function()


def absent_device(device: str) -> str | None:
    """Why `device` cannot be graded on here, or None when it can."""
    if device == "all":
        return None
    from graders.plugin import absent_device as reason, device_available

    return None if device_available(device) else reason(device)


def command_check(options) -> int:
    from graders import loader
    from graders.report import results_json, table

    if not options.submission and not options.explain_isolation:
        return usage_error("check needs a SUBMISSION (or --explain-isolation)")
    if options.isolation == "process":
        from graders.isolation import Zygote

        Zygote.shared()  # importing torch there overlaps with importing it here
    if options.explain_isolation:
        return explain_isolation()
    if absent_device(options.device):
        return usage_error(absent_device(options.device))
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
    started = time.monotonic()
    try:
        board = grade(file, assignment, device=options.device, seed=options.seed, isolation=options.isolation,
                      call_timeout=options.call_timeout, function=options.function)
    except RuntimeError as error:
        return usage_error(str(error))
    print(table(board, title=f"nngrade check: {file} (assignment {assignment}"
                + (f", function {options.function})" if options.function else ")")))
    if options.json:
        write_atomically(Path(options.json), json.dumps(
            results_json(board, assignment=assignment, devices=board.devices(),
                         seconds=time.monotonic() - started), indent=2))
    failed = any(check.outcome == "failed" for check in board.graded())
    return 1 if failed or not board.graded() else 0


def explain_isolation() -> int:
    """Start a worker on an empty submission and report the layers it runs under, as it sees them."""
    from graders.isolation import Isolated
    from graders.submission import Submission

    worker = Isolated([], hide=[])
    facts = Submission(worker).run("sandbox:explain")
    worker.close()
    print("Submissions run in a separate worker process, forked from a zygote that imported torch.")
    print("Layers active on this machine:")
    for layer in worker.layers:
        print(f"  - {layer}")
    print("What the worker observes:")
    print(f"  pid {facts['pid']} (1 means a PID namespace of its own), uid {facts['uid']}")
    print(f"  network: {facts['network']}; root file system writable: {facts['root_writable']}")
    print("  limits: " + ", ".join(f"{name.removeprefix('RLIMIT_')}={value}" for name, value in facts["limits"].items()))
    return 0


def command_list(options) -> int:
    for assignment in assignments():
        try:
            functions = declared_points(assignment)
        except RuntimeError as error:
            return usage_error(str(error))
        print(f"{assignment} ({sum(functions.values()):g} points)")
        for function, points in functions.items():
            print(f"  {function:<40} {points:g}")
    return 0


def command_grade(options) -> int:
    from graders import batch
    from graders.gradebook import GradebookError

    if options.assignment not in assignments():
        return usage_error(f"unknown assignment {options.assignment!r} (known: {', '.join(assignments())})")
    if absent_device(options.device):
        return usage_error(absent_device(options.device))
    submitted = Path(options.submitted)
    if not submitted.is_dir():
        return usage_error(f"{submitted} is not a folder")
    out = Path(options.out or f"graded/{options.assignment}")
    autograded = None
    if options.gradebook:
        from graders.gradebook import check

        autograded = Path(options.autograded) if options.autograded else submitted.resolve().parent / "autograded"
        try:
            check(options.gradebook, options.assignment, declared_points(options.assignment))
        except GradebookError as error:
            return usage_error(str(error))
    try:
        counts = batch.grade_batch(submitted, options.assignment, out, workers=options.workers,
                                   force=options.force, seed=options.seed, device=options.device,
                                   gradebook=options.gradebook, autograded=autograded)
    except (FileNotFoundError, GradebookError) as error:
        return usage_error(str(error))
    total = sum(counts.values())
    print(f"{total} submissions: " + ", ".join(f"{count} {status}" for status, count in sorted(counts.items())))
    print(f"results: {out}/<student>.json, {out}/scores.csv" + (
        f"; gradebook {options.gradebook}; autograded notebooks in {autograded} (for nbgrader generate_feedback)"
        if options.gradebook else ""))
    return 0


def command_report(options) -> int:
    from graders import item_report

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
    from graders import gradescope

    if options.assignment not in assignments():
        return usage_error(f"unknown assignment {options.assignment!r} (known: {', '.join(assignments())})")
    out = Path(options.out or f"gradescope-{options.assignment}.zip")
    try:
        gradescope.build_bundle(GRADERS_DIR.parent, options.assignment, out, seed=options.seed)
    except gradescope.BundleError as error:
        return usage_error(str(error))
    print(f"{out}: Gradescope's autograder for {options.assignment} (setup.sh, run_autograder, the nngrade wheel); "
          "upload it under Configure Autograder > Zip file upload")
    return 0


def command_build(options) -> int:
    from graders import build

    try:
        build.build(Path(options.root), [options.assignment] if options.assignment else None)
    except build.BuildError as error:
        return usage_error(str(error))
    return 0


def usage_error(message: str) -> int:
    print(f"nngrade: {message}", file=sys.stderr)
    return USAGE_ERROR


def write_atomically(path: Path, text: str):
    """Write `text` to `path` all at once, with the permissions of a file created the usual way: a
    temporary file is private (0600), and results must stay readable by the instructor's group."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as handle:
        handle.write(text)
    os.chmod(handle.name, 0o666 & ~current_umask())
    os.replace(handle.name, path)


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


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
    batch.add_argument("--workers", type=int, default=0, help="judge processes in parallel (default: cores)")
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
    batch.set_defaults(run=command_grade)

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


if __name__ == "__main__":
    sys.exit(main())
