"""Collapse phase diagram of a gated PixelCNN VAE on binarised 8×8 digits: β × context dropout.

The PixelCNN decoder (van den Oord et al. 2016) can model each pixel from the ones above
and to its left, so it has little need for z: at β = 1 and full context the posterior
collapses. Context dropout hides a fraction of those pixels during training (at 1 the
decoder sees none and must use z); smaller β makes information in z cheaper. The phase
diagrams of KL, active units, I(x; z) and collapse state over (β, context_dropout) show
where collapse sets in. `--config.data.name=binarized_mnist` runs on 28×28 MNIST where
the tfds data are prepared.

    vaecollapse run experiments/image_phase.py --workdir runs/image_phase
    vaecollapse run experiments/image_phase.py --workdir /tmp/ip --config.quick=True
"""

from vaecollapse.families.vae.config import pixelcnn_digits


def get_config(arg=None):
    del arg
    c = pixelcnn_digits()
    c.name = "image_phase"
    c.train.steps = 600
    c.sweep.beta = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0)
    c.sweep.context_dropout = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.quick_overrides = (
        ("train.steps", 300),
        ("sweep.seed", (0,)),
        ("sweep.beta", (0.25, 1.0, 4.0)),
        ("sweep.context_dropout", (0.0, 0.5, 1.0)),
    )
    return c
