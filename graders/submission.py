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

    @classmethod
    def open(cls, path, assignment: str | None = None) -> "Submission":
        """Load a `.py` file, a notebook, or a folder holding one, into this process.

        Raises `loader.UnreadableSubmission` when there is nothing that could be run.
        """
        file = loader.resolve(path, assignment)
        chunks = loader.code_chunks(file)
        namespace, errors = loader.execute(chunks)
        return cls(InProcess(namespace), sources=[chunk.source for chunk in chunks], load_errors=errors,
                   label=str(file))

    @classmethod
    def from_namespace(cls, namespace: dict, sources=(), label: str = "notebook") -> "Submission":
        return cls(InProcess(namespace), sources=sources, label=label)

    def run(self, probe: str, *, timeout: float | None = None, **kwargs):
        """Run `graders.<probe>` next to the student's code and return its plain-data report.

        `timeout` (seconds) bounds a probe that legitimately runs long, such as a training run;
        backends that isolate the student's code enforce it, and a default otherwise.
        """
        try:
            result = self.backend.run(probe, *codec.encode(kwargs), timeout=timeout)
            return codec.decode(*result)
        except codec.CodecError as error:
            raise SubmissionFault(f"the submission returned something that is not plain data: {error}") from None

    def close(self):
        self.backend.close()
