"""The literature's remedies for posterior collapse side by side on He et al.'s text.

Data and model as `text_collapse`'s LSTM: `lstm_mixture` (He et al. 2019's synthetic
text: sentences from a random LSTM language model driven by a 2-d z, so a collapsed
posterior is the model's failure), a bidirectional-LSTM encoder, Bowman et al.'s LSTM
decoder, latent 4, Adam 3e-3, 4,000 steps. Variants (one compile per distinct set of
static fields; the hyperparameter-only ones share one):

- ``plain``: β = 1, the baseline that collapses (Bowman et al. 2016);
- ``kl_annealing``: β warmed up linearly from 0 to 1 over the first half;
- ``word_dropout``: the decoder's context tokens hidden with probability 0.5;
- ``free_bits``: λ = 0.25 nats per latent dim (Kingma et al. 2016);
- ``bn_vae``: μ batch-normalised to scale γ = 0.5 (Zhu et al. 2020), E KL_j ≥ γ²/2;
- ``delta_vae``: σ² bounded so every dim's KL ≥ δ = 0.1 (Razavi et al. 2019);
- ``mmd_vae``: no KL term (β = 0), λ = 100 · MMD²(q(z), p(z)) (Zhao et al. 2019; λ not
  tuned);
- ``iwae``: the importance-weighted bound with k = 5 (Burda et al. 2016);
- ``aggressive``: aggressive inference (He et al. 2019): up to 100 encoder-only steps per
  decoder step until I(x; z) stops rising, with KL annealing as in their text runs;
- ``pretrained_encoder``: 1,000 steps of the autoencoder (β = 0), a fresh decoder, then
  KL annealing and free bits λ = 0.25 (Li et al. 2019);
- ``z_initial_only``: β = 1 with z at the decoder's initial state only (Bowman et al.'s
  model; the others feed z at every step as well).

The table (IW-NLL, KL, I(x; z), active units, mean ± std over seeds) is `summary.md`'s;
docs/vae.md holds the measured one. The quick version (seed 0; the plain baseline,
BN-VAE and δ-VAE: the claims of the slow tests, the floors included) takes ~3 min.

    vaecollapse run experiments/remedies_literature.py --workdir runs/remedies_literature
    vaecollapse run experiments/remedies_literature.py --workdir /tmp/rl --config.quick=True
"""

from vaecollapse.families.vae.config import lstm_text


def get_config(arg=None):
    del arg
    c = lstm_text()
    c.name = "remedies_literature"
    c.sweep.seed = (0, 1, 2, 3, 4)
    c.variants = (
        ("plain", ()),
        ("kl_annealing", (("schedule", "linear_warmup"),)),
        ("word_dropout", (("context_dropout", 0.5),)),
        ("free_bits", (("free_bits", 0.25),)),
        ("bn_vae", (("bottleneck", "bn"), ("bn_gamma", 0.5))),
        ("delta_vae", (("bottleneck", "delta"), ("delta", 0.1))),
        ("mmd_vae", (("beta", 0.0), ("mmd_weight", 100.0))),
        ("iwae", (("iwae_samples", 5),)),
        ("aggressive", (("aggressive_steps", 100), ("schedule", "linear_warmup"))),
        (
            "pretrained_encoder",
            (("pretrain_steps", 1000), ("schedule", "linear_warmup"), ("free_bits", 0.25)),
        ),
        ("z_initial_only", (("z_input", "initial"),)),
    )
    c.quick_overrides = (
        ("sweep.seed", (0,)),
        ("variants", tuple(v for v in c.variants if v[0] in QUICK)),
    )
    return c


QUICK = ("plain", "bn_vae", "delta_vae")
