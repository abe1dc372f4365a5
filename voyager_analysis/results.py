"""The results protocol every analysis follows, and the one JSON-cleaning helper.

In the style of statsmodels' and lifelines' results objects, an analysis returns an object with

* ``.summary()`` — a method everywhere: a ``pandas.DataFrame`` (or a small summary object) a person reads;
* ``.to_dict()`` — JSON-safe: plain ``dict``/``list``/``str``/``int``/``float``/``bool``/``None``; no NaN or
  infinity; a value that is absent is ``None`` with a sibling ``"<key>_reason"`` saying why (see
  :class:`Missing`);
* ``_repr_html_()`` — for JupyterLab (the summary as an HTML table, under a one-line title);
* ``plot_*()`` — its figures, each a method returning a matplotlib ``Figure``.

Subclass :class:`Results` and implement :meth:`Results.summary` and :meth:`Results._payload`; ``to_dict``,
``_repr_html_`` and ``__repr__`` come from the base class.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Missing:
    """An absent value and the reason for it. :func:`to_jsonable` writes it as ``None`` and, inside a mapping,
    adds ``"<key>_reason": reason`` next to it."""

    reason: str

    def __bool__(self) -> bool:
        return False


def to_jsonable(obj: Any) -> Any:
    """Turn numpy/pandas scalars, arrays, frames, dataclasses and containers into strict-JSON values.

    NaN and infinity become ``None`` (``json.dumps(..., allow_nan=False)`` then succeeds); a :class:`Missing`
    becomes ``None`` with a ``"<key>_reason"`` sibling when it is the value of a mapping key; an object
    with a ``to_dict()`` method is converted through it. This is the only JSON-cleaning helper of the
    package.
    """
    import numpy as np

    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, Missing):
        return None
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            out[str(k)] = to_jsonable(v)
            if isinstance(v, Missing):
                out.setdefault(f"{k}_reason", v.reason)
        return out
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    if hasattr(obj, "to_dict") and callable(obj.to_dict):
        try:
            import pandas as pd

            if isinstance(obj, pd.DataFrame):
                return to_jsonable(obj.reset_index().to_dict(orient="records")
                                   if not isinstance(obj.index, pd.RangeIndex) else obj.to_dict(orient="records"))
            if isinstance(obj, pd.Series):
                return to_jsonable(obj.to_dict())
        except ImportError:  # pragma: no cover - pandas is a dependency
            pass
        return to_jsonable(obj.to_dict())
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    if hasattr(obj, "item"):  # numpy/pandas scalar of another kind
        return to_jsonable(obj.item())
    if hasattr(obj, "__dataclass_fields__"):
        from dataclasses import asdict

        return to_jsonable(asdict(obj))
    return str(obj)


class Results:
    """Base class of every results object (see the module docstring)."""

    #: A one-line title shown above the HTML summary; subclasses set it.
    title: str = "Results"

    def summary(self):  # pragma: no cover - abstract
        """A DataFrame (or small summary object) a person reads."""
        raise NotImplementedError

    def _payload(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """The results as a mapping (may hold numpy values, NaN and :class:`Missing`)."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The results as strict-JSON values (no NaN/inf; absent values are ``None`` with a reason)."""
        return to_jsonable(self._payload())

    def _repr_html_(self) -> str:
        from voyager_analysis.tables import table_html

        s = self.summary()
        if hasattr(s, "columns"):  # a DataFrame: units, separators, "—" for missing (voyager_analysis.tables)
            body = table_html(s)
        else:
            body = s._repr_html_() if hasattr(s, "_repr_html_") else f"<pre>{html.escape(str(s))}</pre>"
        return f"<div><strong>{html.escape(self.title)}</strong>{body}</div>"

    def __repr__(self) -> str:
        s = self.summary()
        return f"{self.title}\n{s}"


__all__ = ["Missing", "Results", "to_jsonable"]
