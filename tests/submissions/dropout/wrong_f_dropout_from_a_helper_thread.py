"""Hands the work to F.dropout, looked up with getattr on a string built at run time and called from a helper thread,
where torch's function and dispatch modes (per-thread) see nothing. Every statistic is right; the run-time witness
in every thread still sees F.dropout, and dropout earns nothing.

fails: test_dropout_uses_no_forbidden_builtin
hint: relies on built-ins
"""

import importlib
import threading


def dropout(input, p=0.5, training=True):
    built_in = getattr(importlib.import_module("torch.nn." + "functional"), "drop" + "out")
    box = []
    helper = threading.Thread(target=lambda: box.append(built_in(input, p, training)))
    helper.start()
    helper.join()
    return box[0]
