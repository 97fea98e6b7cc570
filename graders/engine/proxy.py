"""The `Submission` proxy: the only way a grader reaches student code.

Graders ask the proxy to run a probe (a function registered in `graders.probes`) with plain
arguments and get plain data back. The backend decides where the student's code lives: in this process
(`InProcess`, for notebooks and quick local checks) or elsewhere. Both backends pass arguments
and results through `graders.engine.codec`, so a grader sees the same exact types either way.
"""

from __future__ import annotations

from graders import probes
from graders.engine import codec, loader
from graders.engine.faults import NotRunAgain, SubmissionFault, TimedOut, Unloadable, UnreadableReply


class InProcess:
    """Student code executed into a namespace of this process."""

    def __init__(self, namespace: dict):
        self.namespace = namespace

    def run(self, probe: str, header: str, blobs: list[bytes], timeout: float | None = None):
        routine = probes.resolve(probe)
        kwargs = codec.decode(header, blobs)
        return codec.encode(routine(self.namespace, **kwargs))

    def close(self):
        pass


class Submission:
    def __init__(self, backend, *, sources=(), load_errors=(), unloadable: bool = False, labels=()):
        self.backend = backend
        self.sources = list(sources)
        self.labels = list(labels)  # where each source comes from ("cell 5", "losses.py"), when known
        self.load_errors = list(load_errors)
        self.timed_out: dict[str, str] = {}
        # The kinds of fault met while grading (and Unloadable, when nothing could be loaded): the
        # batch's status of a student comes from these.
        self.faults: set[type] = set()
        if unloadable:
            self.faults.add(Unloadable)

    @classmethod
    def open(cls, path, assignment: str | None = None, *, isolated: bool = True, limits=None,
             hide=()) -> Submission:
        """Load a `.py` file, a notebook, or a folder holding one.

        Isolated (the default), the code runs in a confined worker process that cannot see the
        reference solutions, the instructor's folders or anything in `hide`; otherwise it runs in
        this process. Raises `loader.UnreadableSubmission` when there is nothing that could be run.
        """
        file = loader.resolve(path, assignment)
        chunks = loader.code_chunks(file)
        sources, labels = [chunk.source for chunk in chunks], [chunk.label for chunk in chunks]
        if not isolated:
            namespace, errors = loader.execute(chunks)
            return cls(InProcess(namespace), sources=sources, load_errors=errors, labels=labels)
        from graders.engine.isolation import Isolated, Limits, private_paths

        backend = Isolated(chunks, limits or Limits(), hide=[*private_paths(), *hide])
        errors = [backend.unloadable] if backend.unloadable else backend.load_errors
        return cls(backend, sources=sources, load_errors=errors, unloadable=bool(backend.unloadable), labels=labels)

    def run(self, routine, *, timeout: float | None = None, **kwargs):
        """Run the probe `routine` (a function of `graders.probes`) next to the student's code and
        return its plain-data report.

        `timeout` (seconds) bounds a probe that legitimately runs long, such as a training run;
        backends that isolate the student's code enforce it, and a default otherwise.
        """
        name = probes.name_of(routine)
        # A function that hung once is not waited for again: one infinite loop costs one timeout.
        function = kwargs.get("function") if type(kwargs.get("function")) is str else name
        if function in self.timed_out:
            self.faults.add(NotRunAgain)
            raise NotRunAgain(f"not run: an earlier call {self.timed_out[function]}")
        try:
            result = self.backend.run(name, *codec.encode(kwargs), timeout=timeout)
            return codec.decode(*result)
        except codec.CodecError as error:
            self.faults.add(UnreadableReply)
            raise UnreadableReply(f"the submission returned something that is not plain data: {error}") from None
        except SubmissionFault as fault:
            self.faults.add(type(fault))
            if isinstance(fault, TimedOut):
                self.timed_out[function] = str(fault)
            raise

    def close(self):
        self.backend.close()
