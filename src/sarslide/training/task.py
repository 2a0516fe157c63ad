"""``SegmentationTask``: a generic Lightning module for binary segmentation.

Model from the registry (name + kwargs), a loss from ``losses``, Adam and
ReduceLROnPlateau on the VALIDATION loss. Inputs ``(B, C, H, W)`` float, targets
``(B, H, W)`` integers in {0, 1} with ``ignore_index`` for nodata. Logs ``train/loss``,
``val/loss``, the exact ``val/auprc`` (over every valid validation pixel) and ``lr``,
once per epoch. Loss sums, validation scores and labels stay on the device until the
end of the epoch (``validation_auprc``): no ``self.log`` call (about 4 ms of Python
each) and no host synchronisation per batch.

The plateau scheduler is stepped by the task itself at the end of each validation
epoch, before the checkpoints of that epoch are written, so a run resumed from
``last.ckpt`` continues with the scheduler state it had (Lightning's own stepping
happens after the checkpoint and is skipped on restart).
``metadata`` (channels, normalisation, data config, threshold...) is saved in the
checkpoint's hyper-parameters so inference needs only the checkpoint.
"""

from __future__ import annotations

from typing import Any

import torch

from sarslide.compat.torch_stack import lightning
from sarslide.models import create_model
from sarslide.models.predict import positive_probability
from sarslide.training.losses import SegmentationLoss
from sarslide.training.validation_auprc import auprc_on_device

MONITOR_METRIC = "val/loss"
PLATEAU_STATE_KEY = "plateau_scheduler"


class EpochMean:
    """A batch-size-weighted mean over an epoch, summed on the device (no sync per batch)."""

    def __init__(self) -> None:
        self.total: torch.Tensor | None = None
        self.count = 0

    def reset(self) -> None:
        self.total, self.count = None, 0

    def add(self, value: torch.Tensor, n: int, dtype: torch.dtype) -> None:
        """Add a batch mean ``value`` of ``n`` samples."""
        weighted = value.detach().to(dtype) * n
        self.total = weighted if self.total is None else self.total + weighted
        self.count += n

    def all_ranks_mean(self, module: SegmentationTask) -> float | None:
        """The mean over every rank's samples (None: no samples); call it on every rank."""
        dtype = module._sum_dtype
        total = self.total if self.total is not None else torch.zeros((), dtype=dtype)
        count = torch.tensor(float(self.count), dtype=dtype)
        totals = torch.stack([total.to(module.device, dtype), count.to(module.device)])
        totals = module.trainer.strategy.reduce(totals, reduce_op="sum")
        return None if float(totals[1]) == 0 else float(totals[0] / totals[1])


