"""Step 3 of the pipeline: (X, Y) to a tidy table of sensitivity indices, with SALib doing the statistics.

The table has one row per (method, output, parameter, index) with the estimate and its confidence
interval (``ci_low``/``ci_high``; NaN where SALib gives none, e.g. Morris sigma).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from recoverysim.errors import RecoverysimError
from recoverysim.sensitivity.sampling import Design, prefix_units

COLUMNS = ["method", "output", "parameter", "index", "value", "ci_low", "ci_high"]


class AnalysisError(RecoverysimError):
    """The results cannot be analysed (failed evaluations, wrong shapes)."""


class SensitivityWarning(UserWarning):
    """An output could not be analysed meaningfully (constant or non-finite values)."""


def _analysis_seed(design: Design) -> int:
    # SALib's Sobol and FAST treat seed 0 as "no seed"; derive a fixed non-zero seed from the design seed.
    return int(np.random.SeedSequence([design.seed, 0x5A11B]).generate_state(1)[0]) or 1


def analyze(design: Design, x: np.ndarray, y: np.ndarray, outputs: Sequence[str] | None = None,
            failed: Sequence[int] = ()) -> pd.DataFrame:
    """Compute the design's sensitivity indices for every output column.

    Args:
        design: The design that produced ``x``.
        x: The (n, d) sample matrix.
        y: The (n, k) outputs (a 1-D array is one output).
        outputs: Output names, one per column of ``y``; default ``y0, y1, ...``.
        failed: Indices of failed evaluations. Morris, Sobol and FAST all need the complete structured
            sample, so any failure makes the analysis refuse with a message listing them.

    Returns:
        The tidy table with columns ``COLUMNS``.
    """
    y = np.asarray(y, dtype=float)
    y = y[:, None] if y.ndim == 1 else y
    outputs = list(outputs) if outputs is not None else [f"y{j}" for j in range(y.shape[1])]
    if failed:
        shown = ", ".join(str(i) for i in list(failed)[:20]) + (", ..." if len(failed) > 20 else "")
        raise AnalysisError(
            f"{len(failed)} of {x.shape[0]} evaluations failed (sample indices {shown}); {design.method} "
            "needs the complete sample matrix, so no indices were computed. See results.csv for the errors.")
    if x.shape != (design.n_rows, design.d) or y.shape[0] != x.shape[0] or y.shape[1] != len(outputs):
        raise AnalysisError(f"shape mismatch: X {x.shape}, Y {y.shape}, {len(outputs)} output names, "
                            f"design expects ({design.n_rows}, {design.d})")
    frames = [_analyze_one(design, x, y[:, j], name) for j, name in enumerate(outputs)]
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def _analyze_one(design: Design, x: np.ndarray, y: np.ndarray, output: str) -> pd.DataFrame:
    names = list(design.names)
    if not np.all(np.isfinite(y)):
        warnings.warn(f"output {output!r} has non-finite values; its indices are NaN", SensitivityWarning,
                      stacklevel=3)
        return _nan_rows(design, output)
    if np.ptp(y) == 0:
        warnings.warn(f"output {output!r} is constant over the sample; its indices are NaN",
                      SensitivityWarning, stacklevel=3)
        return _nan_rows(design, output)
    seed = _analysis_seed(design)
    rows: list[tuple] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if design.method == "morris":
            from SALib.analyze import morris

            si = morris.analyze(design.problem, x, y, num_resamples=design.num_resamples,
                                conf_level=design.conf_level, num_levels=design.options["levels"], seed=seed)
            for i, p in enumerate(names):
                ms, conf = float(si["mu_star"][i]), float(si["mu_star_conf"][i])
                rows.append(("mu_star", p, ms, ms - conf, ms + conf))
                rows.append(("sigma", p, float(si["sigma"][i]), np.nan, np.nan))
                rows.append(("mu", p, float(si["mu"][i]), np.nan, np.nan))
        elif design.method == "sobol":
            from SALib.analyze import sobol

            so = design.options["second_order"]
            si = sobol.analyze(design.problem, y, calc_second_order=so, num_resamples=design.num_resamples,
                               conf_level=design.conf_level, seed=seed)
            for key in ("S1", "ST"):
                for i, p in enumerate(names):
                    v, c = float(si[key][i]), float(si[f"{key}_conf"][i])
                    rows.append((key, p, v, v - c, v + c))
            if so:
                for i in range(design.d):
                    for j in range(i + 1, design.d):
                        v, c = float(si["S2"][i, j]), float(si["S2_conf"][i, j])
                        rows.append(("S2", f"{names[i]}:{names[j]}", v, v - c, v + c))
        else:
            from SALib.analyze import fast

            state = np.random.get_state()  # SALib's FAST reseeds the global generator; leave it as found
            try:
                si = fast.analyze(design.problem, y, M=design.options["M"],
                                  num_resamples=design.num_resamples, conf_level=design.conf_level, seed=seed)
            finally:
                np.random.set_state(state)
            for key in ("S1", "ST"):
                for i, p in enumerate(names):
                    v, c = float(si[key][i]), float(si[f"{key}_conf"][i])
                    rows.append((key, p, v, v - c, v + c))
    df = pd.DataFrame(rows, columns=["index", "parameter", "value", "ci_low", "ci_high"])
    df.insert(0, "output", output)
    df.insert(0, "method", design.method)
    return df


def _nan_rows(design: Design, output: str) -> pd.DataFrame:
    keys = {"morris": ("mu_star", "sigma", "mu"), "sobol": ("S1", "ST"), "fast": ("S1", "ST")}[design.method]
    rows = [(design.method, output, p, k, np.nan, np.nan, np.nan) for k in keys for p in design.names]
    return pd.DataFrame(rows, columns=COLUMNS)


def prefix_design(design: Design, units: int) -> Design:
    """The design whose sample is the first ``units`` blocks (base rows or trajectories) of ``design``'s."""
    options = dict(design.options)
    if design.method == "morris":
        options["optimal_trajectories"] = None  # the prefix is just `units` plain trajectories
    return Design(design.names, design.bounds, design.method, units, design.seed, options,
                  design.conf_level, design.num_resamples)


def convergence(design: Design, x: np.ndarray, y: np.ndarray, outputs: Sequence[str] | None = None,
                points: int = 8) -> pd.DataFrame:
    """Indices recomputed on growing prefixes of the sample that keep its block structure.

    Sobol prefixes are the first m base rows with their whole Saltelli blocks; Morris prefixes are the
    first m trajectories. FAST has no valid prefixes, so its table is empty.

    Returns:
        ``COLUMNS`` plus ``units`` (base rows or trajectories) and ``runs`` (model evaluations).
    """
    y = np.asarray(y, dtype=float)
    y = y[:, None] if y.ndim == 1 else y
    frames = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SensitivityWarning)
        for m in prefix_units(design, points):
            rows = m * design.block_rows
            df = analyze(prefix_design(design, m), x[:rows], y[:rows], outputs)
            df["units"], df["runs"] = m, rows
            frames.append(df)
    if not frames:
        return pd.DataFrame(columns=[*COLUMNS, "units", "runs"])
    return pd.concat(frames, ignore_index=True)
