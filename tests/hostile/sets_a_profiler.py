"""Installs its own profiler hook (by a name built at run time) while loading, which would blind the
recorder of library calls; the worker's witness sees the hook.

score: 0
"""
import sys

getattr(sys, "setpro" + "file")(lambda frame, event, arg: None)
