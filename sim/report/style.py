"""One look for every chart: a colour-blind-safe palette (Okabe-Ito), quiet axes, print sizes.

Charts are drawn at the width they are printed at (the text width of an A4 page with 2 cm
margins), so a font size here is the size on paper; nothing is smaller than :data:`MIN_PT`.
Nothing here chooses a matplotlib backend: charts are :class:`matplotlib.figure.Figure` objects
made without pyplot, so they save to files from a script and display inline in Jupyter alike.
"""

from __future__ import annotations

from matplotlib import cycler

# Okabe & Ito (2008), distinguishable under the common colour-vision deficiencies
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
GREY = "#555555"

PAGE_WIDTH_IN = 17 / 2.54  # text width of A4 less two 2 cm margins: charts print at 100%
PAGE_HEIGHT_IN = 21 / 2.54  # the most a chart takes, leaving room for heading and caption
MIN_PT = 8.0

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 200,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": cycler(color=PALETTE),
    "font.size": 9,
    "axes.titlesize": 10.5,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "figure.titlesize": 11,
    "axes.titleweight": "normal",  # the CJK font has one weight
    "axes.unicode_minus": False,
    "pdf.fonttype": 42,  # TrueType in PDFs: text stays searchable and extractable
    "svg.fonttype": "none",  # SVG text stays text
}
