"""Kept for one release: representation-collapse diagnostics (diagnose_embeddings,
EmbeddingMonitor) moved to
`vaecollapse.families.ssl.monitor`; this name is that module (the same object), with a
DeprecationWarning on import. The public names stay importable from `vaecollapse`."""

import sys
import warnings

from vaecollapse.families.ssl import monitor as _moved

warnings.warn(
    "vaecollapse.embeddings moved to vaecollapse.families.ssl.monitor; "
    "the old path goes in the next release",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = _moved
