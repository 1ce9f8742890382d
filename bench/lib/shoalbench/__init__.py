"""shoalbench: the scaling-study harness behind bench/scale (docs/bench.md).

Modules, one concept each:
  workloads  what to run: bundled workloads (built here) and PARSEC programs
  stats      what a run's --stats JSON says, reduced to the fields we plot
  results    the CSV files: one row per run and one per point (median, spread)
  sweep      the loop over points, with progress, skipping what is measured
  plots      the PNG figures
"""
