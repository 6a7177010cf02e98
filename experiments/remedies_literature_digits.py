"""The literature's remedies on images: `remedies_literature`'s variants on digits with
the gated PixelCNN decoder.

Data and model as `remedies`: binarised 8×8 digits, a conv encoder and a gated PixelCNN
decoder (8 latent dims), 400 steps (the plain baseline's collapse on these small images
is transient: its KL is lowest around steps 300–450, `remedies`), three seeds. The
variants are `remedies_literature`'s with this run's lengths — KL annealing over the
first 200 steps, the pretrained encoder's autoencoder for the first 100 — and without
``word_dropout`` and ``z_initial_only`` (the LSTM's; the PixelCNN's context dropout is
`image_phase`'s axis). Table: `summary.md`; the measured one is in docs/vae.md.

    make remedies-literature   # both halves; this one into runs/remedies_literature_digits
    vaecollapse run experiments/remedies_literature_digits.py --workdir /tmp/rld --config.quick=True
"""

import importlib.util
import pathlib

from vaecollapse.config import pixelcnn_digits

_TEXT = pathlib.Path(__file__).with_name("remedies_literature.py")
_SPEC = importlib.util.spec_from_file_location("remedies_literature", _TEXT)
TEXT = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(TEXT)
LSTM_ONLY = ("word_dropout", "z_initial_only")


def get_config(arg=None):
    del arg
    c = pixelcnn_digits()
    c.name = "remedies_literature_digits"
    c.train.steps = 400
    c.hparams.warmup_steps = 200.0
    c.sweep.seed = (0, 1, 2)
    variants = []
    for name, fields in TEXT.get_config().variants:
        if name in LSTM_ONLY:
            continue
        fields = tuple((f, 100 if f == "pretrain_steps" else v) for f, v in fields)
        variants.append((name, fields))
    c.variants = tuple(variants)
    c.quick_overrides = (
        ("sweep.seed", (0,)),
        ("variants", tuple(v for v in c.variants if v[0] in TEXT.QUICK)),
    )
    return c
