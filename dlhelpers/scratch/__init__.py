"""From-scratch reference implementations in plain NumPy.

Nothing here imports torch: each piece mirrors a torch twin (names, argument
order, layouts) and the tests compare the two in float64, outputs and
gradients, plus a numerical gradient check.
"""

from dlhelpers.scratch.activations import (
    ACTIVATIONS,
    gelu,
    gelu_grad,
    leaky_relu,
    leaky_relu_grad,
    log_softmax,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    softmax,
    softmax_backward,
    tanh,
    tanh_grad,
)
from dlhelpers.scratch.attention import (
    MultiheadAttention,
    scaled_dot_product_attention,
    scaled_dot_product_attention_backward,
)
from dlhelpers.scratch.conv import (
    AvgPool2d,
    Conv2d,
    MaxPool2d,
    avg_pool2d,
    avg_pool2d_backward,
    conv2d,
    conv2d_backward,
    conv2d_output_size,
    im2col,
    max_pool2d,
    max_pool2d_backward,
    receptive_field,
)
from dlhelpers.scratch.engine import Value
from dlhelpers.scratch.gradcheck import GradcheckError, gradcheck, numerical_gradient
from dlhelpers.scratch.layers import (
    ACTIVATION_LAYERS,
    Dropout,
    Embedding,
    Flatten,
    LayerNorm,
    Linear,
    Module,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)
from dlhelpers.scratch.losses import CrossEntropyLoss, MSELoss, cross_entropy, mse
from dlhelpers.scratch.optim import SGD, Adam, Optimizer
from dlhelpers.scratch.recurrent import GRU, LSTM, RNN, grad_norms_through_time
from dlhelpers.scratch.traversal import backward_steps, topological_order

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "grad_norms_through_time",
    "Embedding",
    "LayerNorm",
    "MultiheadAttention",
    "scaled_dot_product_attention",
    "scaled_dot_product_attention_backward",
    "ACTIVATION_LAYERS",
    "backward_steps",
    "topological_order",
    "Dropout",
    "Flatten",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "CrossEntropyLoss",
    "MSELoss",
    "cross_entropy",
    "mse",
    "SGD",
    "Adam",
    "Optimizer",
    "ACTIVATIONS",
    "Value",
    "GradcheckError",
    "gradcheck",
    "numerical_gradient",
    "gelu",
    "gelu_grad",
    "leaky_relu",
    "leaky_relu_grad",
    "log_softmax",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "softmax_backward",
    "tanh",
    "tanh_grad",
    "AvgPool2d",
    "Conv2d",
    "MaxPool2d",
    "avg_pool2d",
    "avg_pool2d_backward",
    "conv2d",
    "conv2d_backward",
    "conv2d_output_size",
    "im2col",
    "max_pool2d",
    "max_pool2d_backward",
    "receptive_field",
]
