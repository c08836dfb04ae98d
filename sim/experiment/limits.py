"""The caps on experiment values, in one light module (the command line states them in --help).

Each cap keeps a mistyped value from exhausting the machine: a run of ten million replications,
a thousand worker processes. The scenario schema caps ``experiment.replications`` and
``experiment.seed`` the same way.
"""

#: Most replications one run may ask for.
MAX_REPLICATIONS = 100_000
#: Most worker processes, even when more than the machine's cores are forced.
MAX_JOBS = 256
#: Largest root seed.
MAX_SEED = 2**63 - 1
