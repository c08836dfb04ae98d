"""Reports: charts and the committee briefing made from result objects (layer 6 of 7).

:mod:`sim.report.charts`: each chart a function from results to a matplotlib Figure, in
English or Chinese. :mod:`sim.report.brief`: the typeset committee briefing (Typst).
:mod:`sim.report.words` and :mod:`sim.report.accounts`: every word they print, lever accounts
included. :mod:`sim.report.fonts`: the packaged CJK font.
"""

from sim.report.charts import (
    comparison_chart,
    days_go_chart,
    distribution_chart,
    lead_time_chart,
    stage_breakdown_chart,
    swimlane_chart,
    targets_for,
    tornado_chart,
    trips_chart,
    utilisation_heatmap,
)

__all__ = [
    "comparison_chart",
    "days_go_chart",
    "distribution_chart",
    "lead_time_chart",
    "stage_breakdown_chart",
    "swimlane_chart",
    "targets_for",
    "tornado_chart",
    "trips_chart",
    "utilisation_heatmap",
]
