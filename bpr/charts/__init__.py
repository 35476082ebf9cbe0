"""Charts: matplotlib figures (returned, not shown), written atomically when a path is given."""
