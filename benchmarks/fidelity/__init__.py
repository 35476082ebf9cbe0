"""Fidelity benchmark (issue 7): bpr's distances on held-out data beside the published ones.

Run ``python -m benchmarks.fidelity`` (or ``python benchmarks/fidelity/run.py``); see
:mod:`benchmarks.fidelity.run` for the options.
"""
