"""Rates with their counts and a 95% Wilson score interval."""

from dataclasses import dataclass
from math import sqrt

from flask_babel import get_locale

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal
DASH = "—"


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion (Wilson 1927); None when n is 0."""
    if n <= 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    """numerator / denominator; `value` is None (shown "—") for an empty denominator, or when
    the cell is suppressed because it has fewer answers than the minimum."""

    numerator: int
    denominator: int
    suppressed: bool = False

    @classmethod
    def of(cls, numerator: int | None, denominator: int | None, min_n: int = 0) -> "Rate":
        num, den = int(numerator or 0), int(denominator or 0)
        return cls(num, den, suppressed=0 < den < min_n)

    @property
    def value(self) -> float | None:
        if self.denominator == 0 or self.suppressed:
            return None
        return self.numerator / self.denominator

    @property
    def interval(self) -> tuple[float, float] | None:
        return None if self.value is None else wilson(self.numerator, self.denominator)

    def pct(self, digits: int = 1) -> str:
        """ "95,0%" (Vietnamese decimal comma) or "—"."""
        return pct(self.value, digits)

    def interval_text(self) -> str:
        if self.interval is None:
            return ""
        low, high = self.interval
        return f"{pct(low)}–{pct(high)}"

    def counts_text(self) -> str:
        if self.suppressed:
            return f"n={self.denominator}"
        return f"{self.numerator}/{self.denominator}"

    def as_json(self) -> list[int]:
        return [self.numerator, self.denominator]


def pct(value: float | None, digits: int = 1) -> str:
    """A percentage with the locale's decimal mark ("95,0%" in Vietnamese), or "—"."""
    if value is None:
        return DASH
    text = f"{value * 100:.{digits}f}%"
    return text if _language() == "en" else text.replace(".", ",")


def _language() -> str:
    try:
        locale = get_locale()
    except RuntimeError:  # no request (CLI): the default locale
        return "vi"
    return locale.language if locale is not None else "vi"


def meets(value: float | None, target: float, op: str) -> bool | None:
    """Whether a figure meets its target (">=" or ">"); None when there is no figure."""
    if value is None:
        return None
    # Round away float noise: 0.9 (9/10) must meet a ">= 90%" target.
    value, target = round(value, 9), round(target, 9)
    return value >= target if op == ">=" else value > target
