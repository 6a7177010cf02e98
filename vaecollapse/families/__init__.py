"""The built-in families of collapse, one package each, and the registry's namespace.

- `vaecollapse.families.vae`: posterior collapse in VAEs (q(z|x) = p(z), the decoder
  ignoring z);
- `vaecollapse.families.ssl`: representation collapse in joint-embedding self-supervised
  learning (a constant or low-rank embedding);
- `vaecollapse.families.gan`: mode collapse in GANs (the generator covering few modes).

Each package's ``__init__`` is its schema (a `vaecollapse.family.Family`, no JAX); the
rest of the folder is its implementation: models or networks, losses, measures, trainer,
monitor (the API for a user's own training loop), figures. The contract and the registry
live in `vaecollapse.family` and are re-exported here, so ``families.of(results)`` and
``from vaecollapse.families import Family`` read as before; importing this package loads
no family.
"""

from vaecollapse.family import (
    BOUNDARY_RULES,
    DEFAULT,
    INTERPOLATE,
    TO_ZERO,
    Family,
    Figure,
    OrderParameter,
    Trace,
    Trainer,
    always,
    config_of,
    get,
    names,
    of,
    of_config,
    register,
    resolve,
)

__all__ = [
    "BOUNDARY_RULES",
    "DEFAULT",
    "INTERPOLATE",
    "TO_ZERO",
    "Family",
    "Figure",
    "OrderParameter",
    "Trace",
    "Trainer",
    "always",
    "config_of",
    "get",
    "names",
    "of",
    "of_config",
    "register",
    "resolve",
]
