"""Kept for one release: the VAE's monitor (diagnose, CollapseMonitor) moved to
`vaecollapse.families.vae.monitor`; this name is that module (the same object), with a
DeprecationWarning on import. The public names stay importable from `vaecollapse`."""

import sys
import warnings

from vaecollapse.families.vae import monitor as _moved

warnings.warn(
    "vaecollapse.monitor moved to vaecollapse.families.vae.monitor; "
    "the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = _moved
