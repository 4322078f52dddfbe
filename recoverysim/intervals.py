"""Confidence intervals over replicates, written once for summaries, comparisons and validation."""

from __future__ import annotations

import numpy as np
from scipy import stats

#: Confidence level of every interval the project reports unless a caller asks for another.
CONFIDENCE = 0.95


def t_quantile(dof: float, confidence: float = CONFIDENCE) -> float:
    """Two-sided Student t quantile: the interval is ``estimate +/- t_quantile * standard error``."""
    return stats.t.ppf(0.5 + confidence / 2, dof)


def mean_interval(samples: np.ndarray, confidence: float = CONFIDENCE):
    """Mean and t interval over the first axis (replicates): ``(mean, low, high)``.

    One-dimensional input gives floats; more dimensions give arrays over the remaining axes. The interval is
    NaN with fewer than two replicates, and everything is NaN with none. Missing values are the caller's to
    drop (a NaN replicate makes its column NaN).
    """
    samples = np.asarray(samples, float)
    n = samples.shape[0]
    if n == 0:
        nan = np.full(samples.shape[1:], np.nan)
        return (float(nan), float(nan), float(nan)) if samples.ndim == 1 else (nan, nan.copy(), nan.copy())
    mean = samples.mean(axis=0)
    if n < 2:
        half = np.full_like(mean, np.nan)
    else:
        half = t_quantile(n - 1, confidence) * samples.std(axis=0, ddof=1) / np.sqrt(n)
    low, high = mean - half, mean + half
    if samples.ndim == 1:
        return float(mean), float(low), float(high)
    return mean, low, high


def welch_interval(a: np.ndarray, b: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Difference of means ``mean(b) - mean(a)`` of independent samples and its Welch t interval.

    Missing values (NaN) are dropped; NaN with fewer than two values on either side; a zero standard error
    gives the difference as both ends.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        return np.nan, np.nan, np.nan
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    diff = float(b.mean() - a.mean())
    se2 = va + vb
    if se2 == 0:
        return diff, diff, diff
    dof = se2**2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))  # Welch-Satterthwaite
    half = t_quantile(dof, confidence) * np.sqrt(se2)
    return diff, diff - half, diff + half


def spread_interval(samples: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean and the central ``confidence`` range of the samples themselves: ``(mean, low, high)``.

    The interval of uncertainty draws (each a paired difference): it describes their spread, so unlike
    :func:`mean_interval` it does not shrink as draws are added. Missing values (NaN) are dropped; all NaN with none.
    """
    samples = np.asarray(samples, float)
    samples = samples[np.isfinite(samples)]
    if samples.size == 0:
        return np.nan, np.nan, np.nan
    low, high = np.quantile(samples, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(samples.mean()), float(low), float(high)
