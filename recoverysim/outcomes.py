"""The headline outcomes, declared once for summaries, comparisons, sensitivity analysis and calibration."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """One headline metric computed from a single replicate."""

    name: str
    unit: str
    better: str  # "higher", "lower" or "neither"
    description: str


OUTCOMES: dict[str, Outcome] = {
    o.name: o
    for o in (
        Outcome("share_discontinuity_end", "share", "lower", "Share in discontinuity at the end"),
        Outcome("share_safety_end", "share", "neither", "Share in safety at the end"),
        Outcome("share_control_end", "share", "neither", "Share in control at the end"),
        Outcome("share_reunion_end", "share", "higher", "Share in reunion at the end"),
        Outcome("median_years_to_reunion", "years", "lower",
                "Kaplan-Meier median time to first reunion for people not in reunion at the start "
                "(capped at the horizon when fewer than half get there)"),
        Outcome("crises_per_1000_person_years", "per 1,000 person-years", "lower", "Crisis rate"),
        Outcome("admissions_per_1000_person_years", "per 1,000 person-years", "lower", "Admission rate"),
        Outcome("involuntary_share_of_admissions", "share", "lower", "Involuntary share of admissions"),
        Outcome("coercive_episodes_per_1000_person_years", "per 1,000 person-years", "lower",
                "Seclusion and restraint episodes"),
        Outcome("retraumatisations_per_1000_person_years", "per 1,000 person-years", "lower",
                "Re-traumatisation events"),
        Outcome("restraint_per_million_per_day", "per million users per day", "lower",
                "People under physical restraint on an average day, per million service users"),
        Outcome("bed_days_per_person_year", "days", "lower", "Psychiatric bed-days per person-year"),
        Outcome("mean_length_of_stay_days", "days", "lower",
                "Mean length of completed stays of admissions made during the run"),
        Outcome("discharged_within_90_days", "share", "higher",
                "Share of admissions (with 90 days of follow-up) discharged within 90 days"),
        Outcome("discharged_within_365_days", "share", "higher",
                "Share of admissions (with 365 days of follow-up) discharged within 365 days"),
        Outcome("readmitted_within_90_days", "share", "lower",
                "Share of discharges (with 90 days of follow-up) readmitted within 90 days"),
        Outcome("readmitted_within_180_days", "share", "lower",
                "Share of discharges (with 180 days of follow-up) readmitted within 180 days"),
        Outcome("readmitted_within_365_days", "share", "lower",
                "Share of discharges (with 365 days of follow-up) readmitted within 365 days"),
        Outcome("peer_workers_per_1000_end", "per 1,000 users", "higher", "Peer workforce at the end"),
        Outcome("reform_cost_per_year", "currency/year", "neither", "Running cost of the reforms at the end"),
    )
}
