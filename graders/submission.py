"""The `Submission` proxy: the only way a grader reaches student code.

Graders ask the proxy to run a probe (see `graders.probes`) by name with plain arguments and
get plain data back. The backend decides where the student's code lives: in this process
(`InProcess`, for notebooks and quick local checks) or elsewhere. Both backends pass arguments
and results through `graders.codec`, so a grader sees the same exact types either way.
"""

from __future__ import annotations

import importlib
from graders import codec, loader


class SubmissionFault(Exception):
    """The submission could not answer a probe: it crashed, hung, or returned something unreadable."""


class InProcess:
    """Student code executed into a namespace of this process."""

    def __init__(self, namespace: dict):
        self.namespace = namespace

    def run(self, probe: str, header: str, blobs: list[bytes], timeout: float | None = None):
        routine = resolve_probe(probe)
        kwargs = codec.decode(header, blobs)
        return codec.encode(routine(self.namespace, **kwargs))

    def close(self):
        pass


def resolve_probe(name: str):
    """`module:function` inside the graders package, e.g. `probes:call`."""
    module_name, _, function = name.partition(":")
    module = importlib.import_module(f"graders.{module_name}")
    return getattr(module, function)


class Submission:
    def __init__(self, backend, *, sources=(), load_errors=(), label: str = "submission"):
        self.backend = backend
        self.sources = list(sources)
        self.load_errors = list(load_errors)
        self.label = label
        self.timed_out: dict[str, str] = {}

    @classmethod
    def open(cls, path, assignment: str | None = None, *, isolated: bool = True, limits=None,
             hide=()) -> "Submission":
        """Load a `.py` file, a notebook, or a folder holding one.

        Isolated (the default), the code runs in a confined worker process that cannot see the
        reference solutions, the instructor's folders or anything in `hide`; otherwise it runs in
        this process. Raises `loader.UnreadableSubmission` when there is nothing that could be run.
        """
        file = loader.resolve(path, assignment)
        chunks = loader.code_chunks(file)
        sources = [chunk.source for chunk in chunks]
        if not isolated:
            namespace, errors = loader.execute(chunks)
            return cls(InProcess(namespace), sources=sources, load_errors=errors, label=str(file))
        from graders.isolation import Isolated, Limits, private_paths

        backend = Isolated(chunks, limits or Limits(), hide=[*private_paths(), *hide])
        errors = [backend.unloadable] if backend.unloadable else backend.load_errors
        return cls(backend, sources=sources, load_errors=errors, label=str(file))

    @classmethod
    def from_namespace(cls, namespace: dict, sources=(), label: str = "notebook") -> "Submission":
        return cls(InProcess(namespace), sources=sources, label=label)

    def run(self, probe: str, *, timeout: float | None = None, **kwargs):
        """Run `graders.<probe>` next to the student's code and return its plain-data report.

        `timeout` (seconds) bounds a probe that legitimately runs long, such as a training run;
        backends that isolate the student's code enforce it, and a default otherwise.
        """
        # A function that hung once is not waited for again: one infinite loop costs one timeout.
        function = kwargs.get("function") if type(kwargs.get("function")) is str else probe
        if function in self.timed_out:
            raise SubmissionFault(f"not run: an earlier call {self.timed_out[function]}")
        try:
            result = self.backend.run(probe, *codec.encode(kwargs), timeout=timeout)
            return codec.decode(*result)
        except codec.CodecError as error:
            raise SubmissionFault(f"the submission returned something that is not plain data: {error}") from None
        except SubmissionFault as fault:
            if str(fault).startswith("timed out"):
                self.timed_out[function] = str(fault)
            raise

    def close(self):
        self.backend.close()
