"""The figure theme shared by every chapter: large type, titles, units and event markers.

Call :func:`use` once at the top of a notebook. Plot helpers here stay small:
the plotting that *is* the lesson stays in the notebook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from importlib import resources

PALETTE = {
    "Dell": "#0076CE",  # Dell blue
    "in_house": "#0076CE",
    "vendor": "#E8730C",
    "competitor": "#7F7F7F",
    "planted": "#2CA02C",
    "claim": "#D62728",
    "estimate": "#1F1F1F",
    "T": "#8C8C8C",
    "R": "#0076CE",
    "key": "#D62728",
}


def use() -> None:
    """Apply the casebook style (projector-friendly fonts, seaborn palette, PNG output)."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    style = resources.files("casebook.analysis").joinpath("mplstyle", "casebook.mplstyle")
    with resources.as_file(style) as p:
        plt.style.use(str(p))
    try:  # inline PNG in notebooks (SVG would be compared by nbval and is heavy)
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except Exception:  # pragma: no cover - outside IPython
        pass


def source_note(ax, text: str = "Source: synthetic Dell world (casebook)") -> None:
    """Small source line under an axis, as in a published figure."""
    ax.annotate(text, xy=(0, -0.14), xycoords="axes fraction", fontsize=9, color="#555555", ha="left", va="top")


def mark_events(ax, events: Mapping[str, dt.date | str], ymax_frac: float = 0.97) -> None:
    """Draw labelled vertical lines for dated events (e.g. the switch, the crisis) on a time axis."""
    import pandas as pd

    for i, (label, when) in enumerate(events.items()):
        x = pd.Timestamp(when)
        ax.axvline(x, color="#444444", ls="--", lw=1.2, alpha=0.8)
        ax.annotate(
            label,
            xy=(x, ymax_frac - 0.08 * (i % 3)),
            xycoords=("data", "axes fraction"),
            rotation=0,
            fontsize=10,
            ha="left",
            va="top",
            color="#333333",
            bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.8),
        )


def claim_vs_estimate(
    ax, labels: Iterable[str], estimates, lows, highs, planted=None, claimed=None, unit: str = ""
) -> None:
    """Dot-and-whisker chart: estimate with 95 % interval, planted value and the case's claim."""
    import numpy as np

    labels = list(labels)
    y = np.arange(len(labels))
    est = np.asarray(estimates, float)
    lo = np.asarray(lows, float)
    hi = np.asarray(highs, float)
    ax.errorbar(
        est, y, xerr=[est - lo, hi - est], fmt="o", color=PALETTE["estimate"], capsize=4, label="estimate (95 % CI)"
    )
    if planted is not None:
        ax.scatter(planted, y, marker="D", color=PALETTE["planted"], zorder=3, label="planted")
    if claimed is not None:
        ax.scatter(claimed, y, marker="x", s=80, color=PALETTE["claim"], zorder=3, label="case claim")
    ax.set_yticks(y, labels)
    ax.set_xlabel(unit)
    ax.legend(loc="best")
