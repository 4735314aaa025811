"""scikit-learn's estimator conventions without importing scikit-learn (which takes seconds).

``get_params`` / ``set_params`` read the ``__init__`` signature, as ``sklearn.base.BaseEstimator``
does, so ``sklearn.base.clone`` and ``GridSearchCV`` work; estimator tags are built only when
scikit-learn asks for them.
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["ParamsMixin"]

_REPR_ITEMS = 6  # a longer list or tuple is shown by its length in a repr


class ParamsMixin:
    """Flat hyperparameters, each an ``__init__`` keyword stored under its own name."""

    @classmethod
    def _param_names(cls) -> list[str]:
        """The ``__init__`` parameters, as scikit-learn reads them (a subclass's positional ones too); a subclass whose
        ``__init__`` passes ``**kwargs`` on to its base's gets the base's parameters too (else ``clone`` made its
        copy with the base's defaults: ``C=1.0`` became ``4.0``); ``*args`` is refused, as scikit-learn refuses it."""
        names: list[str] = []
        for p in inspect.signature(cls.__init__).parameters.values():
            if p.name == "self":
                continue
            if p.kind == p.VAR_POSITIONAL:
                raise RuntimeError(f"{cls.__name__}.__init__ takes *{p.name}: scikit-learn's conventions (get_params, "
                                   "clone) need every hyperparameter named in its signature")
            if p.kind == p.VAR_KEYWORD:  # on to the base's __init__: its hyperparameters are this class's too
                base = cls._kwargs_base()
                names += [] if base is None else [n for n in base._param_names() if n not in names]
            elif p.name not in names:
                names.append(p.name)
        return names

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        """Every hyperparameter that has a default, and that default (what ``cls()`` sets): the one place they are
        read from.

        Example:
            >>> class Model(ParamsMixin):
            ...     def __init__(self, *, C: float = 1.0) -> None:
            ...         self.C = C
            >>> Model.param_defaults(), Model(C=2.0)
            ({'C': 1.0}, Model(C=2.0))
        """
        defaults: dict[str, Any] = {}
        for p in inspect.signature(cls.__init__).parameters.values():
            if p.kind == p.VAR_KEYWORD and (base := cls._kwargs_base()) is not None:  # as _param_names reads it
                defaults.update({k: v for k, v in base.param_defaults().items() if k not in defaults})
            elif p.default is not inspect.Parameter.empty:
                defaults[p.name] = p.default
        return defaults

    @classmethod
    def _kwargs_base(cls) -> type[ParamsMixin] | None:
        """The nearest base class with an ``__init__`` of its own, to which a ``**kwargs`` of this class's goes."""
        return next((b for b in cls.__mro__[1:] if issubclass(b, ParamsMixin) and "__init__" in vars(b)), None)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The hyperparameters, by name."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any):
        """Set hyperparameters by name; an unknown name raises ``ValueError`` and none is set (``set_params(C=1.0,
        bogus=2)`` leaves ``C`` as it was).

        Example:
            >>> class Model(ParamsMixin):
            ...     def __init__(self, *, C: float = 1.0) -> None:
            ...         self.C = C
            >>> model = Model()
            >>> model.set_params(C=2.0, c=3.0)
            Traceback (most recent call last):
            ...
            ValueError: invalid parameter 'c' for Model; valid: ['C']
            >>> model
            Model()
        """
        valid = set(self._param_names())
        unknown = next((name for name in params if name not in valid), None)
        if unknown is not None:
            raise ValueError(f"invalid parameter {unknown!r} for {type(self).__name__}; valid: {sorted(valid)}")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        """The hyperparameters set otherwise than their defaults; a long list (a user dictionary of 300 words) by its
        length, ``<312 items>``."""
        defaults = self.param_defaults()

        def shown(v: Any) -> str:
            return f"<{len(v)} items>" if isinstance(v, (list, tuple)) and len(v) > _REPR_ITEMS else repr(v)

        changed = [f"{k}={shown(v)}" for k, v in self.get_params().items()
                   if not (isinstance(v, (int, float, str, bool, type(None), tuple)) and k in defaults
                           and v == defaults[k])]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        from sklearn.utils import ClassifierTags, Tags, TargetTags

        tags = Tags(estimator_type="classifier", target_tags=TargetTags(required=True, multi_output=True),
                    classifier_tags=ClassifierTags(multi_label=True))
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        return tags
