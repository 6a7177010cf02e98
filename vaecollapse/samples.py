"""Kept for one release: mode-collapse diagnostics (diagnose_samples, coverage) moved to
`vaecollapse.families.gan.monitor`; this name is that module (the same object), with a
DeprecationWarning on import. The public names stay importable from `vaecollapse`."""

import sys
import warnings

from vaecollapse.families.gan import monitor as _moved

warnings.warn(
    "vaecollapse.samples moved to vaecollapse.families.gan.monitor; "
    "the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = _moved
