"""Calibration and validation against observed patterns (targets as data, ``validate``, ``calibrate``)."""

from recoverysim.calibration.targets import Target, Targets, TargetsError, load_targets

__all__ = ["Target", "Targets", "TargetsError", "load_targets"]
