"""Reports: charts and briefings made from result objects (layer 6 of 7)."""

from sim.report.charts import (
    comparison_chart,
    lead_time_chart,
    stage_breakdown_chart,
    swimlane_chart,
    tornado_chart,
    trips_chart,
    utilisation_heatmap,
)

__all__ = [
    "comparison_chart",
    "lead_time_chart",
    "stage_breakdown_chart",
    "swimlane_chart",
    "tornado_chart",
    "trips_chart",
    "utilisation_heatmap",
]
