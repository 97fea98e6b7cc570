"""The nngrade pytest plugin: options, fixtures and the `points` marker, in one place.

Registered as a `pytest11` entry point, so any pytest run that has nngrade installed can grade:

    pytest graders/test_losses.py --submission my_losses.ipynb --device all
"""

from __future__ import annotations

import dataclasses
import zlib
from pathlib import Path

import pytest
import torch

from graders.engine import loader, runner
from graders.engine.report import ABSENT_DEVICE_CHECKS, Scoreboard
from graders.engine.sandbox import Limits
from graders.engine.proxy import Submission

DEVICES = ("cpu", "cuda", "mps")
PROVIDED_SUBMISSION = pytest.StashKey["Submission"]()
THREADS = pytest.StashKey[int]()


def pytest_addoption(parser):
    group = parser.getgroup("nngrade", "grading a submission")
    group.addoption("--submission", metavar="PATH",
                    help="the submission to grade: a .py file, a notebook, a folder holding one, "
                         "or 'reference' for the reference solution")
    group.addoption("--device", default="all", choices=(*DEVICES, "all"),
                    help="device to grade on; 'all' (default) uses every device present and "
                         "reports the others as skipped")
    group.addoption("--seed", type=int, default=0,
                    help="base seed from which every check derives its inputs (default 0)")
    group.addoption("--isolation", default="process", choices=("process", "none"),
                    help="'process' (default): run the submission in a confined worker process; "
                         "'none': in this process (trusted code only, e.g. for debugging)")
    group.addoption("--call-timeout", type=float, default=None, metavar="SECONDS",
                    help="wall-clock limit for each call into the submission (default 10)")
    group.addoption("--load-timeout", type=float, default=None, metavar="SECONDS",
                    help="wall-clock limit for loading the submission (default 60)")
    group.addoption("--hide", action="append", default=[], metavar="PATH",
                    help="a folder the isolated submission must not see (repeatable); the reference "
                         "solutions and exercises/ are always hidden")
    group.addoption("--function", metavar="NAME",
                    help="run only the checks of this function of the assignment")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "points(n, function, kind, hidden=False): the check is worth n points towards the graded function "
        "`function`; the points are shared among the check's parametrized cases that run. kind is 'value' (a "
        "case the function must get right: one right case unlocks the function's other points), 'gradient', "
        "'rule' (the default) or 'forbidden' (see graders/engine/report.py for the points policy); a hidden "
        "check's row on Gradescope is shown to students once the grades are published")
    # The judge works on tensors of a few dozen elements: one thread avoids OpenMP's hand-offs,
    # which cost more than the arithmetic (ten times more on a busy machine).
    wanted = config.getoption("device", "all")
    if wanted != "all" and not device_available(wanted):
        raise pytest.UsageError(runner.absent_device_message(wanted))
    config.stash[THREADS] = torch.get_num_threads()
    torch.set_num_threads(1)


def pytest_unconfigure(config):
    torch.set_num_threads(config.stash.get(THREADS, torch.get_num_threads()))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """With a seed other than the practice seed, a failure says what failed and why, never the inputs or
    expected values a student could rebuild them from: in every report, pytest's own included.

    A check fails through `fail(message)` (pytest.fail with pytrace=False), whose report is the message
    alone: pytest still walks and filters the whole traceback first, pytest's and pluggy's frames
    included (a millisecond per failure, most of a wrong submission's grading), so the traceback it is
    given starts at the check's own frame."""
    excinfo = call.excinfo
    if excinfo is not None and isinstance(excinfo.value, pytest.fail.Exception) and not excinfo.value.pytrace:
        start = excinfo.tb
        while start is not None and start.tb_frame.f_code.co_filename != str(item.path):
            start = start.tb_next
        if start is not None:
            call.excinfo = pytest.ExceptionInfo.from_exc_info((excinfo.type, excinfo.value, start))
    report = yield
    if report.failed and item.config.getoption("seed") != runner.PRACTICE_SEED:
        report.longrepr = runner.redacted(report.longreprtext)
    return report


def pytest_collection_modifyitems(config, items):
    wanted = config.getoption("function")
    if not wanted:
        return
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("points")
        (keep if marker and marker.kwargs.get("function") == wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def device_available(device: str) -> bool:
    if device == "cuda":
        return torch.cuda.is_available()
    if device == "mps":
        return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    return True


def pytest_generate_tests(metafunc):
    """Each check that takes a `device` runs on every device present (or the one asked for). On a device
    this machine lacks, no case is generated: the check is listed as skipped once per device, which
    spares a grading a hundred cases that would only be skipped."""
    if "device" in metafunc.fixturenames:
        wanted = metafunc.config.getoption("device")
        devices = DEVICES if wanted == "all" else (wanted,)
        present = [device for device in devices if device_available(device)]
        absent = metafunc.config.stash.setdefault(ABSENT_DEVICE_CHECKS, [])
        for device in devices:
            if device not in present:
                absent.append((metafunc.definition.nodeid, metafunc.definition.name,
                               metafunc.definition.get_closest_marker("points"), device,
                               f"{device} is not available on this machine"))
        metafunc.parametrize("device", present)


@pytest.fixture(params=[torch.float32, torch.float64], ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.fixture
def rng(request):
    """A generator seeded from the base seed and the check's id, so every verdict is reproducible."""
    seed = request.config.getoption("seed") * 1_000_003 + zlib.crc32(request.node.nodeid.encode())
    return torch.Generator().manual_seed(seed % 2**63)


def assignment_of(module) -> str:
    return module.__name__.rpartition(".")[2].removeprefix("test_")


@pytest.fixture(scope="module")
def submission(request):
    provided = request.config.stash.get(PROVIDED_SUBMISSION, None)
    if provided is not None:
        yield provided
        return
    option = request.config.getoption("submission")
    assignment = assignment_of(request.module)
    if not option:
        raise pytest.UsageError("pass --submission PATH (or --submission reference) to choose what to grade")
    path = reference_path(assignment) if option == "reference" else Path(option)
    isolated = request.config.getoption("isolation") == "process"
    timeouts = {"call_timeout": request.config.getoption("call_timeout"),
                "load_timeout": request.config.getoption("load_timeout")}
    limits = dataclasses.replace(Limits(), **{key: value for key, value in timeouts.items() if value})
    try:
        opened, problem = Submission.open(path, assignment, isolated=isolated, limits=limits,
                                          hide=request.config.getoption("hide")), None
    except loader.UnreadableSubmission as error:
        opened, problem = None, str(error)
    if problem:  # outside the except block, so that the report shows the reason and nothing else
        pytest.fail(f"cannot read the submission: {problem}", pytrace=False)
    for board in scoreboards(request.config):
        board.load_errors = list(opened.load_errors)
    yield opened
    opened.close()
    for board in scoreboards(request.config):
        board.faults |= opened.faults
        board.flagged += [line for line in opened.tampered if line not in board.flagged]


def scoreboards(config):
    return [plugin for plugin in config.pluginmanager.get_plugins() if isinstance(plugin, Scoreboard)]


def reference_path(assignment: str) -> Path:
    """solutions/<assignment>.py of the course repository. The reference solutions are never part of the
    installed package: they are found beside an editable install's graders, or in the current folder."""
    for root in dict.fromkeys((Path(__file__).resolve().parents[1], Path.cwd())):
        path = root / "solutions" / f"{assignment}.py"
        if path.is_file():
            return path
    raise pytest.UsageError("--submission reference needs the course repository's solutions/ folder "
                            "(not part of the installed package): run from the repository root")
