"""The `nngrade` command: check one submission, grade a class, report on it, list the assignments, build the
release."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from graders.engine import runner

USAGE_ERROR = 2


def declared_points(assignment: str) -> dict[str, float]:
    return runner.declared_points(runner.grader_module(assignment))


def absent_device(device: str) -> str | None:
    """Why `device` cannot be graded on here, or None when it can."""
    if device == "all":
        return None
    from graders.plugin import absent_device as reason, device_available

    return None if device_available(device) else reason(device)


def command_check(options) -> int:
    from graders.engine import loader
    from graders.engine.report import escaped, results_json, table

    if not options.submission and not options.explain_isolation:
        return usage_error("check needs a SUBMISSION (or --explain-isolation)")
    if options.isolation == "process":
        from graders.engine.isolation import Zygote

        Zygote.shared()  # importing torch there overlaps with importing it here
    if options.explain_isolation:
        return explain_isolation()
    if absent_device(options.device):
        return usage_error(absent_device(options.device))

    known = runner.assignments()
    assignment = options.assignment or loader.infer_assignment(options.submission, known)
    if assignment is None:
        return usage_error(f"cannot tell which assignment {options.submission} is for; "
                           f"pass --assignment (one of: {', '.join(known)})")
    if assignment not in known:
        return usage_error(f"unknown assignment {assignment!r} (known: {', '.join(known)})")
    try:
        loader.code_chunks(loader.resolve(options.submission, assignment))
    except loader.UnreadableSubmission as error:
        return usage_error(str(error))
    try:
        board = runner.grade(options.submission, assignment, device=options.device, seed=options.seed,
                      isolation=options.isolation, call_timeout=options.call_timeout)
    except RuntimeError as error:
        return usage_error(str(error))
    print(table(board, title=f"nngrade check: {escaped(str(options.submission))} (assignment {assignment})"))
    if options.json:
        devices = sorted({check.device for check in board.graded() if check.device})
        runner.write_atomically(Path(options.json), json.dumps(
            results_json(board, assignment=assignment, devices=devices), indent=2))
    failed = any(check.outcome == "failed" for check in board.graded())
    return 1 if failed or not board.graded() else 0


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
        try:
            functions = declared_points(assignment)
        except RuntimeError as error:
            return usage_error(str(error))
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
    autograded = None
    if options.gradebook:
        from graders.engine.gradebook import check

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


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="nngrade", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="grade one submission and print a table")
    check.add_argument("submission", nargs="?", help="a .py file, a notebook, or a folder holding one")
    check.add_argument("--assignment", help="which assignment (inferred from the file name when left out)")
    check.add_argument("--device", default="all", choices=("cpu", "cuda", "mps", "all"),
                       help="device to grade on (default: every device present)")
    check.add_argument("--seed", type=int, default=0, help="base seed for the checks' inputs (default 0)")
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
