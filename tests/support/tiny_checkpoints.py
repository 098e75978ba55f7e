"""Tiny, randomly initialised foundation-model checkpoints for offline tests.

Nothing here touches the network: the checkpoints are built from the installed model classes and written in
exactly the layout the real loaders read from a local directory.

* :func:`make_tiny_chronos_bolt` -- a ``chronos.chronos_bolt.ChronosBoltModelForForecasting`` (T5-based) with a
  tiny ``T5Config`` and the ``chronos_config`` / ``chronos_pipeline_class`` that
  ``chronos.BaseChronosPipeline.from_pretrained`` (and hence AutoGluon-TS's ``Chronos`` model with
  ``model_path=<dir>``) expects. Saved with ``save_pretrained`` -> ``config.json`` + ``model.safetensors``.
* :func:`make_tiny_mitra` -- AutoGluon's Mitra ``Tab2D`` with random init (``use_pretrained_weights=False``), saved
  with ``Tab2D.save_pretrained`` -> ``config.json`` + ``model.safetensors``, the layout ``Tab2D.from_pretrained``
  reads when AutoGluon's ``MITRA`` model gets ``hf_reg_model=<dir>`` (or ``hf_model``/``hf_general_model``).
"""

from __future__ import annotations

from pathlib import Path

CHRONOS_BOLT_QUANTILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]


def make_tiny_chronos_bolt(
    directory: str | Path,
    *,
    d_model: int = 16,
    num_layers: int = 1,
    context_length: int = 128,
    prediction_length: int = 16,
    patch_size: int = 16,
    seed: int = 0,
) -> Path:
    """Write a tiny random Chronos-Bolt checkpoint to ``directory`` and return the directory.

    ``prediction_length`` may be shorter than the forecaster's horizon: the Chronos-Bolt pipeline then rolls
    forward autoregressively on its median (with a warning), like the real 64-step checkpoints do for longer
    horizons.
    """
    import torch
    from chronos.chronos_bolt import ChronosBoltModelForForecasting
    from transformers import T5Config

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    config = T5Config(
        d_model=d_model,
        d_kv=max(4, d_model // 2),
        d_ff=2 * d_model,
        num_layers=num_layers,
        num_decoder_layers=num_layers,
        num_heads=2,
        vocab_size=2,
        dropout_rate=0.0,
        feed_forward_proj="relu",
        is_encoder_decoder=True,
        decoder_start_token_id=0,
        pad_token_id=0,
        eos_token_id=1,
    )
    config.chronos_config = {
        "context_length": context_length,
        "prediction_length": prediction_length,
        "input_patch_size": patch_size,
        "input_patch_stride": patch_size,
        "quantiles": list(CHRONOS_BOLT_QUANTILES),
        "use_reg_token": True,
    }
    config.chronos_pipeline_class = "ChronosBoltPipeline"
    model = ChronosBoltModelForForecasting(config)
    model.eval()
    model.save_pretrained(str(out))
    return out


def make_tiny_mitra(
    directory: str | Path,
    *,
    dim: int = 16,
    n_layers: int = 1,
    n_heads: int = 2,
    task: str = "regression",
    seed: int = 0,
) -> Path:
    """Write a tiny random Mitra ``Tab2D`` checkpoint (``config.json`` + ``model.safetensors``) to ``directory``."""
    import torch
    from autogluon.tabular.models.mitra._internal.models.tab2d import Tab2D

    out = Path(directory)
    torch.manual_seed(seed)
    model = Tab2D(
        dim=dim,
        dim_output=1 if task == "regression" else 10,
        n_layers=n_layers,
        n_heads=n_heads,
        task=task.upper(),
        use_pretrained_weights=False,
        path_to_weights="",
        device="cpu",
    )
    model.save_pretrained(str(out))
    return out
