"""Every quantity the model reports about a run, declared once (headline outcomes and target statistics).

The headline outcomes are reported by ``run``, ``compare`` and sensitivity analysis; the target statistics
are compared with observed targets by ``validate`` and ``calibrate``.

An :class:`Outcome` says what it is (name, unit, description, which direction is better) and how it is
computed (``computed``): ``headline`` outcomes come from ``recoverysim.metrics.headline`` over the whole run;
``target`` outcomes come from ``recoverysim.calibration.validate.replicate_statistics`` over the weeks after
the targets file's burn-in (the same formula over a later window where an outcome is both). The views
:data:`OUTCOMES` (headline) and :data:`TARGET_METRICS` are what consumers look names up in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recoverysim.parameters import DAYS_PER_WEEK

#: The cost components of a run (``recoverysim.costs.COMPONENTS``) and what each counts.
COST_COMPONENTS = {
    "bed_days": "psychiatric bed-days",
    "admissions": "admissions (one-off costs)",
    "community_crisis": "crises answered in the community",
    "community_places": "community crisis places held open",
    "peer_workers": "peer workers employed",
    "programmes": "the reforms' programmes",
}


@dataclass(frozen=True)
class Outcome:
    """One quantity computed from a single replicate."""

    name: str
    unit: str
    better: str  # "higher", "lower" or "neither"
    description: str
    headline: bool = True  # in every run's summary, comparison and sensitivity output
    target: bool = False  # may be compared with an observed target (after burn-in)

    @property
    def computed(self) -> str:
        """Where the value is computed (and over which weeks)."""
        where = []
        if self.headline:
            where.append("recoverysim.metrics.headline (whole run)")
        if self.target:
            where.append("recoverysim.calibration.validate.replicate_statistics (after burn-in)")
        return "; ".join(where)


def _target(name: str, unit: str, better: str, description: str) -> Outcome:
    return Outcome(name, unit, better, description, headline=False, target=True)


REGISTRY: dict[str, Outcome] = {
    o.name: o
    for o in (
        Outcome("share_discontinuity_end", "share", "lower", "Share in discontinuity at the end"),
        Outcome("share_safety_end", "share", "neither", "Share in safety at the end"),
        Outcome("share_control_end", "share", "neither", "Share in control at the end"),
        Outcome("share_reunion_end", "share", "higher", "Share in reunion at the end"),
        Outcome("median_years_to_reunion", "years", "lower",
                "Kaplan-Meier median time to first reunion for people not in reunion at week 0, censored when they "
                "die or leave services (capped at the horizon when fewer than half get there)"),
        Outcome("restricted_mean_years_to_reunion", "years", "lower",
                "Restricted mean time to first reunion within the horizon (area under the Kaplan-Meier curve of "
                "the same people): unlike the median, defined when fewer than half get there"),
        Outcome("crises_per_1000_person_years", "per 1,000 person-years", "lower", "Crisis rate"),
        Outcome("admissions_per_1000_person_years", "per 1,000 person-years", "lower", "Admission rate",
                target=True),
        Outcome("involuntary_share_of_admissions", "share", "lower", "Involuntary share of admissions", target=True),
        Outcome("coercive_episodes_per_1000_person_years", "per 1,000 person-years", "lower",
                "Seclusion and restraint episodes"),
        Outcome("retraumatisations_per_1000_person_years", "per 1,000 person-years", "lower",
                "Re-traumatisation events"),
        Outcome("restraint_per_million_per_day", "per million users per day", "lower",
                "People under physical restraint on an average day, per million service users", target=True),
        Outcome("bed_days_per_person_year", "days", "lower", "Psychiatric bed-days per person-year"),
        Outcome("bed_occupancy", "share", "neither", "Mean share of psychiatric beds occupied (above 1: over capacity)",
                target=True),
        Outcome("admissions_turned_away_share", "share", "lower",
                "Share of crises that needed a bed and found none free (given one by an early discharge, admitted "
                "over capacity or left unmet)"),
        Outcome("unmet_crises_per_1000_person_years", "per 1,000 person-years", "lower",
                "Crises that needed a bed, found none and were left to the community with no place"),
        Outcome("early_discharges_per_1000_person_years", "per 1,000 person-years", "lower",
                "Inpatients discharged early to make room for a crisis that found every bed taken (bed pressure)"),
        Outcome("deaths_per_1000_person_years", "per 1,000 person-years", "lower", "Deaths of service users"),
        Outcome("new_service_users_per_1000_per_year", "per 1,000 person-years", "neither",
                "People entering services (equal to those dying or leaving: the number of places is constant)",
                target=True),
        Outcome("mean_length_of_stay_days", "days", "lower",
                "Mean length of completed stays of admissions made during the run (after burn-in for targets)",
                target=True),
        Outcome("discharged_within_90_days", "share", "higher",
                "Share of admissions (with 90 days of follow-up) discharged within 90 days", target=True),
        Outcome("discharged_within_365_days", "share", "higher",
                "Share of admissions (with 365 days of follow-up) discharged within 365 days", target=True),
        Outcome("readmitted_within_90_days", "share", "lower",
                "Share of discharges (with 90 days of follow-up) readmitted within 90 days", target=True),
        Outcome("readmitted_within_180_days", "share", "lower",
                "Share of discharges (with 180 days of follow-up) readmitted within 180 days", target=True),
        Outcome("readmitted_within_365_days", "share", "lower",
                "Share of discharges (with 365 days of follow-up) readmitted within 365 days", target=True),
        Outcome("peer_workers_per_1000_end", "per 1,000 users", "higher", "Peer workforce at the end"),
        Outcome("reform_cost_per_year", "yen/year", "neither",
                "Programme cost of the reforms per year at the end (unit cost x coverage x ramp x people, "
                "undiscounted; recoverysim.costs)"),
        Outcome("cost_total", "yen", "lower",
                "Total cost of the run over the horizon, discounted (every component below; docs/costs.md)"),
        Outcome("cost_per_person_year", "yen", "lower", "Discounted total cost per person-year (people x years)"),
        *(Outcome(f"cost_{c}_per_person_year", "yen", "neither", f"Discounted cost of {what} per person-year")
          for c, what in COST_COMPONENTS.items()),
        _target("alos_mhlw_days", "days", "lower", "bed-days / ((admissions + discharges) / 2), MHLW formula"),
        _target("involuntary_admissions_per_1000_person_years", "per 1,000 person-years", "lower",
                "Involuntary admissions (detentions at admission)"),
        _target("inpatients_aged_65_plus_share", "share", "neither", "Share of inpatients aged 65 or older"),
        _target("inpatients_staying_1_year_plus_share", "share", "lower",
                "Share of inpatients whose stay has lasted a year or more"),
        _target("discharged_within_360_days", "share", "higher",
                "Share of admissions (with 360 days of follow-up) discharged within 360 days"),
        _target("restraint_median_hours", "hours", "lower", "Median restraint episode length"),
        _target("seclusion_median_hours", "hours", "lower", "Median seclusion episode length"),
        _target("yearly_stay_share", "share", "neither", "Person-years staying in their stage"),
        _target("yearly_improve_share", "share", "higher", "Person-years moving to a later stage"),
        _target("yearly_worsen_share", "share", "lower", "Person-years moving to an earlier stage"),
        _target("schizophrenia_reunion_share_end", "share", "higher",
                "Reunion share at the end, schizophrenia diagnosis"),
    )
}
#: The headline outcomes of every run (summary.csv, compare, sensitivity outputs), in report order.
OUTCOMES: dict[str, Outcome] = {n: o for n, o in REGISTRY.items() if o.headline}
#: The statistics a targets file may name as ``metric``.
TARGET_METRICS: dict[str, Outcome] = {n: o for n, o in REGISTRY.items() if o.target}

#: Days at which validation draws its discharge and readmission curves (weekly steps).
DISCHARGE_CURVE_DAYS = np.arange(0, 729, DAYS_PER_WEEK)
READMISSION_CURVE_DAYS = np.arange(0, 366, DAYS_PER_WEEK)

#: Outcomes shown in the forest plot and the short summary of a comparison (the full table has all of them).
KEY_OUTCOMES = ("share_reunion_end", "share_discontinuity_end", "crises_per_1000_person_years",
                "involuntary_share_of_admissions", "coercive_episodes_per_1000_person_years",
                "retraumatisations_per_1000_person_years", "bed_days_per_person_year", "mean_length_of_stay_days")


#: Short names for readers (report first screen, dashboard); an outcome without one is named by its description.
LABELS = {
    "share_reunion_end": "People in reunion with self at the end",
    "share_discontinuity_end": "People in discontinuity at the end",
    "restricted_mean_years_to_reunion": "Mean years until reunion (within the horizon)",
    "median_years_to_reunion": "Median years until reunion",
    "crises_per_1000_person_years": "Crises per 1,000 person-years",
    "admissions_per_1000_person_years": "Admissions per 1,000 person-years",
    "involuntary_share_of_admissions": "Involuntary share of admissions",
    "coercive_episodes_per_1000_person_years": "Seclusion and restraint episodes per 1,000 person-years",
    "retraumatisations_per_1000_person_years": "Re-traumatisations per 1,000 person-years",
    "bed_days_per_person_year": "Psychiatric bed-days per person-year",
    "mean_length_of_stay_days": "Mean length of stay (days)",
}


def label(metric: str) -> str:
    """The reader's name of an outcome."""
    return LABELS.get(metric, REGISTRY[metric].description)


# --- numbers in words ---------------------------------------------------------------------------------


def fmt_value(v: float, metric: str) -> str:
    """A level, shares as percentages."""
    if v != v:
        return "n/a"
    return f"{100 * v:.1f}%" if REGISTRY[metric].unit == "share" else f"{v:.4g}"


def fmt_diff(v: float, metric: str) -> str:
    """A difference, shares in percentage points."""
    if v != v:
        return "n/a"
    return f"{100 * v:+.1f} pp" if REGISTRY[metric].unit == "share" else f"{v:+.3g}"


def verdict(metric: str, lo: float, hi: float) -> str:
    """Plain-language reading of a 95% interval of a difference."""
    if lo != lo or hi != hi:
        return "too few replicates"
    if lo <= 0 <= hi:
        return "no clear difference"
    up = lo > 0
    better = REGISTRY[metric].better
    if better == "neither":
        return "higher" if up else "lower"
    return "better" if up == (better == "higher") else "worse"
