"""Leaves a daemonised grandchild (double fork and setsid) that keeps trying to write files.

score: 42
"""
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(600):
            for path in ("/tmp/nngrade-hostile-daemon", os.path.expanduser("~/nngrade-hostile-daemon")):
                try:
                    open(path, "w").write("still here")
                except OSError:
                    pass
            time.sleep(1)
    os._exit(0)
