"""Archiving inactive conversations to S3: the policy model (:class:`ArchivalPolicy`) and notebook 06's
analysis (:func:`analyse` -> :class:`ArchivalAnalysis`). See :mod:`voyager_analysis.archival.model`."""

from voyager_analysis.archival.analysis import KNOB_MULTIPLES, MODEL_INPUT_OF, ArchivalAnalysis, analyse
from voyager_analysis.archival.model import (ArchivalPolicy, eligible_share, expected_visits, payback_months,
                                             price_comparison)

__all__ = ["expected_visits", "eligible_share", "ArchivalPolicy", "payback_months", "price_comparison",
           "ArchivalAnalysis", "KNOB_MULTIPLES", "MODEL_INPUT_OF", "analyse"]
