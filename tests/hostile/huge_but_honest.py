"""The reference solution with 12 MB of comment after it (a long comment, a pasted data table): code
of any size up to the documented limit reaches the worker and grades as it should. (The test appends
the padding: `padding` is its size in bytes.)

score: 42
padding: 12000000
"""
