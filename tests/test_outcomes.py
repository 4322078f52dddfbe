"""The one outcome registry and the one length of stay."""

import numpy as np
import pandas as pd
import pytest

from recoverysim.calibration.targets import load_targets
from recoverysim.metrics import stay_of_admissions
from recoverysim.outcomes import OUTCOMES, REGISTRY, TARGET_METRICS
from recoverysim.simulation import EpisodeLog


def test_views_partition_the_registry_and_targets_name_registered_outcomes():
    assert set(OUTCOMES) | set(TARGET_METRICS) == set(REGISTRY)
    assert all(o.headline for o in OUTCOMES.values()) and all(o.target for o in TARGET_METRICS.values())
    assert all(o.better in ("higher", "lower", "neither") and o.unit and o.description and o.computed
               for o in REGISTRY.values())
    assert {t.metric for t in load_targets("data/targets/japan.toml").targets} <= set(TARGET_METRICS)


def test_length_of_stay_on_a_hand_made_ledger():
    # person 0: admitted week 2, out week 6 (28 days); person 1: admitted week 3, still in; person 2 admitted
    # twice (weeks 1 and 10), out in weeks 4 and 11; person 3's discharge is of a stay from before the run.
    adm = pd.DataFrame({"person": [2, 0, 1, 2], "week": [1, 2, 3, 10], "involuntary": [False] * 4})
    dis = pd.DataFrame({"person": [3, 2, 0, 2], "admitted_week": [-5, 1, 2, 10], "week": [2, 4, 6, 11],
                        "prevalent": [True, False, False, False]})
    assert list(stay_of_admissions(adm, dis)) == [21.0, 28.0, np.inf, 7.0]
    assert list(stay_of_admissions(adm.iloc[:0], dis)) == []


class _Week:
    def __init__(self, week, coerced, hours, restraint):
        self.week = week
        self.week_events = {"coerced": np.array(coerced), "episode_hours": np.array(hours, np.float32),
                            "restraint": np.array(restraint)}


def test_episode_log_splits_a_batch_into_runs_numbered_within_the_run():
    log = EpisodeLog()
    log.add(_Week(1, [1, 7], [2.5, 4.0], [True, False]))
    log.add(_Week(2, [], [], []))
    log.add(_Week(3, [6], [1.0], [True]))
    run1 = log.frame(1, run_size=5)
    assert list(run1["person"]) == [2, 1] and list(run1["week"]) == [1, 3]
    assert list(run1["hours"]) == [4.0, 1.0] and list(run1["restraint"]) == [False, True]
    assert len(log.frame(0, 5)) == 1 and len(EpisodeLog().frame(0, 5)) == 0


def test_restricted_mean_without_censoring_is_the_mean_of_the_capped_times():
    # Oracle: with no censoring, the area under 1 - ECDF up to H equals E[min(T, H)].
    from recoverysim.metrics import restricted_mean, survival_curve

    rng = np.random.default_rng(4)
    weeks = 50
    t = rng.integers(1, 90, size=400).astype(float)
    event = t <= weeks
    t[~event] = weeks
    assert restricted_mean(survival_curve(t, event, weeks), weeks) == pytest.approx(np.minimum(t, weeks).mean())


def test_restricted_mean_with_censoring_matches_a_hand_worked_kaplan_meier():
    # Events in weeks 1 and 3, censored in weeks 2 and 5; horizon 4. By hand: S = 1, 0.75, 0.75, 0.375 at the
    # end of weeks 0..3 (at risk 4, then 2 in week 3), so the area is 2.875 weeks.
    from recoverysim.metrics import restricted_mean, survival_curve

    t = np.array([1.0, 2.0, 3.0, 5.0])
    event = np.array([True, False, True, False])
    surv = survival_curve(t, event, 4)
    np.testing.assert_allclose(surv[:4], [1.0, 0.75, 0.75, 0.375])
    assert restricted_mean(surv, 4) == pytest.approx(2.875)
