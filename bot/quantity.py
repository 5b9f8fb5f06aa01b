"""Parse Kubernetes resource quantities such as ``250m`` CPU or ``1Gi`` memory."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)([a-zA-Z]*|[eE][0-9]+)$")
_SUFFIXES = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "E": Decimal(10) ** 18,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
    "Ei": Decimal(2) ** 60,
}


# Kubernetes quantities fit in 63 bits of milli-units, far below 10**30.
MAX_EXPONENT = 30


class QuantityError(ValueError):
    """A string is not a Kubernetes quantity."""


def parse_quantity(text: str) -> Decimal:
    """Return the value of a quantity in base units (cores or bytes)."""
    match = _QUANTITY.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise QuantityError(
            f"{text!r} is not a Kubernetes quantity such as 500m or 1Gi"
        )
    number, suffix = match.groups()
    try:
        if suffix[:1] in ("e", "E") and suffix[1:].isdigit():
            exponent = int(suffix[1:])
            if exponent > MAX_EXPONENT:
                raise QuantityError(f"{text!r} is too large")
            return Decimal(number) * Decimal(10) ** exponent
        return Decimal(number) * _SUFFIXES[suffix]
    except KeyError:
        raise QuantityError(f"{text!r} has an unknown suffix {suffix!r}") from None
    except (InvalidOperation, ArithmeticError):
        raise QuantityError(f"{text!r} is not a number Kubernetes accepts") from None
