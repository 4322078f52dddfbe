"""The single declaration of every model parameter.

Each parameter is declared once here with its dotted name, default, allowed range, unit, description and
source. The scenario loader validates against this table, ``recoverysim describe`` prints it, the dashboard
builds its sliders from it and sensitivity analysis takes its default bounds from it. Nothing else in the
package may hold a default value.

Sources: "paper" means Nakanishi et al. 2021, BJPsych Open, doi:10.1192/bjo.2020.156 (section named);
"assumed" means a modelling choice with no direct empirical figure, to be explored over its range.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PAPER = "Nakanishi et al. 2021, BJPsych Open, doi:10.1192/bjo.2020.156"

#: The model's calendar: one step is one week (see docs/ODD.md, "Time step").
WEEKS_PER_YEAR = 52
DAYS_PER_WEEK = 7

STAGES = ("discontinuity", "safety", "control", "reunion")

#: Barriers and the stage whose entry they block (brief, "Barriers"; paper, Theme 1).
BARRIERS = {
    "lack_of_compassion": "safety",
    "life_insecurity": "safety",
    "choice_unavailable": "control",
    "authority_slope": "control",
    "disempowerment": "control",
    "devalued_life": "reunion",
    "peers_unavailable": "reunion",
    "social_exclusion": "reunion",
}

#: Roots and the barriers each feeds (brief, "Roots of barriers"; paper, Theme 2).
ROOTS = {
    "trauma_insensitivity": ("lack_of_compassion", "authority_slope"),
    "advocacy_gap": ("choice_unavailable", "authority_slope", "disempowerment"),
    "psychosocial_gap": ("life_insecurity", "disempowerment"),
    "rules_over_values": ("choice_unavailable", "devalued_life"),
    "shame_pressure": ("devalued_life", "social_exclusion"),
    "thin_networks": ("peers_unavailable", "social_exclusion"),
}

LOOPS = {
    "peer_role_models": "R1 reinforcing: reunion -> peer workers -> peer availability -> reunion",
    "peer_burnout": "B1 balancing: peer workload without organisational support -> peer workers leave",
    "stigma_visibility": "R2 reinforcing: visible reunion in the community -> less shame pressure -> reunion",
    "coercion_trauma": "R3 reinforcing: coercion -> re-traumatisation -> trauma load -> crises -> coercion",
    "coercion_mistrust": "R4 reinforcing: coercion -> service mistrust -> involuntary admissions -> coercion",
}


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: the contract between scenario files, the model and the analyses."""

    name: str
    default: Any
    low: float | None
    high: float | None
    unit: str
    description: str
    source: str
    kind: type = float

    @property
    def section(self) -> str:
        """Scenario-file section (the part of the dotted name before the dot)."""
        return self.name.split(".", 1)[0]

    @property
    def key(self) -> str:
        """Key within the section."""
        return self.name.split(".", 1)[1]

    @property
    def varies(self) -> bool:
        """Whether the parameter is numeric with a range, so sensitivity analysis can vary it."""
        return self.kind in (float, int) and self.low is not None and self.high is not None

    def range_text(self) -> str:
        """Human-readable allowed values."""
        if self.kind is bool:
            return "true/false"
        return f"[{_fmt(self.low)}, {_fmt(self.high)}]"


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return str(int(x)) if float(x).is_integer() and abs(x) >= 1e5 else f"{x:g}"


def _p(name, default, low, high, unit, description, source, kind=None):
    if kind is None:
        kind = type(default)
    return Parameter(name, default, low, high, unit, description, source, kind)


def _loop(key: str) -> Parameter:
    return Parameter(f"loops.{key}", True, None, None, "switch", LOOPS[key], "brief, feedback loops", bool)


def _root(key: str, description: str) -> Parameter:
    return _p(
        f"roots.{key}", 0.5, 0.0, 1.0, "level 0-1",
        f"{description}; feeds {', '.join(ROOTS[key])}",
        "paper, Theme 2 (structure); level assumed",
    )


