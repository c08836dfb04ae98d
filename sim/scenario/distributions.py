"""Probability distributions for durations, as validated scenario data that carry their theory.

Every distribution here is a frozen pydantic model named by its ``dist`` tag, so a scenario file
writes ``{ dist = "gamma", mean = 6.0, cv = 0.8 }``. Each one

* validates its parameters when the scenario is loaded (a negative mean is a scenario error, not a
  crash in the middle of a run);
* exposes its exact ``mean`` and ``variance``, which is what lets ``approvalsim check`` compute
  the offered load of every department before anything runs, and lets the tests compare sample
  moments with theory;
* turns uniforms into variates through its quantile function ``ppf``. The model draws uniforms in
  batches, one stream per purpose, and maps them through ``ppf``: the k-th case's draw for an item
  is then the same uniform in every scenario run with the same seed (common random numbers), even
  when a reform changes the distribution's parameters.

All durations are non-negative and finite, and every parameter is at most :data:`MAX_DURATION`
(a million of its unit: 114 years of staff hours), so that no arithmetic on them can overflow;
``inf`` and ``nan`` are refused. Each distribution also states the smallest value it can draw
(``minimum``), from which the loader bounds how long a case must take. The ``unit`` key is read
by the step that holds the distribution: staff ``effort`` is in hours; elapsed ``delay`` and
turnarounds are in ``working_days`` (the statutory count), ``calendar_days`` or ``hours``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from scipy import special

Unit = Literal["hours", "working_days", "calendar_days"]

_FROZEN = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

MAX_DURATION = 1e6
"""Largest value of any duration parameter, in its unit (hours or days)."""

MAX_VALUES = 100_000
"""Most observations an empirical distribution may list."""

MIN_GAMMA_CV = 1e-3
"""Smallest gamma cv: its shape 1/cv^2 stays below a million, where the quantile is exact."""


class _Dist(BaseModel):
    model_config = _FROZEN
    unit: Unit | None = Field(
        default=None,
        description="Time unit. Effort: hours (the only choice). Delays and turnarounds: "
        "working_days (default), calendar_days or hours.",
    )

    @property
    def mean(self) -> float:
        """The exact mean."""
        raise NotImplementedError

    @property
    def variance(self) -> float:
        """The exact variance."""
        raise NotImplementedError

    @property
    def minimum(self) -> float:
        """The smallest value a draw can take (the bottom of the support)."""
        return 0.0

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantile function: maps uniforms in [0, 1) to variates."""
        raise NotImplementedError

    def scaled(self, factor: float) -> _Dist:
        """The same shape with every duration multiplied by ``factor`` (cv unchanged)."""
        raise NotImplementedError


class Exponential(_Dist):
    """Exponential durations with the given mean (memoryless; cv = 1)."""

    dist: Literal["exponential"] = Field(default="exponential", description="Which distribution.")
    mean_: float = Field(alias="mean", gt=0, le=MAX_DURATION, description="Mean duration.")

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return self.mean_**2

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_ * np.log1p(-u)

    def scaled(self, factor: float) -> Exponential:
        return self.model_copy(update={"mean_": self.mean_ * factor})


class LogNormal(_Dist):
    """Lognormal durations given by their mean and coefficient of variation (not by mu, sigma)."""

    dist: Literal["lognormal"] = Field(default="lognormal", description="Which distribution.")
    mean_: float = Field(alias="mean", gt=0, le=MAX_DURATION, description="Mean duration.")
    cv: float = Field(ge=0, le=10, description="Coefficient of variation: std / mean.")

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return (self.cv * self.mean_) ** 2

    def ppf(self, u: np.ndarray) -> np.ndarray:
        s2 = math.log1p(self.cv**2)
        mu = math.log(self.mean_) - s2 / 2
        return np.exp(mu + math.sqrt(s2) * special.ndtri(u))

    def scaled(self, factor: float) -> LogNormal:
        return self.model_copy(update={"mean_": self.mean_ * factor})


