"""Calls os._exit(0) at import, ending the process that loads it.

standalone: yes
score: 0
"""
import os

os._exit(0)