class SegmentationTask(lightning.LightningModule):
    """Binary segmentation with any registered model.

    Args:
        model_name: Registry name (``sarslide.models.list_models()``).
        in_channels: Input channels.
        num_classes: 2 (softmax; losses 'ce', 'dice', 'focal') or 1 ('bce').
        model_kwargs: Builder options.
        encoder_weights: None, a local file or a named pretrained set.
        loss: Loss name.
        ignore_index: Target value of nodata pixels.
        focal_gamma: Focal loss exponent.
        lr: Adam learning rate.
        weight_decay: Adam weight decay.
        plateau_factor: ReduceLROnPlateau factor.
        plateau_patience: ReduceLROnPlateau patience (epochs).
        plateau_threshold: ReduceLROnPlateau relative threshold.
        metadata: JSON-ready dict stored with the checkpoint (see ``checkpoints``).
    """

    def __init__(
        self,
        model_name: str,
        in_channels: int,
        num_classes: int = 2,
        model_kwargs: dict[str, Any] | None = None,
        encoder_weights: str | None = None,
        loss: str = "ce",
        ignore_index: int = 255,
        focal_gamma: float = 2.0,
        lr: float = 0.01,
        weight_decay: float = 1e-4,
        plateau_factor: float = 0.1,
        plateau_patience: int = 10,
        plateau_threshold: float = 1e-4,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.model = create_model(
            model_name,
            in_channels=in_channels,
            num_classes=num_classes,
            encoder_weights=encoder_weights,
            **(model_kwargs or {}),
        )
        self.loss_fn = SegmentationLoss(
            loss, num_classes=num_classes, ignore_index=ignore_index, focal_gamma=focal_gamma
        )
        self._val_scores: list[torch.Tensor] = []  # on the device, valid pixels only
        self._val_labels: list[torch.Tensor] = []
        self._train_loss = EpochMean()
        self._val_loss = EpochMean()
        self.plateau: torch.optim.lr_scheduler.ReduceLROnPlateau | None = None
        self._plateau_state: dict[str, Any] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(B, num_classes, H, W)`` (computed in channels-last memory format)."""
        return self.model(x.contiguous(memory_format=torch.channels_last))

    def on_fit_start(self) -> None:
        # channels-last convolutions: faster with mixed precision on GPUs, as fast on CPUs
        self.model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    def predict_probability(self, x: torch.Tensor) -> torch.Tensor:
        """Landslide probability ``(B, H, W)``."""
        return positive_probability(self(x))

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> Any:
        x, y = batch
        loss = self.loss_fn(self(x), y)
        self._train_loss.add(loss, x.shape[0], self._sum_dtype)
        return loss

    def on_train_epoch_start(self) -> None:
        self._train_loss.reset()

    def on_train_epoch_end(self) -> None:
        mean = self._train_loss.all_ranks_mean(self)
        if mean is not None:  # already reduced: the sync averages equal values
            self.log("train/loss", mean, sync_dist=True)

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> Any:
        x, y = batch
        logits = self(x)
        loss = self.loss_fn(logits, y)
        self._val_loss.add(loss, x.shape[0], self._sum_dtype)
        valid = y != self.hparams["ignore_index"]
        prob = positive_probability(logits.float())
        self._val_scores.append(prob[valid].detach())
        self._val_labels.append(y[valid].detach() == 1)
        return loss

    def on_validation_epoch_start(self) -> None:
        self._val_scores.clear()
        self._val_labels.clear()
        self._val_loss.reset()

    def on_validation_epoch_end(self) -> None:
        # every rank: the loss of all ranks' pixels (the best checkpoint follows it)
        val_loss = self._val_loss.all_ranks_mean(self)
        if val_loss is not None:
            self.log("val/loss", val_loss, prog_bar=True, sync_dist=True)
            self._step_plateau(val_loss)
        if not self._val_scores:
            return
        labels = torch.cat(self._val_labels)
        n_positive = int(labels.sum())  # the epoch's one synchronisation
        auprc = auprc_on_device(labels, torch.cat(self._val_scores)) if n_positive else float("nan")
        # Each rank holds its own pixels; sync averages them (exact on one device).
        self.log("val/auprc", float(auprc), prog_bar=True, sync_dist=True)
        self._val_scores.clear()
        self._val_labels.clear()

    def _step_plateau(self, val_loss: float) -> None:
        """Step ReduceLROnPlateau on this epoch's validation loss (all ranks' mean)."""
        trainer = self._trainer
        if self.plateau is None or trainer is None or trainer.sanity_checking:
            return
        self.plateau.step(val_loss)
        self.log("lr", self.plateau.get_last_lr()[0], sync_dist=True)  # same on every rank

    @property
    def _sum_dtype(self) -> torch.dtype:
        """float64 for sums on the device, float32 on MPS (which has no float64)."""
        return torch.float32 if self.device.type == "mps" else torch.float64

    def configure_optimizers(self) -> Any:
        """Adam; ReduceLROnPlateau on ``val/loss`` (stepped in ``on_validation_epoch_end``)."""
        hp = self.hparams
        optimizer = torch.optim.Adam(
            self.parameters(), lr=hp["lr"], weight_decay=hp["weight_decay"]
        )
        self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer,
            mode="min",
            factor=hp["plateau_factor"],
            patience=hp["plateau_patience"],
            threshold=hp["plateau_threshold"],
        )
        if self._plateau_state is not None:
            self.plateau.load_state_dict(self._plateau_state)
        return optimizer

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if self.plateau is not None:
            checkpoint[PLATEAU_STATE_KEY] = self.plateau.state_dict()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._plateau_state = checkpoint.get(PLATEAU_STATE_KEY)