class Gamma(_Dist):
    """Gamma durations given by their mean and coefficient of variation (shape = 1 / cv^2)."""

    dist: Literal["gamma"] = Field(default="gamma", description="Which distribution.")
    mean_: float = Field(alias="mean", gt=0, le=MAX_DURATION, description="Mean duration.")
    cv: float = Field(
        ge=MIN_GAMMA_CV,
        le=10,
        description="Coefficient of variation: std / mean (below 0.001 use deterministic).",
    )

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def variance(self) -> float:
        return (self.cv * self.mean_) ** 2

    def ppf(self, u: np.ndarray) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return special.gammaincinv(shape, u) * (self.mean_ / shape)

    def scaled(self, factor: float) -> Gamma:
        return self.model_copy(update={"mean_": self.mean_ * factor})


class Triangular(_Dist):
    """Triangular durations between ``low`` and ``high`` with the given ``mode``."""

    dist: Literal["triangular"] = Field(default="triangular", description="Which distribution.")
    low: float = Field(ge=0, le=MAX_DURATION, description="Smallest duration.")
    mode: float = Field(ge=0, le=MAX_DURATION, description="Most likely duration.")
    high: float = Field(gt=0, le=MAX_DURATION, description="Largest duration.")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError(
                f"needs low <= mode <= high and low < high (got {self.low}, {self.mode}, "
                f"{self.high})"
            )
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    @property
    def minimum(self) -> float:
        return self.low

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18

    def ppf(self, u: np.ndarray) -> np.ndarray:
        a, c, b = self.low, self.mode, self.high
        cut = (c - a) / (b - a)
        left = a + np.sqrt(u * (b - a) * (c - a))
        right = b - np.sqrt((1 - u) * (b - a) * (b - c))
        return np.where(u < cut, left, right)

    def scaled(self, factor: float) -> Triangular:
        return self.model_copy(
            update={
                "low": self.low * factor,
                "mode": self.mode * factor,
                "high": self.high * factor,
            }
        )


class Uniform(_Dist):
    """Uniform durations between ``low`` and ``high``."""

    dist: Literal["uniform"] = Field(default="uniform", description="Which distribution.")
    low: float = Field(ge=0, le=MAX_DURATION, description="Smallest duration.")
    high: float = Field(gt=0, le=MAX_DURATION, description="Largest duration.")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low >= self.high:
            raise ValueError(f"needs low < high (got low={self.low}, high={self.high})")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    @property
    def minimum(self) -> float:
        return self.low

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + u * (self.high - self.low)

    def scaled(self, factor: float) -> Uniform:
        return self.model_copy(update={"low": self.low * factor, "high": self.high * factor})


class Deterministic(_Dist):
    """A fixed duration. A bare number in a scenario file means this."""

    dist: Literal["deterministic"] = Field(
        default="deterministic", description="Which distribution."
    )
    value: float = Field(ge=0, le=MAX_DURATION, description="The duration.")

    @property
    def mean(self) -> float:
        return self.value

    @property
    def minimum(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=float)

    def scaled(self, factor: float) -> Deterministic:
        return self.model_copy(update={"value": self.value * factor})


class Empirical(_Dist):
    """Durations resampled with equal weight from observed ``values``."""

    dist: Literal["empirical"] = Field(default="empirical", description="Which distribution.")
    values: tuple[Annotated[float, Field(ge=0, le=MAX_DURATION)], ...] = Field(
        min_length=1,
        max_length=MAX_VALUES,
        description=f"Observed durations, each equally likely (each <= {MAX_DURATION:g}).",
    )

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def minimum(self) -> float:
        return min(self.values)

    @property
    def variance(self) -> float:
        return float(np.var(self.values))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        vals = np.asarray(self.values, dtype=float)
        idx = np.minimum((np.asarray(u) * len(vals)).astype(np.int64), len(vals) - 1)
        return vals[idx]

    def scaled(self, factor: float) -> Empirical:
        return self.model_copy(update={"values": tuple(v * factor for v in self.values)})


DIST_NAMES = (
    "exponential",
    "lognormal",
    "gamma",
    "triangular",
    "uniform",
    "deterministic",
    "empirical",
)


def _number_is_deterministic(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "deterministic", "value": value}
    return value


Distribution = Annotated[
    Exponential | LogNormal | Gamma | Triangular | Uniform | Deterministic | Empirical,
    Field(discriminator="dist"),
    BeforeValidator(_number_is_deterministic),
]
"""Any distribution, chosen by its ``dist`` tag; a bare number is a deterministic value."""
