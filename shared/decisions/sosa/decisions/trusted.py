"""Wire models built from a service's own values without validating them again (#25).

pydantic's `model_construct` already skips validation, but it still walks every field of the
model in Python (aliases, defaults, the fields set) for each instance: 2 us for `Parties`, 6 us
for a `DecisionRecord`, and the router makes several of each per command. `Trusted` does that
walk once per model, when it is made, and then gives each instance its values as
`model_construct` would (the same `__dict__`, its keys in the model's order of fields, which
is the order of its JSON; the same fields set; no extra, no private attributes), so the
instance compares, dumps and serialises exactly as one from `model_construct`
(`tests/unit/router/test_trusted_models.py` compares both, byte for byte).

Only for values the service has made itself from input validated where it entered (a record
read from Kafka, a request body); input is always validated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

_IMMUTABLE = (type(None), bool, int, float, str, bytes, tuple, frozenset)
"""Defaults shared by every instance as they are (`model_construct` copies the others)."""
_UNSET: Any = object()
"""In the template, a field without a default (a required one, or one with a factory)."""
_new = object.__new__
_set = object.__setattr__


class Trusted(Generic[M]):
    """Builds instances of `model` from trusted values (every required field given)."""

    __slots__ = ("_defaults", "_factories", "_model", "_required", "_template")

    def __init__(self, model: type[M]) -> None:
        fields = model.model_fields
        self._model = model
        self._required = frozenset(name for name, f in fields.items() if f.is_required())
        self._defaults: dict[str, Any] = {
            name: f.default
            for name, f in fields.items()
            if not f.is_required() and f.default_factory is None
        }
        self._factories: dict[str, Callable[[], Any]] = {
            name: f.default_factory  # type: ignore[misc]
            for name, f in fields.items()
            if f.default_factory is not None
        }
        self._template: dict[str, Any] = {name: self._defaults.get(name, _UNSET) for name in fields}
        if (
            any(f.alias is not None or f.validation_alias is not None for f in fields.values())
            or model.model_config.get("extra") == "allow"
            or model.__pydantic_post_init__
            or model.__private_attributes__
            or not all(isinstance(v, _IMMUTABLE) for v in self._defaults.values())
        ):
            raise TypeError(
                f"{model.__name__} has aliases, extra or private attributes, a post-init or a "
                "mutable default (which model_construct copies): use model_construct"
            )

    def __call__(self, **values: Any) -> M:
        """An instance with `values` and the defaults of the fields not given, not validated;
        `values` must name fields of the model only (as `model_construct`, which drops others
        under `extra="ignore"`, this does not check: the caller's values are its own)."""
        if not self._required.issubset(values):
            missing = sorted(self._required.difference(values))
            raise TypeError(f"{self._model.__name__} needs {', '.join(missing)}")
        fields_set = set(values)
        merged = self._template.copy()  # every field, in the model's order (its JSON's order)
        merged.update(values)
        for name, factory in self._factories.items():
            if merged[name] is _UNSET:
                merged[name] = factory()
        instance: M = _new(self._model)
        _set(instance, "__dict__", merged)
        _set(instance, "__pydantic_fields_set__", fields_set)
        _set(instance, "__pydantic_extra__", None)
        _set(instance, "__pydantic_private__", None)
        return instance
