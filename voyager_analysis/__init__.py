"""Voyager Analysis: turns the infrastructure roadmap's claims into tested, reproducible analysis.

Import submodules directly (``from voyager_analysis import audit``); this package root imports
nothing heavy so that ``import voyager_analysis`` and the CLI start fast.
"""

__version__ = "0.1.0"
