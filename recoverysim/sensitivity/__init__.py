"""Global sensitivity analysis: experiment files, sampling, resumable evaluation, SALib analysis, figures.

The pipeline has three steps with array contracts, usable on any callable::

    from recoverysim.sensitivity import Design, sample, evaluate, analyze

    design = Design(names=("a", "b"), bounds=((0, 1), (0, 1)), method="sobol", n=1024, seed=1)
    X = sample(design)                      # (n_rows, d)
    Y = evaluate(func, X, executor="processes", workers=2).Y   # (n_rows, k)
    table = analyze(design, X, Y, outputs=["y"])  # tidy indices

``run_pipeline`` does all three with the results folder, the resumable store and the figures.
"""

from recoverysim.sensitivity.analysis import AnalysisError, analyze, convergence
from recoverysim.sensitivity.evaluation import Evaluation, ResultStore, evaluate
from recoverysim.sensitivity.experiment import Experiment, ExperimentError, load_experiment
from recoverysim.sensitivity.pipeline import PipelineResult, run_pipeline
from recoverysim.sensitivity.sampling import Design, DesignError, sample

__all__ = [
    "AnalysisError", "Design", "DesignError", "Evaluation", "Experiment", "ExperimentError", "PipelineResult",
    "ResultStore", "analyze", "convergence", "evaluate", "load_experiment", "run_pipeline", "sample",
]
