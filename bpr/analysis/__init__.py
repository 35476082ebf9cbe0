"""Analysis of logs and simulation results: fidelity (hold-out split, the BPS literature's log
distances, ``validate``), and the comparisons behind what-if and sweep reports."""
