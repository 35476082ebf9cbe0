"""Every choice discovery makes, in one typed dataclass (so calibration can try variants).

Defaults give a sound, block-structured model with parametric durations, hour-granular calendars
(shift edges to 15 minutes), arrivals at the recent rate and no extraneous delays. Units are
stated in the field names or comments.

Values worth a calibration search (measured on the fit/validation split of the P2P training log;
each changes what the model file says, nothing is hidden): ``extraneous_delays`` True;
``noise_threshold`` 0 / 0.1 / 0.2; ``sequence_min_share`` 0.9 / 0.8 / 0.7 / 1.1 (off; matters at
noise 0); ``branching_window_share`` 1 / 0.5 / 0.3; ``delay_window_share`` 1 / 0.5 / 0.3 and
``delay_resource_busy`` True / False (only with delays); ``arrival_window_share`` 1 / 0.5 /
0.25; ``calendar_trim_edges``, ``calendar_moments``, ``calendar_granularity_minutes`` 30 / 60.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bpr.errors import BprError
from bpr.model.kinds import KINDS

#: control-flow algorithms: name -> what it is (see :mod:`bpr.discovery.controlflow`)
ALGORITHMS: dict[str, str] = {
    "inductive": "Inductive Miner, infrequent (IMf): filters paths rarer than the noise "
                 "threshold; noise 0 is the plain Inductive Miner (perfect fitness)",
    "inductive-df": "Inductive Miner, directly-follows (IMd): works on the directly-follows "
                    "graph after removing arcs rarer than the noise threshold; fastest",
}

#: every registered distribution kind is a candidate family (bpr.model.kinds.KINDS)
DURATION_FAMILIES: tuple[str, ...] = tuple(KINDS)

CALENDAR_MOMENTS: tuple[str, ...] = ("both", "starts")


@dataclass(frozen=True)
class MiningOptions:
    """Discovery settings. Times in seconds, shares in [0, 1]."""

    # -- control flow
    algorithm: str = "inductive"
    # 0.1: on the fit/validation splits it beat 0.2 on P2P (n-gram 0.48 -> 0.42) and Insurance
    # and tied on LoanApp, 08_receipt and 03_repairExample; 0 fits every case but over-generalises
    # large logs (08_receipt n-gram 0.47 -> 0.56)
    noise_threshold: float = 0.1
    # a parallel block whose branches the log runs in one order (each pair of branches in the same
    # order in at least this share of the cases running both) becomes a sequence; above 1: never
    sequence_min_share: float = 0.9
    # -- durations: candidate families; the closest to the data by Wasserstein distance wins.
    duration_families: tuple[str, ...] = DURATION_FAMILIES
    # the empirical (quantile) fit is chosen only if its distance times this factor still beats
    # the best parametric fit (it always fits the sample best; parametric fits generalise)
    empirical_penalty: float = 2.0
    # ... and only if the best parametric fit is further than this many sample sds from the data
    parametric_tolerance: float = 0.05
    empirical_quantiles: int = 21  # q0, q5, ..., q100
    max_fit_samples: int = 5000  # larger samples are thinned (evenly by rank) before fitting
    # rescale every fitted distribution (durations, delays, inter-arrival times) to the sample
    # mean, keeping its shape: the mean sets workloads and arrival rates
    preserve_mean: bool = True
    # -- calendars (pools and arrivals): weekly cells of this many minutes (divides 60 or 1440)
    calendar_granularity_minutes: int = 60
    # a cell is open when it holds at least this share of the mean count of non-empty cells...
    calendar_min_share: float = 0.1
    # ... and at least this many observed events (start or end moments, arrivals)
    calendar_min_events: int = 2
    # fewer observations than this: use the calendar of all resources (or 24/7 arrivals)
    calendar_min_observations: int = 30
    # which moments show a pool at work: "both" starts and ends of work, or "starts" only (for
    # logs whose work runs on past the end of a shift, where ends would stretch the shift)
    calendar_moments: str = "both"
    # cells the log never watched (outside its first..last moment, e.g. the other weekdays of a
    # one-day log) are open (True: no evidence of a closure) or closed (False)
    calendar_unobserved_open: bool = True
    # runs of at most this many closed cells between open cells of one day are opened (0: off);
    # a quiet hour inside a shift is not a break
    calendar_fill_gap_cells: int = 0
    # a cell where a shift starts or ends opens only where its moments fall (e.g. until 15:30
    # when no work is seen after 15:30): sub-hour shift edges from hourly cells
    calendar_trim_edges: bool = True
    pool_calendars: bool = True  # False: every pool works 24/7 (wall-clock durations)
    arrival_calendar: bool = True  # False: arrivals 24/7
    # the inter-arrival distribution is fitted on the most recent share of the log's arrival
    # span (1: all of it). Default 0.5: on the fit/validation split of the training logs it cut
    # the P2P absolute-event distance from 334 h to 87 h and changed LoanApp and Insurance little
    arrival_window_share: float = 0.5
    # -- resources
    use_roles: bool = True  # pools from the role column when the log has one
    # resources whose activity profiles correlate at least this much share a pool
    pool_correlation: float = 0.7
    # -- waiting not explained by staff or calendars (Simod's extraneous delays)
    extraneous_delays: bool = False
    delay_min_mean_seconds: float = 60.0  # smaller mean unexplained waits are left out
    # delays are fitted on the instances enabled in the most recent share of the log's span
    # (1: all; e.g. 0.5 when waiting drifts), if an activity has at least 10 of them there
    delay_window_share: float = 1.0
    # True: waiting while the instance's resource was busy is explained (not a delay); False:
    # only closed hours explain waiting (all other waiting becomes the delay)
    delay_resource_busy: bool = True
    # -- branching probabilities come from the cases that arrived in the most recent share of
    # the log's arrival span (1: all cases); splits fired fewer than 5 times by them keep the
    # whole log's shares. The structure always comes from every case.
    branching_window_share: float = 1.0
    # -- branching probabilities are rounded to this many decimals (the last fixed to sum 1)
    probability_decimals: int = 4

    def fit_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of :func:`bpr.discovery.durations.fit_duration` set here."""
        return {"families": self.duration_families, "penalty": self.empirical_penalty,
                "n_quantiles": self.empirical_quantiles, "max_samples": self.max_fit_samples,
                "tolerance": self.parametric_tolerance, "preserve_mean": self.preserve_mean}

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            import difflib

            close = difflib.get_close_matches(self.algorithm, list(ALGORITHMS), n=1, cutoff=0.4)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise BprError(f"unknown mining algorithm {self.algorithm!r}{hint} (choose from "
                           f"{', '.join(ALGORITHMS)})")
        if not 0.0 <= self.noise_threshold <= 1.0:
            raise BprError(f"noise threshold must be between 0 and 1, got {self.noise_threshold}")
        bad = [f for f in self.duration_families if f not in DURATION_FAMILIES]
        if bad or not self.duration_families:
            raise BprError(f"unknown duration family {bad[0] if bad else '(none given)'!r}; "
                           f"choose from {', '.join(DURATION_FAMILIES)}")
        g = self.calendar_granularity_minutes
        if g <= 0 or (60 % g and g % 60) or (g % 60 == 0 and 1440 % g):
            raise BprError(f"calendar granularity must divide an hour or a day (e.g. 15, 30, 60, "
                           f"120 minutes), got {g}")
        if not 0.0 < self.arrival_window_share <= 1.0:
            raise BprError(f"arrival window share must be in (0, 1], got "
                           f"{self.arrival_window_share}; use 1 for the whole log")
        if self.calendar_moments not in CALENDAR_MOMENTS:
            raise BprError(f"calendar moments must be one of {', '.join(CALENDAR_MOMENTS)}, got "
                           f"{self.calendar_moments!r}")
        if not 0.0 < self.branching_window_share <= 1.0:
            raise BprError(f"branching window share must be in (0, 1], got "
                           f"{self.branching_window_share}; use 1 for every case")
        if self.sequence_min_share < 0.5:
            raise BprError(f"sequence min share must be at least 0.5 (above 1 turns it off), got "
                           f"{self.sequence_min_share}")
        if not 0.0 < self.delay_window_share <= 1.0:
            raise BprError(f"delay window share must be in (0, 1], got "
                           f"{self.delay_window_share}; use 1 for the whole log")
        if self.calendar_fill_gap_cells < 0:
            raise BprError(f"calendar gap filling must be 0 or more cells, got "
                           f"{self.calendar_fill_gap_cells}")
        if not 0.0 <= self.pool_correlation <= 1.0:
            raise BprError(f"pool correlation must be between 0 and 1, got "
                           f"{self.pool_correlation}")