_DECLARED = [
    # --- run -------------------------------------------------------------------------------------------
    _p("run.years", 10, 1, 100, "years", "Simulated time horizon", "assumed"),
    _p("run.replications", 10, 1, 100_000, "runs",
       "Independent replicates (replicate r runs with a seed derived from (seed, r))", "assumed"),
    _p("run.seed", 20211, 0, 2**32 - 1, "integer", "Root seed; every random stream derives from it", "assumed"),
    _p("run.spin_up_years", 30, 0, 200, "years",
       "Years simulated under the scenario's status quo before week 0 and not recorded, so that a run starts from "
       "the scenario's own stationary state rather than from the initial shares (reforms start at week 0 or later)",
       "design (docs/ODD.md, Initialisation: 30 years is about three mean times in services)"),
    _p("run.spin_up_pilot_size", 100_000, 1_000, 5_000_000, "people",
       "A run of more people than this spins up on a pilot of this many people first, whose people are then "
       "copied to the full size for the last run.spin_up_full_years (recoverysim/spin_up.py); a smaller run "
       "spins up at its own size",
       "design (docs/ODD.md, Initialisation: the pilot's chance variation at 10^5 people is small)"),
    _p("run.spin_up_full_years", 5, 0, 200, "years",
       "Years at the end of a piloted spin-up stepped at full size, so that the copies of a pilot person part ways",
       "design (docs/ODD.md, Initialisation: about five stage-move times)"),
    # --- population ------------------------------------------------------------------------------------
    _p("population.size", 2000, 10, 5_000_000, "people", "Service users simulated", "assumed"),
    _p("population.share_discontinuity", 0.30, 0.0, 1.0, "share", "Initial share in discontinuity",
       "assumed"),
    _p("population.share_safety", 0.30, 0.0, 1.0, "share", "Initial share in safety", "assumed"),
    _p("population.share_control", 0.25, 0.0, 1.0, "share", "Initial share in control", "assumed"),
    _p("population.share_reunion", 0.15, 0.0, 1.0, "share",
       "Initial share in reunion (long-term recovery in schizophrenia: median 13.5%)",
       "Jaaskelainen et al. 2013, Schizophr Bull 39(6):1296-1306"),
    _p("population.share_female", 0.5, 0.0, 1.0, "share", "Share of women (reporting subgroup)", "assumed"),
    _p("population.share_schizophrenia", 0.4, 0.0, 1.0, "share",
       "Share with a schizophrenia-spectrum diagnosis", "assumed"),
    _p("population.share_mood", 0.4, 0.0, 1.0, "share", "Share with a mood disorder (rest: other diagnoses)",
       "assumed"),
    _p("population.share_trauma_history", 0.5, 0.0, 1.0, "share",
       "Share with a history of trauma (starts with trauma load 1)", "assumed"),
    _p("population.family_ties_mean", 1.5, 0.0, 5.0, "ties/person", "Mean number of family ties (Poisson)",
       "assumed"),
    _p("population.life_security_mean", 0.6, 0.05, 0.95, "0-1",
       "Mean life security (income, housing, work; Beta distributed)", "assumed"),
    _p("population.medication_burden_mean", 0.3, 0.0, 0.95, "0-1",
       "Mean medication burden at the start (symptoms and side effects; Beta distributed)", "assumed"),
    _p("population.heterogeneity", 5.0, 1.0, 100.0, "Beta concentration",
       "Concentration of the Beta distributions of life security and medication burden (lower: more "
       "varied)", "assumed"),
    _p("population.initial_in_hospital", 0.05, 0.0, 0.5, "share",
       "Share in a psychiatric bed at the start of the spin-up (long-stay prevalent patients)", "assumed"),
    _p("population.entry_age_mean", 45.0, 15.0, 80.0, "years",
       "Mean age of a new service user (normal, truncated below at entry_age_min)", "assumed"),
    _p("population.entry_age_sd", 18.0, 1.0, 30.0, "years", "Spread of the age of new service users", "assumed"),
    _p("population.entry_age_min", 15.0, 0.0, 30.0, "years", "Youngest age of a new service user", "assumed"),
    # --- service turnover: who leaves the population and who enters ------------------------------------
    _p("turnover.enabled", True, None, None, "switch",
       "Whether people die and leave services (each freed place is taken by a new service user); false: a "
       "closed cohort", "design", bool),
    _p("turnover.mortality_makeham_c", 2.42e-4, 0.0, 1.0e-3, "per year",
       "Age-independent part of general-population mortality m(age) = c + a exp(b age) (Gompertz-Makeham fit to "
       "Japanese death rates by 5-year age group, ages 20-94, both sexes, 2018: every group within 0.89-1.15 of "
       "the observed rate)", "MHLW Vital Statistics 2018 (death rates per 100,000 by age); fit in docs/ODD.md 7.10"),
    _p("turnover.mortality_gompertz_a", 8.09e-6, 2.0e-6, 5.0e-5, "per year at age 0",
       "Gompertz level of general-population mortality (see mortality_makeham_c)",
       "MHLW Vital Statistics 2018 (death rates per 100,000 by age); fit in docs/ODD.md 7.10"),
    _p("turnover.mortality_gompertz_b", 0.1043, 0.07, 0.12, "per year of age", "Gompertz slope of mortality",
       "MHLW Vital Statistics 2018 (death rates per 100,000 by age); fit in docs/ODD.md 7.10"),
    _p("turnover.excess_mortality", 2.22, 1.5, 3.5, "rate ratio",
       "Mortality of people with mental disorders relative to the general population (pooled RR 2.22, 95% CI "
       "2.12-2.33; Japan, schizophrenia: SMR 2.18, 1.76-2.60; range widened for severe mental illness)",
       "Walker, McGee & Druss 2015, JAMA Psychiatry 72(4):334-341, doi:10.1001/jamapsychiatry.2014.2502; "
       "Nomura et al. 2024, Soc Psychiatry Psychiatr Epidemiol 59(10):1785-1792, doi:10.1007/s00127-023-02592-z"),
    _p("turnover.leaving_rate", 0.08, 0.02, 0.3, "per person-year",
       "Hazard that a person in the community and not in reunion leaves services (moves, stops attending)",
       "assumed (no Japanese figure found; range from the balance of inflow and deaths)"),
    _p("turnover.recovered_leaving_rate", 0.15, 0.05, 1.0, "per person-year",
       "Hazard that a person in reunion in the community leaves services (no longer needs them)", "assumed"),
    # --- roots (Theme 2) --------------------------------------------------------------------------------
    _root("trauma_insensitivity", "Systems without trauma sensitivity; also raises coercion in crises"),
    _root("advocacy_gap", "Lack of advocacy support; also raises the involuntary share of admissions"),
    _root("psychosocial_gap", "Limited access to psychosocial approaches; also slows discharge"),
    _root("rules_over_values", "Routines and rules count for more than values"),
    _root("shame_pressure", "Regulation by shame and pressure to be successful (stigma, self-stigma)"),
    _root("thin_networks", "Social networks thinned to family ties"),
    # --- levers -----------------------------------------------------------------------------------------
    _p("levers.coercion", 0.3, 0.0, 1.0, "probability",
       "Chance that an involuntary admission in a fully trauma-insensitive system involves seclusion or "
       "restraint", "assumed"),
    _p("levers.peer_availability", 0.1, 0.0, 1.0, "share",
       "Share of service users that services put in reach of peer staff or peer groups", "assumed"),
    _p("levers.social_exclusion", 0.5, 0.0, 1.0, "pressure 0-1",
       "Exclusion pressure in the community; adds to the social_exclusion barrier and drops community ties",
       "assumed"),
    _p("levers.bed_capacity", 79.0, 0.0, 300.0, "beds per 1,000 users",
       "Psychiatric beds per 1,000 service users (Japan 2017: about 330,000 beds for 4.19 million "
       "psychiatric patients)", "MHLW Medical Facility Survey 2017; MHLW Patient Survey 2017"),
    _p("levers.community_support_capacity", 1.0, 0.0, 50.0, "crises per 1,000 users per week",
       "Crises that community teams and crisis services can answer in the community each week", "assumed"),
    _p("levers.professionals_per_1000", 20.0, 1.0, 200.0, "per 1,000 users",
       "Professionals in contact with service users (sets professional ties)", "assumed"),
    # --- loops ------------------------------------------------------------------------------------------
    *[_loop(k) for k in LOOPS],
    # --- recovery stages (Theme 1) ---------------------------------------------------------------------
    _p("recovery.progress_rate_safety", 1.0, 0.05, 5.0, "per year",
       "Hazard of reaching safety from discontinuity with full support and no barriers", "assumed"),
    _p("recovery.progress_rate_control", 0.8, 0.05, 5.0, "per year",
       "Hazard of reaching control from safety with full support and no barriers", "assumed"),
    _p("recovery.progress_rate_reunion", 0.6, 0.05, 5.0, "per year",
       "Hazard of reaching reunion from control with full support and no barriers", "assumed"),
    _p("recovery.setback_rate", 0.05, 0.0, 0.5, "per year",
       "Background hazard of falling back one stage outside crises (Castelein et al. 2021: 4-6% worsen "
       "each year)", "Castelein et al. 2021, Br J Psychiatry, doi:10.1192/bjp.2021.48 (range); value assumed"),
    _p("recovery.barrier_strength", 0.8, 0.0, 1.0, "share",
       "How much of progress a barrier at full level blocks: gate = geometric mean of (1 - strength * "
       "barrier) over the stage's barriers", "assumed"),
    _p("recovery.mistrust_safety_effect", 0.5, 0.0, 3.0, "relative decrease at full mistrust",
       "Progress from discontinuity to safety is divided by 1 + effect x mistrust: lost trust delays safety",
       "assumed"),
    _p("recovery.hospital_progress_factor", 0.5, 0.0, 1.0, "multiplier",
       "Progress hazard in hospital relative to the community (reunion cannot be reached in hospital)",
       "assumed"),
    # --- barriers: individual modifiers -----------------------------------------------------------------
    _p("barriers.trauma_amplifier", 0.3, 0.0, 2.0, "relative increase per unit trauma load",
       "Extra lack_of_compassion felt per unit of trauma load (a trauma history starts at 1; each "
       "re-traumatisation adds crisis.trauma_load_increment)", "assumed"),
    _p("barriers.hospital_amplifier", 0.5, 0.0, 2.0, "relative increase",
       "Extra authority_slope and choice_unavailable while in hospital", "assumed"),
    _p("barriers.schizophrenia_stigma_amplifier", 0.3, 0.0, 1.0, "relative increase",
       "Extra devalued_life and social_exclusion felt with a schizophrenia-spectrum diagnosis", "assumed"),
    _p("barriers.insecurity_amplifier", 2.0, 0.5, 4.0, "modifier per unit of missing life security",
       "life_insecurity is felt with modifier amplifier x (1 - life security): at 2, security 0.5 leaves the "
       "system level unchanged and full security removes the barrier", "assumed"),
    _p("barriers.disempowerment_baseline", 0.5, 0.1, 1.0, "modifier",
       "Modifier of disempowerment felt with no medication burden", "assumed"),
    _p("barriers.medication_amplifier", 1.0, 0.0, 3.0, "modifier per unit of medication burden",
       "Extra disempowerment felt per unit of medication burden", "assumed"),
    _p("barriers.exclusion_pressure_baseline", 0.5, 0.1, 1.0, "modifier",
       "social_exclusion is felt with modifier (baseline + levers.social_exclusion) x stigma: at 0.5, pressure "
       "0.5 leaves the system level unchanged", "assumed"),
    _p("barriers.own_peer_tie_effect", 1.0, 0.0, 5.0, "relative decrease per peer tie",
       "peers_unavailable is the services' peer offer divided by (1 + effect x own peer ties)", "assumed"),
    # --- relationship network ---------------------------------------------------------------------------
    _p("network.enabled", True, None, None, "switch",
       "Whether positive interactions come from the network (false: full support for everyone)", "assumed",
       bool),
    _p("network.family_weight", 0.5, 0.0, 3.0, "interactions/tie/week",
       "Positive interactions a family tie gives (lowered by shame_pressure)", "assumed"),
    _p("network.professional_weight", 0.4, 0.0, 3.0, "interactions/tie/week",
       "Positive interactions a professional tie gives (lowered by lack_of_compassion, authority_slope)",
       "assumed"),
    _p("network.peer_weight", 0.6, 0.0, 3.0, "interactions/tie/week",
       "Positive interactions a peer tie gives, more from peers further on (role models)", "assumed"),
    _p("network.community_weight", 0.4, 0.0, 3.0, "interactions/tie/week",
       "Positive interactions a community tie gives (lowered by social_exclusion)", "assumed"),
    _p("network.professional_caseload", 50.0, 5.0, 500.0, "users per professional",
       "Caseload one professional can serve fully; bigger caseloads dilute professional ties", "assumed"),
    _p("network.community_ties_mean", 2.0, 0.0, 10.0, "ties/person",
       "Mean initial community ties (scaled down by thin_networks)", "assumed"),
    _p("network.community_tie_formation_rate", 0.5, 0.0, 5.0, "per person-year",
       "New community ties for a person in reunion or control (scaled by 1 - social_exclusion)", "assumed"),
    _p("network.community_tie_loss_rate", 0.3, 0.0, 5.0, "per tie-year",
       "Hazard that exclusion drops a community tie, at full exclusion pressure", "assumed"),
    _p("network.peer_tie_formation_rate", 1.0, 0.0, 10.0, "per person-year",
       "New peer ties per person at full peer availability", "assumed"),
    _p("network.peer_tie_loss_rate", 0.2, 0.0, 5.0, "per tie-year", "Hazard that a peer tie lapses",
       "assumed"),
    _p("network.role_model_bonus", 1.0, 0.0, 5.0, "relative increase",
       "Extra interactions from a peer tie to someone in reunion", "assumed"),
    _p("network.family_shame_effect", 1.0, 0.0, 1.0, "share removed at full shame pressure",
       "Family interactions are multiplied by 1 - effect x shame_pressure", "assumed"),
    _p("network.professional_barrier_weight", 0.5, 0.0, 0.5, "weight per barrier",
       "Professional interactions are multiplied by 1 - weight x (lack_of_compassion + authority_slope)",
       "assumed"),
    # --- crisis pathway ---------------------------------------------------------------------------------
    _p("crisis.enabled", True, None, None, "switch", "Whether crises happen at all", "assumed", bool),
    _p("crisis.rate", 0.15, 0.0, 3.0, "per person-year",
       "Crisis hazard in discontinuity for a person without extra risk", "assumed"),
    _p("crisis.stage_factor", 0.6, 0.1, 1.0, "multiplier per stage",
       "Crisis hazard multiplies by this for each stage further on", "assumed"),
    _p("crisis.trauma_effect", 0.5, 0.0, 3.0, "relative increase per unit trauma load",
       "Crisis hazard increase per unit of trauma load", "assumed"),
    _p("crisis.medication_effect", 0.5, 0.0, 3.0, "relative increase",
       "Crisis hazard increase at full medication burden", "assumed"),
    _p("crisis.insecurity_effect", 0.5, 0.0, 3.0, "relative increase",
       "Crisis hazard increase at no life security", "assumed"),
    _p("crisis.post_discharge_effect", 2.0, 0.0, 10.0, "relative increase",
       "Extra crisis hazard just after discharge, decaying over post_discharge_weeks", "assumed"),
    _p("crisis.post_discharge_weeks", 13.0, 1.0, 104.0, "weeks", "Decay time of the post-discharge risk",
       "assumed"),
    _p("crisis.community_preference", 0.8, 0.0, 1.0, "share",
       "Share of crises a system with no psychosocial gap answers in the community", "assumed"),
    _p("crisis.involuntary_share", 0.2, 0.0, 1.0, "share",
       "Involuntary share of admissions with no advocacy gap", "assumed"),
    _p("crisis.advocacy_involuntary_effect", 0.5, 0.0, 1.0, "share added at full gap",
       "Involuntary share added by the advocacy gap", "assumed"),
    _p("crisis.trauma_insensitivity_coercion_effect", 0.8, 0.0, 1.0, "share",
       "Fraction of coercion that trauma sensitivity can remove", "assumed"),
    _p("crisis.voluntary_coercion_ratio", 0.3, 0.0, 1.0, "ratio",
       "Coercion risk of a voluntary admission relative to an involuntary one", "assumed"),
    _p("crisis.inpatient_coercion_rate", 0.0, 0.0, 50.0, "per inpatient-year at lever 1",
       "Coercive episodes later in a stay: yearly hazard per inpatient not already under one, times the same "
       "coercion risk as at admission (lever, trauma insensitivity, voluntary ratio)",
       "assumed (calibrated to restraint prevalence)"),
    _p("crisis.restraint_share", 0.5, 0.0, 1.0, "share", "Share of coercive episodes that are restraint "
       "(rest: seclusion)", "assumed"),
    _p("crisis.seclusion_median_hours", 204.0, 1.0, 2000.0, "hours", "Median seclusion episode length",
       "Noda et al. 2013, Psychiatry Clin Neurosci, doi:10.1111/pcn.12078"),
    _p("crisis.restraint_median_hours", 82.0, 1.0, 2000.0, "hours", "Median restraint episode length",
       "Noda et al. 2013, Psychiatry Clin Neurosci, doi:10.1111/pcn.12078"),
    _p("crisis.episode_hours_sigma", 1.0, 0.1, 3.0, "log-scale sd", "Spread of episode lengths (lognormal)",
       "assumed"),
    _p("crisis.retraumatisation_probability", 0.5, 0.0, 1.0, "probability",
       "Chance that a coercive episode re-traumatises (back to discontinuity, trauma load up)", "assumed"),
    _p("crisis.trauma_history_retraumatisation_effect", 0.5, 0.0, 2.0, "relative increase",
       "Extra re-traumatisation risk with a trauma history", "assumed"),
    _p("crisis.trauma_load_increment", 1.0, 0.0, 3.0, "units", "Trauma load added by re-traumatisation",
       "assumed"),
    _p("crisis.trauma_load_recovery_rate", 0.1, 0.0, 2.0, "per year", "Decay of trauma load", "assumed"),
    _p("crisis.medication_increase", 0.15, 0.0, 1.0, "units",
       "Medication burden added by an admission (scaled up by the psychosocial gap)", "assumed"),
    _p("crisis.psychosocial_medication_effect", 1.0, 0.0, 3.0, "relative increase at full gap",
       "Medication added by an admission is multiplied by 1 + effect x psychosocial_gap", "assumed"),
    _p("crisis.medication_recovery_rate", 0.2, 0.0, 2.0, "per year",
       "Decay of medication burden in the community", "assumed"),
    _p("crisis.admission_security_loss", 0.1, 0.0, 1.0, "share",
       "Share of life security lost per admission", "assumed"),
    _p("crisis.unmet_crisis_trauma", 0.5, 0.0, 2.0, "units",
       "Trauma load added when a crisis that needed a bed is left to the community with no place (the person "
       "also falls back to discontinuity)", "assumed"),
    _p("crisis.mistrust_increment", 0.3, 0.0, 1.0, "share of remaining trust",
       "Share of the remaining trust in services (mistrust m in [0, 1]) lost with an involuntary admission and with "
       "each seclusion or restraint episode: m <- m + increment x (1 - m)", "assumed"),
    _p("crisis.mistrust_recovery_rate", 0.35, 0.23, 0.7, "per year",
       "Decay of service mistrust (half-life 1-3 years)", "assumed"),
    _p("crisis.mistrust_involuntary_effect", 0.775, 0.48, 1.07, "log odds ratio at full mistrust",
       "The odds that an admission is involuntary multiply by exp(effect x mistrust) (loop R4); 0.775 = ln 2.17, "
       "the odds ratio of an involuntary admission after a previous one (95% CI 1.62-2.91: the range)",
       "Walker et al. 2019, Lancet Psychiatry 6(12):1039-1053 (pooled OR of previous involuntary admission); "
       "that full mistrust carries the whole odds ratio is assumed"),
    # --- hospital ---------------------------------------------------------------------------------------
    _p("hospital.short_stay_mean_days", 45.0, 5.0, 365.0, "days",
       "Mean stay of a short-stay admission with no psychosocial gap", "assumed (calibrated later)"),
    _p("hospital.long_stay_mean_days", 1500.0, 100.0, 10000.0, "days", "Mean stay in the long-stay tail",
       "assumed (calibrated later)"),
    _p("hospital.long_stay_share", 0.15, 0.0, 1.0, "share",
       "Share of admissions in the long-stay tail at full psychosocial gap (Okumura et al. 2019: 14.3% "
       "still in hospital at 360 days)",
       "Okumura et al. 2019, J Epidemiol 29(8):288-294, doi:10.2188/jea.JE20180096 (pattern); value assumed"),
    _p("hospital.psychosocial_discharge_effect", 1.0, 0.0, 3.0, "log multiplier",
       "Discharge hazard is multiplied by exp(-effect * psychosocial_gap)", "assumed"),
    _p("hospital.stage_discharge_effect", 0.3, 0.0, 2.0, "relative increase per stage",
       "Faster discharge for each stage further on", "assumed"),
    _p("hospital.over_capacity_share", 0.5, 0.0, 1.0, "share",
       "Share of crises that need a bed and find none that are admitted anyway (over capacity or to a bed "
       "elsewhere); the rest are handled in the community at a cost to the person (crisis.unmet_crisis_trauma)",
       "assumed"),
    _p("hospital.early_discharge_share", 0.5, 0.0, 1.0, "share",
       "Share of crises that need a bed and find none for which the ward makes room by discharging a short-stay "
       "inpatient early (the furthest on in recovery, the longest stay among equals); the rest may be admitted "
       "over capacity (over_capacity_share). Full wards are reported to lead to early discharge and quick "
       "readmission in England, not measured as a share",
       "assumed (pattern: The Strategy Unit for the Royal College of Psychiatrists 2019, Exploring Mental Health "
       "Inpatient Capacity; The King's Fund 2024, Are mental health wards discharging patients too quickly?)"),
    _p("hospital.over_capacity_limit", 0.05, 0.0, 0.5, "share of beds",
       "Most inpatients above the beds that admissions over capacity can reach", "assumed"),
    # --- peer workforce ---------------------------------------------------------------------------------
    _p("peer.caseload", 20.0, 1.0, 200.0, "users per peer worker",
       "Service users one peer worker puts in reach of peer support", "assumed"),
    _p("peer.recruitment_rate", 0.01, 0.0, 1.0, "per person-year",
       "Hazard that a person in reunion applies for a vacant peer-worker post", "assumed"),
    _p("peer.posts_per_1000", 2.0, 0.0, 50.0, "posts per 1,000 users",
       "Peer-worker posts that organisations fund; recruitment (R1) fills only vacant posts (the paper: little "
       "capacity to employ peer staff)", "paper, Theme 3 (direction); level assumed"),
    _p("peer.max_load", 2.0, 1.0, 5.0, "multiple of the caseload",
       "Most users one peer worker carries, as a multiple of peer.caseload; demand beyond goes unmet rather than "
       "onto the worker (burnout grows with the load above 1)", "assumed"),
    _p("peer.turnover_rate", 0.1, 0.0, 2.0, "per year", "Base hazard that a peer worker leaves", "assumed"),
    _p("peer.burnout_rate", 0.3, 0.0, 5.0, "per year at double load",
       "Extra leaving hazard per unit of excess load, without organisational support", "assumed"),
    _p("peer.organisational_support", 0.2, 0.0, 1.0, "0-1",
       "Supervision and support for peer staff (removes burnout)", "paper, Theme 3 (warning); level assumed"),
    _p("peer.burnout_setback", 0.5, 0.0, 1.0, "probability",
       "Chance that a peer worker who burns out falls back one stage", "assumed"),
    # --- stigma visibility (R2) -------------------------------------------------------------------------
    _p("stigma.visibility_effect", 1.0, 0.0, 5.0, "log multiplier",
       "shame_pressure is multiplied by exp(-effect * (reunion share in the community - its value at "
       "week 0))", "assumed"),
]

