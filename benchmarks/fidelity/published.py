"""Published fidelity figures to compare with.

PurchasingExample ("P2P"), temporal 80/20 split, means over 10 simulated logs, from the
evaluation of AgentSimulator (Kirchdorfer et al., 2024), as quoted in issue 7. The keys are
those of :class:`bpr.analysis.distances.LogDistances`.
"""

from __future__ import annotations

#: log name -> metric -> (Simod, best published, best method)
PUBLISHED: dict[str, dict[str, tuple[float, float, str]]] = {
    "PurchasingExample": {
        "ngram": (0.415, 0.200, "DeepGenerator"),
        "absolute_event_h": (1044.0, 1044.0, "Simod"),
        "circadian_event_h": (2.21, 0.83, "RIMS"),
        "relative_event_h": (840.0, 722.0, "DeepSimulator"),
        "cycle_time_h": (677.0, 558.0, "AgentSimulator"),
    },
}
