"""bpr's benchmarks: speed and memory targets checked by scripts, never by timed unit tests.

Run all with ``python -m benchmarks`` (``make bench``) or some by name:
``python -m benchmarks mine``. Generated inputs go to ``benchmarks/.work/`` (not in git).
"""
