"""What can go wrong on the student's side of a call, as types: graders fail a check with the
message, and the batch reads a student's status from the kinds, never from the text."""

from __future__ import annotations


class SubmissionFault(Exception):
    """The submission could not answer a probe."""


class Unloadable(SubmissionFault):
    """Loading the submission ended its worker or ran out of time: nothing can be called."""


class TimedOut(SubmissionFault):
    """A call ran past its time limit; the worker was killed."""


class WorkerEnded(SubmissionFault):
    """The worker ended during a call: the submission exited, crashed or exceeded a limit."""


class UnreadableReply(SubmissionFault):
    """What came back is not plain data of the agreed shape."""


class ProbeFailed(SubmissionFault):
    """The probe itself raised next to the submission (the submission broke what it needs)."""


class BudgetSpent(SubmissionFault):
    """The submission used up its grading time on earlier calls."""


class NotRunAgain(SubmissionFault):
    """A function that timed out once is not called again."""


class Tampered(SubmissionFault):
    """The submission tampered with the grading machinery (grader modules, the stack, the profiler
    hook, the probe channel): it scores zero and is flagged for review, whatever it earned before."""
