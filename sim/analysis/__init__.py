"""Analysis: summaries with confidence intervals and queueing-theory checks (layer 5 of 7)."""

from sim.analysis.queueing import erlang_c, mg1_mean_wait, mmc_mean_wait, offered_load
from sim.analysis.summary import bootstrap_interval, per_replication, summarise, t_interval

__all__ = [
    "bootstrap_interval",
    "erlang_c",
    "mg1_mean_wait",
    "mmc_mean_wait",
    "offered_load",
    "per_replication",
    "summarise",
    "t_interval",
]
