"""The four feedback loops: the functions that close them, and the causal links the model is built from.

Switching a loop off cuts its characteristic link (and only that link):

* R1 ``peer_role_models``: peer workers stop adding to peer availability.
* B1 ``peer_burnout``: peer workload stops driving peer workers out (only base turnover remains).
* R2 ``stigma_visibility``: visible reunion stops lowering shame pressure.
* R3 ``coercion_trauma``: re-traumatisation stops adding to trauma load (it still throws people back).
* R4 ``coercion_mistrust``: service mistrust stops raising the odds that an admission is involuntary (it still
  builds up after coercion and still delays safety).

``CAUSAL_LINKS`` lists every link, with its sign and the function or module that implements it; the
causal-loop diagram is drawn from this list, and the tests check each loop link's sign on these functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def effective_peer_availability(lever, peer_workers, caseload, population: int, added_per_1000, loop_on):
    """Share of users in reach of peer support: services' offer, reform capacity, and peer workers (R1).

    Every argument but ``population`` may be one value per run (arrays of the same length).
    """
    reach = lever + added_per_1000 * caseload / 1000
    reach = np.where(loop_on, reach + peer_workers * caseload / max(population, 1), reach)
    return np.minimum(1.0, reach)


def peer_load(demand, peer_workers, caseload, max_load):
    """Load per peer worker: demand over what the workers' caseloads cover, capped at ``max_load``."""
    return np.minimum(demand / (peer_workers * caseload), max_load)


def peer_leaving_hazard(turnover, burnout_rate, organisational_support, demand, peer_workers, caseload, loop_on,
                        max_load):
    """Yearly hazard that a peer worker leaves: turnover plus burnout from excess load (B1).

    ``demand`` is the number of users in reach of peer support who are not yet in reunion. Each worker carries
    at most ``max_load`` x ``caseload`` of them (organisations cap caseloads; demand beyond the cap goes
    unmet), so the load per worker is min(demand / (workers x caseload), max_load) and burnout grows with the
    load above 1. Arguments may be one value per run.
    """
    burning = np.logical_and(loop_on, np.asarray(peer_workers) > 0)
    load = peer_load(demand, np.where(burning, peer_workers, 1), caseload, max_load)
    return np.where(burning, turnover + burnout_rate * np.maximum(0.0, load - 1.0) * (1 - organisational_support),
                    turnover)


def effective_shame_pressure(root, reunion_share, reunion_share_at_start, effect, loop_on):
    """Shame pressure after visibility of reunion in the community (R2); arguments may be one value per run."""
    return np.where(loop_on, np.minimum(1.0, root * np.exp(-effect * (reunion_share - reunion_share_at_start))), root)


def retraumatisation_trauma_increment(increment, loop_on):
    """Trauma load added by one re-traumatisation (R3); arguments may be one value per run."""
    return np.where(loop_on, increment, 0.0)


@dataclass(frozen=True)
class CausalLink:
    """One arrow of the causal-loop diagram."""

    cause: str
    effect: str
    sign: int  # +1 same direction, -1 opposite
    loop: str | None
    where: str


CAUSAL_LINKS: tuple[CausalLink, ...] = (
    # R1 peer role models
    CausalLink("reunion", "peer workers", +1, "peer_role_models", "peer_workforce.update"),
    CausalLink("peer workers", "peer availability", +1, "peer_role_models",
               "feedback_loops.effective_peer_availability"),
    CausalLink("peer availability", "peers_unavailable", -1, "peer_role_models", "barriers.person_barriers"),
    CausalLink("peers_unavailable", "reunion", -1, "peer_role_models", "barriers.progress_gate"),
    # B1 peer burnout: availability draws demand onto the peer workforce (limits to growth of R1)
    CausalLink("peer workers", "peer availability", +1, "peer_burnout",
               "feedback_loops.effective_peer_availability"),
    CausalLink("peer availability", "demand for peer support", +1, "peer_burnout", "peer_workforce.update"),
    CausalLink("demand for peer support", "peer workload", +1, "peer_burnout", "feedback_loops.peer_leaving_hazard"),
    CausalLink("peer workload", "peer workers leaving", +1, "peer_burnout", "feedback_loops.peer_leaving_hazard"),
    CausalLink("peer workers leaving", "peer workers", -1, "peer_burnout", "peer_workforce.update"),
    # R2 visibility and stigma
    CausalLink("reunion", "shame_pressure", -1, "stigma_visibility", "feedback_loops.effective_shame_pressure"),
    CausalLink("shame_pressure", "social_exclusion", +1, "stigma_visibility", "barriers.system_barriers"),
    CausalLink("social_exclusion", "reunion", -1, "stigma_visibility", "barriers.progress_gate"),
    # R3 coercion and trauma
    CausalLink("coercion", "re-traumatisation", +1, "coercion_trauma", "crisis_pathway.coerce"),
    CausalLink("re-traumatisation", "trauma load", +1, "coercion_trauma",
               "feedback_loops.retraumatisation_trauma_increment"),
    CausalLink("trauma load", "crises", +1, "coercion_trauma", "crisis_pathway.crisis_hazard"),
    CausalLink("crises", "admissions", +1, "coercion_trauma", "crisis_pathway.respond"),
    CausalLink("admissions", "coercion", +1, "coercion_trauma", "crisis_pathway.coerce"),
    # R4 coercion and mistrust
    CausalLink("coercion", "service mistrust", +1, "coercion_mistrust", "crisis_pathway.add_mistrust"),
    CausalLink("service mistrust", "involuntary admissions", +1, "coercion_mistrust",
               "crisis_pathway.involuntary_probability"),
    CausalLink("involuntary admissions", "coercion", +1, "coercion_mistrust", "crisis_pathway.coerce"),
    # Roots and reforms outside the loops
    CausalLink("trauma_insensitivity", "coercion", +1, None, "crisis_pathway.coerce"),
    CausalLink("advocacy_gap", "admissions", +1, None, "crisis_pathway.respond"),
    CausalLink("psychosocial_gap", "admissions", +1, None, "crisis_pathway.respond"),
    CausalLink("re-traumatisation", "reunion", -1, None, "crisis_pathway.coerce"),
    CausalLink("crises", "reunion", -1, None, "crisis_pathway.respond"),
    CausalLink("service mistrust", "reunion", -1, None, "recovery_stages.stage_hazards"),
)


def loop_polarity(loop: str) -> int:
    """Product of the signs around a loop: +1 reinforcing, -1 balancing."""
    sign = 1
    for link in CAUSAL_LINKS:
        if link.loop == loop:
            sign *= link.sign
    return sign
