"""Loops forever while being loaded.

standalone: yes
score: 0
"""
while True:
    pass
