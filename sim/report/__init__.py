"""Reports: charts and briefings made from result objects (layer 6 of 7)."""

from sim.report.charts import lead_time_chart

__all__ = ["lead_time_chart"]