PARAMETERS: dict[str, Parameter] = {p.name: p for p in _DECLARED}
LEVERS: tuple[str, ...] = tuple(p.key for p in _DECLARED if p.section == "levers")
SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(p.section for p in _DECLARED))

#: The parameters a country scenario may change (scenarios/england.toml): service capacity per service user, the
#: share in hospital at the start, and the legal and service roots. Every other parameter, every mechanism and every
#: value calibrated to Japan, is kept from japan_baseline.toml so that another country's patterns are predicted,
#: not fitted (docs/validation.md, "External validation: England").
COUNTRY_INPUTS: tuple[str, ...] = ("levers.bed_capacity", "levers.community_support_capacity",
                                   "population.initial_in_hospital", "roots.advocacy_gap", "roots.psychosocial_gap")


@dataclass(frozen=True)
class ReformSpec:
    """What a reform acts on and what its optional capacity means."""

    name: str
    root: str
    paper_name: str
    capacity_unit: str | None
    capacity_target: str | None
    package: str


#: The six reforms of the paper's Theme 3, the root each addresses, and where their capacity goes. What each
#: changes and by how much is in reform_evidence.py.
REFORMS: dict[str, ReformSpec] = {
    r.name: r
    for r in (
        ReformSpec("trauma_informed_care", "trauma_insensitivity", "trauma-informed care systems", None, None,
                   "organisational_change"),
        ReformSpec("crisis_advocacy", "advocacy_gap", "advocacy support available in crisis",
                   "peer advocates per 1,000 users", "peer_availability", "organisational_change"),
        ReformSpec("community_network_care", "psychosocial_gap", "community- and network-based structure",
                   "community crisis places per 1,000 users per week", "community_support_capacity",
                   "organisational_change"),
        ReformSpec("personalised_goals", "rules_over_values", "personalised goals are most valued", None, None,
                   "social_cultural_change"),
        ReformSpec("inclusive_design", "shame_pressure", "inclusive design that overcomes stigma", None, None,
                   "social_cultural_change"),
        ReformSpec("open_community", "thin_networks", "open and acceptable community", None, None,
                   "social_cultural_change"),
    )
}

