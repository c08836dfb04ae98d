"""One look for every chart: a colour-blind-safe palette (Okabe-Ito) and quiet axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # charts are files; never open a window

# Okabe & Ito (2008), distinguishable under the common colour-vision deficiencies
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

RC = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "pdf.fonttype": 42,  # TrueType in PDFs: text stays searchable and extractable
}
