"""Kept for one release: the VAE's diagnostics moved to
`vaecollapse.families.vae.diagnostics`; this name is that module (the same object), with a
DeprecationWarning on import. The public names stay importable from `vaecollapse`."""

import sys
import warnings

from vaecollapse.families.vae import diagnostics as _moved

warnings.warn(
    "vaecollapse.diagnostics moved to vaecollapse.families.vae.diagnostics; "
    "the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = _moved
