"""Seed sweep for chapter 03: does every estimator of the switch's effect cover the truth?

For each seed, generate the world (and its no-vendor twin) at the given size with the
case's effects or with the switch's effects set to zero (industry shocks on), run
:func:`casebook.analysis.outsourcing.satisfaction_effects` and the C4/C6/C7 estimators,
and print, per estimator, the share of seeds whose 95 % interval covers the planted value.

    python benchmarks/sweep_03.py --seeds 20 --n 5000 --data-dir /tmp/sweep03
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
import pandas as pd

import synthetic
from casebook.analysis import causal, outsourcing
from synthetic.market import expected_index_shift
from synthetic.timeline import day_index

NULL = {"outsourcing.satisfaction_effect": 0.0, "outsourcing.complaint_growth": 0.0}
TWIN = {"outsourcing.vendor_share": 0.0, "outsourcing.satisfaction_effect": 0.0, "outsourcing.complaint_growth": 0.0}


def planted_shifts(sc) -> dict[str, float]:
    """The planted changes of the firm's index at the switch, the crisis and the recovery."""
    c = sc.crisis

    def shift(d: dt.date) -> float:
        return float(expected_index_shift(sc, np.array([day_index(d, sc.world.start)]))[0])

    one = dt.timedelta(days=1)
    return {
        "switch": shift(sc.outsourcing.start) - shift(sc.outsourcing.start - one),
        "crisis": shift(c.start) - shift(c.start - one),
        "recovery": shift(c.end) - shift(c.end - one),
    }


def one_world(seed: int, n: int, overrides: dict, data_dir: str) -> list[dict]:
    """Every estimate with its interval and planted value, for one world."""
    w = synthetic.load(scenario="case", seed=seed, n_customers=n, overrides=overrides, data_dir=data_dir)
    twin = synthetic.load(scenario="case", seed=seed, n_customers=n, overrides=overrides | TWIN, data_dir=data_dir)
    cust = w.table("customers", columns=["customer_id", "segment"])
    tk = w.table("support_tickets").merge(cust, on="customer_id", how="left")
    reg = outsourcing.regimes(tk)
    res = outsourcing.satisfaction_effects(w.table("surveys"), reg, twin.table("surveys"))
    p = planted_shifts(w.scenario)
    rows = [
        {"estimator": k, "estimate": iv.estimate, "low": iv.low, "high": iv.high, "planted": p["switch"]}
        for k, iv in res["effects"].items()
    ]
    for k, iv in res["model_effects"].items():
        if k in (
            "ITS (one series, AR(1) errors)",
            "DiD vs competitor brands",
            "event study (quarterly lags)",
            "synthetic control",
            "segment comparison (x share outsourced)",
        ):
            rows.append(
                {
                    "estimator": f"{k}: model interval",
                    "estimate": iv.estimate,
                    "low": iv.low,
                    "high": iv.high,
                    "planted": p["switch"],
                }
            )
    for b in ("crisis", "recovery"):
        if b in res["its_breaks"]:
            for label, iv in (
                ("", res["its_breaks"][b]),
                (": model interval", res["its"].interval(b)),
            ):
                rows.append(
                    {
                        "estimator": f"ITS {b} (C6/C7){label}",
                        "estimate": iv.estimate,
                        "low": iv.low,
                        "high": iv.high,
                        "planted": p[b],
                    }
                )
    cp = w.table("complaints", columns=["ticket_id", "filed_date"])
    t = tk[["ticket_id", "opened_date"]].assign(c=tk["ticket_id"].isin(cp["ticket_id"]).astype(int))
    mo = t.groupby(t["opened_date"].dt.to_period("M"), sort=True).agg(n=("ticket_id", "size"), k=("c", "sum"))
    mo = mo.iloc[:-3]
    rc = causal.rate_change(mo["k"], mo["n"], mo.index >= reg.switch_month)
    rows.append(
        {
            "estimator": "C4 complaint rate change",
            "estimate": rc.relative_change,
            "low": rc.ci[0],
            "high": rc.ci[1],
            "planted": w.planted("outsourcing.complaint_growth"),
        }
    )
    sp = res["sc_placebos"]
    rows.append(
        {"estimator": "SC placebo p-value", "estimate": sp.attrs["p_value"], "low": None, "high": None, "planted": None}
    )
    for r in rows:
        r["seed"] = seed
    return rows


def main() -> None:
    """Run the sweep and print the coverage table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--data-dir", default="/tmp/sweep03")
    ap.add_argument("--out", default=None, help="CSV of every estimate")
    a = ap.parse_args()
    rows = []
    for label, ov in [("null", NULL), ("case", {})]:
        for s in range(a.first, a.first + a.seeds):
            for r in one_world(s, a.n, ov, a.data_dir):
                rows.append(r | {"world": label})
            print(f"{label} seed {s} done", flush=True)
    df = pd.DataFrame(rows)
    if a.out:
        df.to_csv(a.out, index=False)
    iv = df.dropna(subset=["low"])
    iv = iv.assign(covers=(iv["low"] <= iv["planted"]) & (iv["planted"] <= iv["high"]), width=iv["high"] - iv["low"])
    tab = iv.groupby(["world", "estimator"], sort=False).agg(
        seeds=("seed", "size"),
        coverage=("covers", "mean"),
        mean_estimate=("estimate", "mean"),
        planted=("planted", "mean"),
        sd=("estimate", "std"),
        mean_width=("width", "mean"),
    )
    print(tab.round(3).to_string())
    pv = df[df["estimator"] == "SC placebo p-value"].groupby("world")["estimate"].describe()
    print(pv.round(3).to_string())


if __name__ == "__main__":
    main()
