"""Claude model routing: the bill of a Haiku/Sonnet mix (:class:`RoutingModel`) and notebook 04's analysis
(:func:`analyse` -> :class:`RoutingAnalysis`). See :mod:`voyager_analysis.routing.model` for the equations."""

from voyager_analysis.routing.analysis import MEASURED, RoutingAnalysis, analyse, sensitivity_ranges
from voyager_analysis.routing.model import (TOKENS_PER_MTOK, ModelPrice, RoutingModel, model_price, phase_of,
                                            request_cost_usd)

__all__ = ["TOKENS_PER_MTOK", "ModelPrice", "model_price", "request_cost_usd", "phase_of", "RoutingModel",
           "MEASURED", "RoutingAnalysis", "analyse", "sensitivity_ranges"]
