"""Which uncertainties drive a decision: regression-based variance shares and the value of information.

Input: K uncertainty draws (``compare --posterior FILE --draws K``), each with its inputs (posterior parameters,
the reforms' effect draws) and its outcome (a paired effect, or an incremental net benefit). The conditional
mean of the outcome given a group of inputs is estimated by least squares on an additive cubic regression
spline of each input (the regression approach of Strong, Oakley and Brennan 2014, Med Decis Making 34:311-326,
who fit a GAM; here the smoother is a fixed-knot spline, no penalty, made linear or cubic when there are too few
draws for it). From it:

- ``first_order_share``: Var(E[Y | group]) / Var(Y), the share of the outcome's variance over draws that the group
  explains (the rest is the other inputs, interactions and chance), as an adjusted R^2;
- ``evppi``: the expected value of partial perfect information, E[max_d g_d(group)] - max_d E[g_d], for options
  d with net benefits ``nb[:, d]`` (for a reform against its base, the options are "base" with net benefit 0 and
  "reform" with the incremental net benefit); ``evpi`` the same with perfect information on everything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Interior knots of each input's cubic spline, at these quantiles of its draws.
KNOT_QUANTILES = (0.25, 0.5, 0.75)
#: Draws needed for a cubic term and for the knots: with fewer, a flexible fit follows the chance in the draws
#: and overstates both the explained share and the EVPPI (which could then exceed the EVPI).
CUBIC_DRAWS, SPLINE_DRAWS = 50, 200
#: At most this share of the draws as regression columns; a group with more gives NaN (too few draws for it).
MAX_COLUMNS_PER_DRAW = 0.25
#: Fewer draws than this and the regression is not attempted (NaN): too few for 1 + 6 columns per input.
MIN_DRAWS = 20


def _basis(x: np.ndarray) -> np.ndarray:
    """Basis of one standardised input (no intercept): linear, cubic, or cubic spline as the draws allow."""
    x = np.asarray(x, float)
    sd = x.std()
    if sd == 0:
        return np.empty((x.size, 0))
    z = (x - x.mean()) / sd
    if x.size < CUBIC_DRAWS:
        return z[:, None]
    if x.size < SPLINE_DRAWS:
        return np.column_stack([z, z**2, z**3])
    knots = np.unique(np.quantile(z, KNOT_QUANTILES))
    return np.column_stack([z, z**2, z**3, *(np.clip(z - k, 0, None) ** 3 for k in knots)])


def _design(inputs: np.ndarray, draws: int) -> np.ndarray:
    inputs = np.asarray(inputs, float).reshape(draws, -1)
    return np.column_stack([np.ones(draws), *(_basis(inputs[:, j]) for j in range(inputs.shape[1]))])


def _too_few(design: np.ndarray) -> bool:
    return design.shape[1] - 1 > MAX_COLUMNS_PER_DRAW * design.shape[0]


def _fitted(y: np.ndarray, design: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return design @ coef


def conditional_mean(y: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """Fitted E[y | inputs] at each draw: least squares on an additive spline of every column of ``inputs``."""
    y = np.asarray(y, float)
    return _fitted(y, _design(inputs, y.size))


def first_order_share(y: np.ndarray, inputs: np.ndarray) -> float:
    """Share of Var(y) over draws explained by ``inputs``; NaN with too few draws for them.

    The share is the adjusted R^2 of the regression (clipped to [0, 1]), so that inputs that explain nothing
    get about 0 rather than the share of the chance that any p columns fit in K draws (p / (K - 1)).
    """
    y = np.asarray(y, float)
    if y.size < MIN_DRAWS or y.var() == 0:
        return float("nan")
    design = _design(inputs, y.size)
    if _too_few(design):
        return float("nan")
    residual = np.sum((y - _fitted(y, design)) ** 2)
    total = np.sum((y - y.mean()) ** 2)
    columns = design.shape[1] - 1  # at most a quarter of the draws (_too_few), so the degrees of freedom are > 0
    adjusted = 1 - (residual / (y.size - columns - 1)) / (total / (y.size - 1))
    return float(np.clip(adjusted, 0.0, 1.0))


def evpi(net_benefit: np.ndarray) -> float:
    """Expected value of perfect information: E[max_d nb_d] - max_d E[nb_d]; ``net_benefit`` is (K, options)."""
    nb = np.asarray(net_benefit, float)
    return float(nb.max(axis=1).mean() - nb.mean(axis=0).max())


def evppi(net_benefit: np.ndarray, inputs: np.ndarray) -> float:
    """Expected value of partial perfect information on ``inputs`` (regression estimate); NaN with too few draws."""
    nb = np.asarray(net_benefit, float)
    if nb.shape[0] < MIN_DRAWS:
        return float("nan")
    design = _design(inputs, nb.shape[0])
    if _too_few(design):
        return float("nan")
    fitted = np.column_stack([_fitted(nb[:, d], design) for d in range(nb.shape[1])])
    value = fitted.max(axis=1).mean() - fitted.mean(axis=0).max()
    return float(np.clip(value, 0.0, evpi(nb)))  # 0 <= EVPPI <= EVPI; beyond is the regression's noise


def relevant_inputs(inputs: pd.DataFrame, scenario, base, costs: bool = False) -> list[str]:
    """Drawn inputs that can move the effect of ``scenario``: parameters, and its and the base's reform effects.

    With ``costs`` (for a cost or a net benefit) also the unit costs and those reforms' programme costs.
    """
    names = [r.name for r in (*scenario.reforms, *base.reforms)]
    own = {f"effect.{n}" for n in names} | {f"cost.programme.{n}" for n in names}

    def relevant(column: str) -> bool:
        if column.startswith("cost."):
            return costs and (not column.startswith("cost.programme.") or column in own)
        return not column.startswith("effect.") or column in own

    return [c for c in inputs.columns if inputs[c].nunique() > 1 and relevant(c)]


def _is_parameter(name: str) -> bool:
    return not name.startswith(("effect.", "cost."))


def input_groups(names: list[str]) -> dict[str, list[str]]:
    """Each drawn input alone, then the groups a decision-maker can act on: parameters, effects, unit costs.

    A group with one member is that member, so it is not repeated.
    """
    groups = {name: [name] for name in names}
    for label, members in (("posterior parameters (together)", [n for n in names if _is_parameter(n)]),
                           ("reform effects (together)", [n for n in names if n.startswith("effect.")]),
                           ("unit costs (together)", [n for n in names if n.startswith("cost.")])):
        if len(members) > 1:
            groups[label] = members
    return groups


EVPPI_COLUMNS = ["scenario", "effect", "wtp", "input", "evppi_per_person", "evpi_per_person", "draws"]


def evppi_table(comparison) -> pd.DataFrame:
    """EVPI and each drawn input's EVPPI per scenario and cost-effectiveness effect (``EVPPI_COLUMNS``).

    The decision is the scenario against its base. The willingness to pay is the scenario's own cost per unit
    of the effect (where the mean net benefit is 0, so the decision is closest and information worth most);
    where there is no such ratio (dominant, dominated, no effect) the value of information at that effect is
    not computed. Net benefits are per simulated person over the horizon (discounted yen). Empty without at
    least :data:`MIN_DRAWS` uncertainty draws.
    """
    from recoverysim.cost_effectiveness import EFFECTS, icer, paired_differences

    inputs = comparison.draw_inputs
    if inputs is None or len(inputs) < MIN_DRAWS or comparison.cost_effectiveness is None:
        return pd.DataFrame(columns=EVPPI_COLUMNS)
    people = comparison.base.scenario["population.size"]
    rows = []
    for other, drawn in zip(comparison.others, comparison.uncertain[1:], strict=True):
        varying = relevant_inputs(inputs, other.scenario, comparison.base.scenario, costs=True)
        d = paired_differences(comparison.uncertain[0], drawn)
        for effect in EFFECTS:
            ratio, status = icer(float(d["cost"].mean()), float(d[effect].mean()))
            if status not in ("ratio", "cheaper, less effective") or not np.isfinite(ratio):
                continue
            inb = (ratio * d[effect].to_numpy(float) - d["cost"].to_numpy(float)) / people
            net = np.column_stack([np.zeros(inb.size), inb])
            total = evpi(net)
            for name, members in input_groups(varying).items():
                rows.append((other.scenario.name, effect, ratio, name, evppi(net, inputs[members].to_numpy(float)),
                             total, inb.size))
    return pd.DataFrame(rows, columns=EVPPI_COLUMNS)
