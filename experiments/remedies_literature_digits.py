"""The literature's remedies on images: `remedies_literature`'s variants on digits with
the gated PixelCNN decoder.

Data and model as `remedies`: binarised 8×8 digits, a conv encoder and a gated PixelCNN
decoder (8 latent dims), 400 steps (the plain baseline's collapse on these small images
is transient: its KL is lowest around steps 300–450, `remedies`), five seeds. The
variants are `remedies_literature`'s with this run's lengths — KL annealing over the
first 200 steps, the pretrained encoder's autoencoder for the first 100 — and without
``word_dropout`` and ``z_initial_only`` (the LSTM's; the PixelCNN's context dropout is
`image_phase`'s axis). Table: `summary.md`; the measured one is in docs/vae.md.

    make remedies-literature   # both halves; this one into runs/remedies_literature_digits
    vaecollapse run experiments/remedies_literature_digits.py --workdir /tmp/rld --config.quick=True
"""

import pathlib

from vaecollapse.config import experiment_config
from vaecollapse.families.vae.config import pixelcnn_digits

TEXT = pathlib.Path(__file__).with_name("remedies_literature.py")  # the text half
LSTM_ONLY = ("word_dropout", "z_initial_only")


def get_config(arg=None):
    del arg
    c = pixelcnn_digits()
    c.name = "remedies_literature_digits"
    c.train.steps = 400
    c.hparams.warmup_steps = 200.0
    c.sweep.seed = (0, 1, 2, 3, 4)
    variants = []
    for name, fields in experiment_config(TEXT).variants:
        if name in LSTM_ONLY:
            continue
        fields = tuple((f, 100 if f == "pretrain_steps" else v) for f, v in fields)
        variants.append((name, fields))
    c.variants = tuple(variants)
    quick = [v[0] for v in experiment_config(TEXT, quick=True).variants]
    c.quick_overrides = (
        ("sweep.seed", (0,)),
        ("variants", tuple(v for v in c.variants if v[0] in quick)),
    )
    return c