#: Fields of a ``[[reforms]]`` entry: (default, low, high, unit, description).
REFORM_FIELDS: dict[str, tuple[Any, float | None, float | None, str, str]] = {
    "name": (None, None, None, "reform name", "One of the six reform names"),
    "start_year": (0.0, 0.0, 100.0, "years", "When the reform starts"),
    "ramp_years": (2.0, 0.0, 50.0, "years", "Time from start to full coverage (linear ramp)"),
    "coverage": (1.0, 0.0, 1.0, "share reached", "Share of the people the reform can reach that it reaches when "
                 "ramped up (reform_evidence.py says who)"),
    "effect": (None, 0.0, 1.0, "see reform", "Size of the proximal effect on those reached (a ratio, or the share "
               "of the root removed); default: the evidence's central value; must lie in the evidence's interval"),
    "capacity": (0.0, 0.0, 1000.0, "see reform", "Service capacity the reform adds when ramped up"),
}


def defaults() -> dict[str, Any]:
    """All declared defaults, by dotted name."""
    return {name: p.default for name, p in PARAMETERS.items()}


# --- defaults of the commands -------------------------------------------------------------------------------
# Not model parameters (no scenario file sets them): how big a command's own runs are when not told. Declared
# here so that each lives once; "design" = chosen for the command's purpose (run time, resolution).

