"""Training torch models: one :func:`fit` with callbacks, :func:`evaluate`, :func:`predict`, metrics.

Taught in notebook 05 (the primer's Keras ``fit``/``evaluate`` rebuilt in PyTorch) and used from
notebook 06 on. The loop knows nothing about plotting: live curves, a progress bar, early
stopping and learning-rate schedules are callbacks.
"""

from dlhelpers.train.batches import shuffle_split
from dlhelpers.train.callbacks import Callback, EarlyStopping, LiveCurves, ProgressBar, TrainState
from dlhelpers.train.evaluate import evaluate, predict, predict_proba
from dlhelpers.train.fit import fit
from dlhelpers.train.history import History
from dlhelpers.train.metrics import (
    METRICS,
    accuracy,
    class_hits,
    confusion_matrix,
    misclassified,
    token_hits,
)
from dlhelpers.train.models import ResidualBlock, lenet, primer_mlp
from dlhelpers.train.schedules import ScheduleStep, scheduled_learning_rates

__all__ = [
    "ResidualBlock",
    "lenet",
    "primer_mlp",
    "METRICS",
    "Callback",
    "EarlyStopping",
    "History",
    "LiveCurves",
    "ProgressBar",
    "ScheduleStep",
    "TrainState",
    "accuracy",
    "class_hits",
    "confusion_matrix",
    "evaluate",
    "fit",
    "misclassified",
    "predict",
    "predict_proba",
    "scheduled_learning_rates",
    "shuffle_split",
    "token_hits",
]
