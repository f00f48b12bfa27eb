"""Exact linear regions of piecewise-linear networks over a plane (see docs/regions.md)."""

from .decision import DecisionRegions, decision_regions
from .merge import AffinePieces
from .partition import linear_regions
from .result import RegionCheckError, Regions
from .segment import SegmentRegions, regions_on_segment

__all__ = ["AffinePieces", "DecisionRegions", "RegionCheckError", "Regions", "SegmentRegions", "decision_regions",
           "linear_regions", "regions_on_segment"]
