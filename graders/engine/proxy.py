"""The `Submission` proxy: the only way a grader reaches student code.

Graders ask the proxy to run a probe (a function registered in `graders.probes`) with plain
arguments and get plain data back. The backend decides where the student's code lives: in this process
(`InProcess`, for notebooks and quick local checks) or elsewhere. Both backends pass arguments
and results through `graders.engine.codec`, so a grader sees the same exact types either way.
"""

from __future__ import annotations

from graders import probes
from graders.engine import codec, loader, tamper
from graders.engine.faults import NotRunAgain, SubmissionFault, Tampered, TimedOut, Unloadable, UnreadableReply


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
    def __init__(self, backend, *, sources=(), load_errors=(), unloadable: bool = False, tampered=(), labels=()):
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
        # Evidence of tampering with the grading machinery, one line each: the submission then scores
        # zero and is flagged for review (graders.engine.tamper).
        self.tampered: list[str] = []
        self._witness(list(tampered))

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
        evidence = tamper.evidence_in_source([(chunk.label, chunk.source) for chunk in chunks])
        if not isolated:
            namespace, errors = loader.execute(chunks)
            return cls(InProcess(namespace), sources=sources, load_errors=errors, tampered=evidence, labels=labels)
        from graders.engine import runner
        from graders.engine.isolation import Isolated, Limits, private_paths

        # Code with evidence of tampering in its source is never run: it scores zero whatever it does.
        backend = Isolated(chunks if not evidence else [], limits or Limits(), hide=[*private_paths(), *hide],
                           preload=runner.libraries(assignment) if assignment else ())
        errors = [backend.unloadable] if backend.unloadable else backend.load_errors
        return cls(backend, sources=sources, load_errors=errors, unloadable=bool(backend.unloadable),
                   tampered=evidence + backend.tampered, labels=labels)

    def _witness(self, evidence: list[str]):
        if evidence:
            self.faults.add(Tampered)
            self.tampered += [line for line in evidence if line not in self.tampered]

    def run(self, routine, *, timeout: float | None = None, **kwargs):
        """Run the probe `routine` (a function of `graders.probes`) next to the student's code and
        return its plain-data report.

        `timeout` (seconds) bounds a probe that legitimately runs long, such as a training run;
        backends that isolate the student's code enforce it, and a default otherwise.
        """
        name = probes.name_of(routine)
        if self.tampered:
            raise Tampered(f"not run: the submission tampers with the grading machinery ({self.tampered[0]})")
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
            if isinstance(fault, Tampered):
                self._witness(list(getattr(self.backend, "tampered", [])) or [str(fault)])
            raise

    def close(self):
        self.backend.close()
