"""What each reform changes, by how much, and the evidence: one proximal effect per reform, with its interval.

A reform reaches a share of people (its ``coverage``, ramped up over ``ramp_years``) and changes one measurable
quantity for them (``reforms.py`` applies it). Everything further (recovery, bed-days, readmissions,
mistrust) follows from the model's mechanisms. An effect whose size no trial or review gives is marked
"assumed" and still has a range. The interval is the range a scenario's ``effect`` may take and the range
sensitivity and uncertainty analyses draw from; ``central`` is the value used when a scenario gives none.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

#: The standard normal quantile at 0.975: a 95% interval is the median x exp(+-1.96 sigma).
Z95 = 1.959963984540054

#: How a proximal effect acts. "person": a ratio applied, for each person reached, to a probability or rate
#: of the crisis pathway; "root": the share of the reform's root removed at full coverage (system level).
KINDS = ("person", "root")


@dataclass(frozen=True)
class ProximalEffect:
    """One reform's proximal effect: the quantity it changes for those reached and its estimated size."""

    reform: str
    kind: str  # one of KINDS
    quantity: str  # what changes, in the model's words
    measure: str  # relative risk, rate ratio, odds ratio or share of the root removed
    central: float
    low: float
    high: float
    reached: str  # who counts as reached (what ``coverage`` is a share of)
    source: str  # citation of the estimate, or "assumed" with the reason

    @property
    def interval_text(self) -> str:
        """``central [low, high]``."""
        return f"{self.central:g} [{self.low:g}, {self.high:g}]"


PROXIMAL_EFFECTS: dict[str, ProximalEffect] = {e.reform: e for e in (
    ProximalEffect(
        "trauma_informed_care", "person",
        "chance of seclusion or restraint, at admission and later in a stay", "rate ratio", 0.66, 0.45, 0.90,
        "people whose hospital has adopted seclusion-and-restraint prevention (Six Core Strategies)",
        "Putkonen et al. 2013, Psychiatr Serv 64(9):850-855, doi:10.1176/appi.ps.201200393 (cluster RCT, 4 wards): "
        "patient-days with seclusion, restraint or observation 30% -> 15% on intervention wards, 25% -> 19% on "
        "control wards, a ratio of ratios of 0.66 (central); seclusion-restraint hours 110 -> 56 against 133 -> "
        "150, a ratio of 0.45 (low); 0.90 (high) is assumed for a system-wide roll-out less faithful than four "
        "trial wards"),
    ProximalEffect(
        "crisis_advocacy", "person",
        "chance that an admission is involuntary", "relative risk", 0.77, 0.60, 0.98,
        "people with an advance statement or joint crisis plan made with an advocate",
        "de Jong et al. 2016, JAMA Psychiatry 73(7):657-664, doi:10.1001/jamapsychiatry.2016.0501: meta-analysis "
        "of randomised trials of advance statements, RR of compulsory admission 0.77 (95% CI 0.60-0.98)"),
    ProximalEffect(
        "community_network_care", "person",
        "odds that a crisis is answered by admission rather than in the community (a community place is still "
        "needed)", "odds ratio", 0.19, 0.11, 0.32,
        "people whose area has a 24-hour crisis resolution team",
        "Johnson et al. 2005, BMJ 331:599, doi:10.1136/bmj.38519.678148.8F (RCT, north Islington): admission "
        "within 8 weeks of a crisis, OR 0.19 (95% CI 0.11-0.32); one trial in one inner-city area, so the "
        "interval understates how much a Japanese roll-out could differ"),
    ProximalEffect(
        "personalised_goals", "root",
        "root rules_over_values (routines and rules before values)", "share of the root removed", 0.3, 0.1, 0.5,
        "the whole service system",
        "assumed: no trial measures a change in this root; a change of culture, so a modest share"),
    ProximalEffect(
        "inclusive_design", "root",
        "root shame_pressure (regulation by shame and pressure to succeed)", "share of the root removed", 0.2,
        0.1, 0.4, "the whole society",
        "assumed: anti-stigma work, social contact above all, improves attitudes, mostly in the short term "
        "(Thornicroft et al. 2016, Lancet 387:1123); England's Time to Change saw public attitudes improve by "
        "about 0.2 SD over 2009-2015 (Henderson et al. 2016, Acta Psychiatr Scand 134 Suppl 446:23, "
        "doi:10.1111/acps.12607). An SD of attitudes is not a share of a root, so the size is assumed"),
    ProximalEffect(
        "open_community", "root",
        "root thin_networks (social network thinned to family ties)", "share of the root removed", 0.3, 0.1, 0.5,
        "the whole community",
        "assumed: there is no measured effect of community-building on this root"),
)}

#: The reforms that act on people, in the order of their reach draws (``Population.reach_*``).
PERSON_REFORMS: tuple[str, ...] = tuple(name for name, e in PROXIMAL_EFFECTS.items() if e.kind == "person")


def effect_quantile(evidence: ProximalEffect, u: np.ndarray | float) -> np.ndarray:
    """The effect at probability ``u`` of its uncertainty distribution (inverse distribution function).

    A measured ratio (a person reform) is log-normal with median ``central`` and its interval read as a 95%
    interval on the log scale: sigma = (ln high - ln low) / (2 x 1.96). An assumed share of a root is
    triangular on [low, high] with mode ``central``.
    """
    u = np.asarray(u, float)
    if evidence.kind == "person":
        sigma = (np.log(evidence.high) - np.log(evidence.low)) / (2 * Z95)
        return np.exp(np.log(evidence.central) + sigma * ndtri(u))
    low, mode, high = evidence.low, evidence.central, evidence.high
    split = (mode - low) / (high - low)
    return np.where(u < split, low + np.sqrt(u * (high - low) * (mode - low)),
                    high - np.sqrt((1 - u) * (high - low) * (high - mode)))
