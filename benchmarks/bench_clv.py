"""Benchmark of ``casebook.analysis.clv`` on a simulated customer base.

Simulates ``--customers`` customers from the BG/NBD (CDNOW-like parameters) with
integer-week observation lengths T (acquired over ``--weeks`` weeks) and recency
rounded to whole weeks, as weekly-summarised data would be; draws Gamma-Gamma mean
spends; then times, in wall seconds:

1. fitting the BG/NBD with standard errors (target: <= 1.5 s for 1,000,000 distinct customers on an idle core),
2. fitting the Gamma-Gamma with standard errors,
3. P(alive) and expected purchases in the next 52 weeks for every customer,
4. 52-week discounted CLV for every customer (weekly steps, 10 %/year, 20 % margin),
5. a percentile-bootstrap interval of customer equity.

Then, side by side with ``lifetimes`` 0.11.3 (``BetaGeoFitter``, unpenalised) when it is
installed (the ``dev`` extra): BG/NBD fits with standard errors at CDNOW size (2,357 simulated
customers, continuous T in [27, 39] weeks) and at ``--compare-n`` customers whose histories are
all distinct (continuous recency and T, as at daily grain); both timings (ours also without its
subsample start, "full-start": every Newton step on all histories), both parameter sets, and
whether they agree to 4 decimals.

Usage: python benchmarks/bench_clv.py [--customers 1000000] [--seed 0] [--weeks 78] [--n-boot 200]
                                     [--compare-n 1000000] [--no-lifetimes]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from casebook.analysis import _mle, clv  # noqa: E402

TRUE_BGNBD = {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43}
TRUE_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--customers", type=int, default=1_000_000, help="number of customers (default 1,000,000)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument(
        "--weeks",
        type=int,
        default=78,
        help="customers are acquired uniformly over this many weeks, so T is 1..weeks (default 78)",
    )
    ap.add_argument(
        "--n-boot", type=int, default=200, help="bootstrap resamples for the customer-equity interval (default 200)"
    )
    ap.add_argument(
        "--compare-n",
        type=int,
        default=1_000_000,
        help="customers with all-distinct histories in the side-by-side comparison (default 1,000,000; 0 skips it)",
    )
    ap.add_argument("--no-lifetimes", action="store_true", help="skip the lifetimes comparison")
    args = ap.parse_args(argv)
    if args.customers < 2:
        ap.error("--customers must be >= 2")
    if args.weeks < 1:
        ap.error("--weeks must be >= 1")
    if args.n_boot < 1:
        ap.error("--n-boot must be >= 1")

    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    T = rng.integers(1, args.weeks + 1, size=args.customers).astype(float)
    sim = clv.simulate_bgnbd(args.customers, **TRUE_BGNBD, T=T, seed=rng, recency_grid=1.0)
    x, tx, TT = sim["frequency"].to_numpy(), sim["recency"].to_numpy(), sim["T"].to_numpy()
    m = clv.simulate_gamma_gamma(x, **TRUE_GG, seed=rng)
    t_sim = time.perf_counter() - t0

    rows = []

    t0 = time.perf_counter()
    bg = clv.fit_bgnbd(x, tx, TT)
    rows.append(("fit BG/NBD + SEs", time.perf_counter() - t0))

    t0 = time.perf_counter()
    gg = clv.fit_gamma_gamma(x, m)
    rows.append(("fit Gamma-Gamma + SEs", time.perf_counter() - t0))

    t0 = time.perf_counter()
    pa = bg.p_alive(x, tx, TT)  # arrays passed in: includes validation and grouping
    ep = bg.expected_purchases(52, x, tx, TT)
    rows.append(("p_alive + E[purchases 52 wk], all", time.perf_counter() - t0))

    t0 = time.perf_counter()
    cv = clv.customer_lifetime_value(
        bg, gg, x, tx, TT, m, horizon_periods=52, margin=0.2, discount_rate_per_period=1.1 ** (1 / 52) - 1
    )
    rows.append(("CLV 52 wk (weekly steps), all", time.perf_counter() - t0))

    t0 = time.perf_counter()
    lo, hi = clv.bootstrap_interval(cv, n_boot=args.n_boot, seed=args.seed)
    rows.append((f"bootstrap equity CI (n_boot={args.n_boot})", time.perf_counter() - t0))

    print(
        f"customers: {args.customers:,}   seed: {args.seed}   cores: {os.cpu_count()}   "
        f"distinct (x, t_x, T): {bg.n_unique:,}   simulate: {t_sim:.2f} s"
    )
    print(f"{'step':<36}{'wall s':>8}")
    for name, sec in rows:
        print(f"{name:<36}{sec:>8.2f}")
    print()
    print(f"{'param':<7}{'true':>8}{'estimate':>10}{'se':>9}")
    for k, v in TRUE_BGNBD.items():
        print(f"{k:<7}{v:>8.3f}{bg.params[k]:>10.4f}{bg.se[k]:>9.4f}")
    for k, v in TRUE_GG.items():
        print(f"{k:<7}{v:>8.3f}{gg.params[k]:>10.4f}{gg.se[k]:>9.4f}")
    print(
        f"\nmean p_alive {np.mean(pa):.3f}   mean E[purchases 52 wk] {np.mean(ep):.3f}   "
        f"customer equity {clv.customer_equity(cv):,.0f} (95 % bootstrap {lo:,.0f} .. {hi:,.0f})"
    )
    if not args.no_lifetimes:
        compare(args.seed, args.compare_n)
    return 0


def compare(seed: int, big_n: int) -> None:
    """BG/NBD with standard errors: this package vs lifetimes, same data, timed side by side."""
    try:
        import warnings

        from lifetimes import BetaGeoFitter
    except ImportError:
        print("\nlifetimes is not installed (pip install lifetimes==0.11.3, or the dev extra): comparison skipped")
        return
    sizes = [("CDNOW size", 2_357, (27.0, 39.0))] + ([("all distinct", big_n, (1.0, 470.0))] if big_n >= 2 else [])
    print("\nBG/NBD with standard errors, side by side with lifetimes 0.11.3 (same simulated data)")
    print(
        f"{'data':<14}{'customers':>11}{'distinct':>11}{'ours s':>9}{'full-start s':>14}{'lifetimes s':>13}"
        f"{'same to 4 dp':>14}"
    )
    for label, n, (lo, hi) in sizes:
        rng = np.random.default_rng(seed)
        T = rng.uniform(lo, hi, n)
        sim = clv.simulate_bgnbd(n, **TRUE_BGNBD, T=T, seed=rng)
        x, tx, TT = sim["frequency"].to_numpy(), sim["recency"].to_numpy(), sim["T"].to_numpy()
        t0 = time.perf_counter()
        ours = clv.fit_bgnbd(x, tx, TT)
        t_ours = time.perf_counter() - t0
        # the same fitter without the subsample start (every Newton step on all histories): the previous method
        above, _mle.SUBSAMPLE_ABOVE = _mle.SUBSAMPLE_ABOVE, 2**62
        t0 = time.perf_counter()
        full = clv.fit_bgnbd(x, tx, TT)
        t_full = time.perf_counter() - t0
        _mle.SUBSAMPLE_ABOVE = above
        assert all(round(ours.params[k], 4) == round(full.params[k], 4) for k in TRUE_BGNBD)
        bgf = BetaGeoFitter(penalizer_coef=0.0)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            bgf.fit(x, tx, TT)
            se_lt = bgf.standard_errors_  # part of the fit with standard errors
        t_lt = time.perf_counter() - t0
        theirs = {k: float(bgf.params_[k]) for k in TRUE_BGNBD}
        same = all(round(ours.params[k], 4) == round(theirs[k], 4) for k in TRUE_BGNBD)
        print(
            f"{label:<14}{n:>11,}{ours.n_unique:>11,}{t_ours:>9.3f}{t_full:>14.3f}{t_lt:>13.3f}"
            f"{'yes' if same else 'NO':>14}"
        )
        for k in TRUE_BGNBD:
            print(
                f"    {k:<6} ours {ours.params[k]:.6f} (se {ours.se[k]:.6f})   "
                f"lifetimes {theirs[k]:.6f} (se {float(se_lt[k]):.6f})"
            )


if __name__ == "__main__":
    raise SystemExit(main())
