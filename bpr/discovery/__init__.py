"""Discovering a simulation-ready process model from an event log (``bpr.discovery``).

``mine(log) -> ProcessModel``; :class:`MiningOptions` holds every discovery choice;
:func:`discover` also returns what was learnt on the way (for summaries and calibration);
:func:`summarize` builds the summary the ``bpr mine`` command prints.
"""

from bpr.discovery.discover import Discovery, discover, mine
from bpr.discovery.options import ALGORITHMS, MiningOptions
from bpr.discovery.summary import MiningSummary, summarize

__all__ = ["ALGORITHMS", "Discovery", "MiningOptions", "MiningSummary", "discover", "mine",
           "summarize"]