#: Command defaults by dotted name (``command.option``), read by the command line, the demo and the dashboard.
COMMAND_DEFAULTS: dict[str, Parameter] = {p.name: p for p in (
    _p("sensitivity.seed", 20211, 0, 2**32 - 1, "integer",
       "Seed of the sensitivity sample when the experiment file gives none", "design"),
    _p("calibrate.replications", 2, 1, 10_000, "runs",
       "Replicates per loss evaluation of recoverysim calibrate (common random numbers)", "design"),
    _p("calibrate.budget", 60, 2, 100_000, "evaluations", "Loss evaluations of the calibration search", "design"),
    _p("calibrate.profile_points", 6, 0, 1_000, "points",
       "Loss-profile points per free parameter after the search", "design"),
    _p("calibrate.abc_particles", 200, 2, 1_000_000, "particles",
       "Accepted particles per ABC-SMC generation of calibrate --method abc (the posterior ensemble's size; issue 13 "
       "asks for at least 200)", "design"),
    _p("calibrate.abc_generations", 6, 1, 1_000, "generations",
       "Most ABC-SMC generations of calibrate --method abc, the prior's included", "design"),
    _p("calibrate.abc_quantile", 0.5, 0.01, 0.99, "share",
       "Quantile of the last generation's distances that is the next ABC-SMC epsilon (pyabc's default median)",
       "design"),
    _p("calibrate.abc_kernel_scale", 2.0, 0.1, 10.0, "factor",
       "Covariance of the ABC-SMC proposal kernel as a multiple of the last generation's weighted covariance (no "
       "bandwidth rule); 2 as in Beaumont et al. 2009, Biometrika 96(4):983-990, doi:10.1093/biomet/asp052",
       "design"),
    _p("calibrate.abc_predictive_draws", 50, 0, 100_000, "draws",
       "Posterior draws simulated for the posterior predictive check of calibrate --method abc", "design"),
    _p("demo.population", 2000, 1, 1_000_000, "people",
       "People per scenario in make demo (finishes in a few minutes on two cores)", "design"),
    _p("demo.years", 10, 1, 100, "years", "Years simulated by make demo", "design"),
    _p("demo.replications", 8, 2, 100_000, "runs", "Replicates per scenario in make demo", "design"),
    _p("demo.draws", 40, 2, 100_000, "draws",
       "Uncertainty draws per scenario in make demo (posterior parameter sets with reform effects; with 40 the "
       "nine posterior parameters can be analysed as a group, at most a quarter of the draws as columns)",
       "design"),
    _p("dashboard.population", 500, 50, 20_000, "people",
       "Most people a dashboard session starts with (the scenario's own size if smaller): a week redraws quickly",
       "design"),
)}


def command_default(name: str) -> Any:
    """The declared default of a command option (``COMMAND_DEFAULTS``)."""
    return COMMAND_DEFAULTS[name].default
