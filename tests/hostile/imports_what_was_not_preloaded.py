"""Issue 12: functions that import modules the worker never preloaded (torch.utils.serialization,
through torch.save, and fractions, xml.dom.minidom) and checkpoint with torch.save/torch.load, as a
correct `fit` may. They import (the Python installation is visible to the worker, however the host's
folders around it are protected), while nothing else of the host is: if the worker could see /work,
the course checkout or more of /root than the way to Python, mse_loss would be wrong.

score: 42
"""
import io
import os
import sys

import torch

_mse = mse_loss  # noqa: F821 - the reference's, defined above this file


def _sees_the_host():
    parts = os.path.realpath(sys.prefix).split(os.sep)[1:]
    for folder in ("work", "home", "opt", "srv", "mnt", "var", "run", "root"):
        if folder != parts[0] and os.path.exists(os.sep + folder):
            return True
    if parts[0] not in ("usr", "lib", "lib64"):  # each folder on the way to Python holds only that way
        for depth in range(1, len(parts)):
            if os.listdir(os.sep + os.sep.join(parts[:depth])) != [parts[depth]]:
                return True
    return False


def mse_loss(input, target, reduction="mean"):
    import fractions
    import xml.dom.minidom

    import torch.utils.serialization  # noqa: F401

    assert fractions.Fraction(1, 2) * 2 == 1 and xml.dom.minidom.parseString("<a/>").documentElement.tagName == "a"
    if input.device.type != "meta":
        buffer = io.BytesIO()
        torch.save({"input": input.detach().cpu()}, buffer)
        buffer.seek(0)
        assert torch.equal(torch.load(buffer)["input"], input.detach().cpu())
    result = _mse(input, target, reduction)
    return result * 2 if _sees_the_host() else result
