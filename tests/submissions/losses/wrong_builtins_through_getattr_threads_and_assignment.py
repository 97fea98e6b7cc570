"""Every loss is the built-in, hidden three ways at once: looked up with getattr on a string built at run time (no
forbidden name in the code), called from a helper thread (where torch's function and dispatch modes, which are
per-thread, see nothing), and bound to the public name by assignment rather than `def`. Every value is right; the
run-time witness in every thread still sees the built-ins, and each function earns nothing.

fails: test_mse_loss_uses_no_forbidden_builtin, test_logsumexp_uses_no_forbidden_builtin, test_cross_entropy_uses_no_forbidden_builtin, test_binary_cross_entropy_with_logits_uses_no_forbidden_builtin
hint: relies on built-ins
"""

import importlib
import threading


def _in_a_thread(module, *parts):
    function = getattr(importlib.import_module(module), "".join(parts))

    def run(*args, **kwargs):
        box = []
        helper = threading.Thread(target=lambda: box.append(function(*args, **kwargs)))
        helper.start()
        helper.join()
        return box[0]
    return run


mse_loss = _in_a_thread("torch.nn." + "functional", "mse", "_loss")
logsumexp = _in_a_thread("torch", "logsum", "exp")
cross_entropy = _in_a_thread("torch.nn." + "functional", "cross", "_entropy")
binary_cross_entropy_with_logits = _in_a_thread("torch.nn." + "functional", "binary_cross", "_entropy_with_logits")
