"""Discovering a simulation-ready process model from an event log (``bpr.mine``).

``mine(log) -> ProcessModel``; :class:`MiningOptions` holds every discovery choice;
:func:`discover` also returns what was learnt on the way (for summaries and calibration);
:func:`summarize` builds the summary the ``bpr mine`` command prints.
"""

from bpr.mine.discover import Discovery, discover, mine
from bpr.mine.options import ALGORITHMS, MiningOptions
from bpr.mine.summary import MiningSummary, summarize

__all__ = ["ALGORITHMS", "Discovery", "MiningOptions", "MiningSummary", "discover", "mine",
           "summarize"]
