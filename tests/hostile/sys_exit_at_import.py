"""Calls sys.exit(0) before defining anything.

standalone: yes
score: 0
"""
import sys

sys.exit(0)
