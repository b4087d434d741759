"""A wrong answer, an answer of the wrong type and the right answer for every exercise.

The right answer of each is the exercise's worked solution, registered with
its judge in :mod:`dlhelpers.exercises` (what ``solution("key")`` shows a
learner); it is added to ``ANSWERS`` below, so that every test that judges
the right answer also proves the solution the course shows. Each source is
the whole new text of the exercise's stub cell (the code cell
just above its ``check("key", ...)`` cell). ``test_walkthrough.py`` types them
into the notebooks in JupyterLab; ``test_learner_time.py`` checks that
every exercise of the course has its three answers here. The right answers are
written as a learner who followed the notebook would write them.
"""

from __future__ import annotations

from dlhelpers.checks import load_exercises

ANSWERS: dict[str, dict[str, str]] = {
    # 00_welcome
    "welcome-fit": {
        "wrong": "my_line = (1.0, 0.0)  # (w, b), for example (1.5, 0.5)",
        "wrong_type": 'my_line = "2, -1"  # (w, b), for example (1.5, 0.5)',
    },
    # 01_neurons_and_activations
    "neuron-output": {
        "wrong": "neuron_output = scratch.sigmoid(np.array([0.5, -0.25]) @ np.array([1.0, 2.0]))",
        "wrong_type": 'neuron_output = "sigmoid(0.1)"',
    },
    "leaky-relu": {
        "wrong": """\
def my_leaky_relu(x):
    return np.where(x > 0, x, 0.01 * x)
""",
        "wrong_type": """\
def my_leaky_relu(x):
    return "x if x > 0 else 0.1 * x"
""",
    },
    "tanh-derivative": {
        "wrong": """\
def my_tanh_derivative(x):
    return 1 - np.tanh(x)
""",
        "wrong_type": "my_tanh_derivative = 1 - np.tanh(0.0) ** 2",
    },
    "sigmoid-slope-max": {
        "wrong": "sigmoid_slope_max = 0.5  # a number",
        "wrong_type": 'sigmoid_slope_max = "0.25"  # a number',
    },
    "separate-blobs": {
        "wrong": "separating_neuron = (1.0, -1.0, 0.0)  # (w1, w2, b)",
        "wrong_type": 'separating_neuron = "1, 1, 0"  # (w1, w2, b)',
    },
    # 02_networks_and_forward_propagation
    "networks-param-count": {
        "wrong": "n_parameters = 784 * 128 + 128 * 10  # a number",
        "wrong_type": 'n_parameters = "784 * 128 + 128 + 128 * 10 + 10"  # a number',
    },
    "networks-weight-shape": {
        "wrong": "weight_shape = (784, 64)  # a tuple, e.g. (3, 4)",
        "wrong_type": 'weight_shape = "64 by 784"  # a tuple, e.g. (3, 4)',
    },
    "networks-output-shape": {
        "wrong": "second_layer_shape = (16, 64)  # a tuple",
        "wrong_type": "second_layer_shape = 32  # a tuple",
    },
    "networks-dense-forward": {
        "wrong": """\
def dense_forward(X, W, b):
    return X @ W.T + b
""",
        "wrong_type": """\
def dense_forward(X, W, b):
    return "relu(X @ W.T + b)"
""",
    },
    # 03_loss_and_gradient_descent
    "descent-cross-entropy": {
        "wrong": """\
z = np.array([2.0, 1.0, -1.0])
ce_by_hand = np.exp(z[1]) / np.exp(z).sum()  # a number
""",
        "wrong_type": 'ce_by_hand = "-log(softmax(z)[1])"  # a number',
    },
    "descent-gradient": {
        "wrong": "gradient_at_point = (2 * 1, 3 * 1 + 4 * -2)  # (df/dx, df/dy)",
        "wrong_type": 'gradient_at_point = "2x + 3y, 3x + 4y"  # (df/dx, df/dy)',
    },
    "descent-max-lr": {
        "wrong": "largest_lr = 1 / 6  # a number",
        "wrong_type": 'largest_lr = "2 / 6"  # a number',
    },
    "descent-sgd-step": {
        "wrong": """\
def sgd_step(w, v, grad, lr, momentum):
    new_v = v + grad
    new_w = w - lr * new_v
    return new_w, new_v
""",
        "wrong_type": """\
def sgd_step(w, v, grad, lr, momentum):
    return "w - lr * (momentum * v + grad)"
""",
    },
    # 04_backpropagation
    "backprop-chain-rule": {
        "wrong": "dL_db = 3.0  # a number",
        "wrong_type": 'dL_db = "a * f"  # a number',
    },
    "backprop-two-paths": {
        "wrong": "dy_dx = 2 + 1  # a number",
        "wrong_type": 'dy_dx = "2x + 1"  # a number',
    },
    "backprop-div-backward": {
        "wrong": """\
def div_backward(a, b, out_grad):
    # return (grad_a, grad_b)
    return out_grad / b, -a / b**2
""",
        "wrong_type": """\
def div_backward(a, b, out_grad):
    # return (grad_a, grad_b)
    return "1 / b, -a / b**2"
""",
    },
    "backprop-linear-backward": {
        "wrong": """\
def linear_backward(x, weight, grad_out):
    # return (grad_x, grad_weight, grad_bias)
    return grad_out @ weight, x.T @ grad_out, grad_out.sum(axis=0)
""",
        "wrong_type": """\
def linear_backward(x, weight, grad_out):
    # return (grad_x, grad_weight, grad_bias)
    return "grad_out @ weight", "grad_out.T @ x", "grad_out.sum(0)"
""",
    },
    # 05_first_network_in_pytorch
    "pytorch-param-count": {
        "wrong": "n_params = len(list(model.parameters()))  # one line: add up p.numel()",
        "wrong_type": "n_params = [p.numel() for p in model.parameters()]",
    },
    "pytorch-logits-loss": {
        "wrong": "loss_choice = nn.NLLLoss()",
        "wrong_type": 'loss_choice = "CrossEntropyLoss"',
    },
    "pytorch-accuracy": {
        "wrong": '''\
def my_accuracy(logits, y):
    """logits: ndarray (N, 10); y: int ndarray (N,) -> the fraction of images classified right."""
    return (logits.argmax(axis=1) == y).sum()
''',
        "wrong_type": '''\
def my_accuracy(logits, y):
    """logits: ndarray (N, 10); y: int ndarray (N,) -> the fraction of images classified right."""
    accuracy = (logits.argmax(axis=1) == y).mean()
    return f"{accuracy:.1%}"
''',
    },
    "pytorch-validation-split": {
        "wrong": "n_digits_trained_on = 10",
        "wrong_type": 'n_digits_trained_on = "0 to 8"',
    },
    # 06_training_well
    "training-well-which-overfits": {
        "wrong": 'which_overfits = "C"  # "A", "B" or "C"',
        "wrong_type": "which_overfits = 2  # the second run",
    },
    "training-well-steplr": {
        "wrong": "lr_epoch_26 = 0.2 * 0.5**3  # epochs 10, 20 and 30",
        "wrong_type": 'lr_epoch_26 = "0.05"',
    },
    "training-well-early-stop": {
        "wrong": "stop_and_restore = (7, 4)  # (stop_epoch, restored_epoch)",
        "wrong_type": 'stop_and_restore = "stop at 9, restore 6"',
    },
    "training-well-weight-decay": {
        "wrong": "weight_decay = 1e-3",
        "wrong_type": 'weight_decay = "3e-2"',
    },
    # 07_convolutional_networks
    "cnn-horizontal-edges": {
        "wrong": "horizontal_kernel = kernel  # Sobel x",
        "wrong_type": 'horizontal_kernel = "sobel y"',
    },
    "cnn-conv-loops": {
        "wrong": '''\
def conv2d_loops(image, kernel):
    """image: (H, W); kernel: (kH, kW) -> ndarray of shape (H - kH + 1, W - kW + 1)."""
    kH, kW = kernel.shape
    out = np.zeros((image.shape[0] - kH + 1, image.shape[1] - kW + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for a in range(kH):
                for b in range(kW):
                    out[i, j] += image[i + a, j + b] * kernel[kH - 1 - a, kW - 1 - b]
    return out
''',
        "wrong_type": '''\
def conv2d_loops(image, kernel):
    """image: (H, W); kernel: (kH, kW) -> ndarray of shape (H - kH + 1, W - kW + 1)."""
    kH, kW = kernel.shape
    return f"output of shape ({image.shape[0] - kH + 1}, {image.shape[1] - kW + 1})"
''',
    },
    "cnn-output-size": {
        "wrong": '''\
def output_size(n, k, stride=1, padding=0, dilation=1):
    """The side of a conv2d output: an int."""
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride
''',
        "wrong_type": '''\
def output_size(n, k, stride=1, padding=0, dilation=1):
    """The side of a conv2d output: an int."""
    side = (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    return f"{side}x{side}"
''',
    },
    "cnn-conv-params": {
        "wrong": "conv_params = 16 * 6 * 5 * 5  # a number",
        "wrong_type": 'conv_params = "16 x 6 x 5 x 5 + 16"',
    },
    "cnn-receptive-field": {
        "wrong": "receptive_field = 1 + 2 + 2 + 1 + 2  # each layer adds k - 1",
        "wrong_type": 'receptive_field = "10x10"',
    },
    # 08_recurrent_networks
    "rnn-step": {
        "wrong": '''\
def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """One step of torch's tanh RNN: returns the new hidden state, shape (B, H)."""
    return np.tanh(x @ W_ih.T + h @ W_hh.T + b_ih)
''',
        "wrong_type": '''\
def rnn_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """One step of torch's tanh RNN: returns the new hidden state, shape (B, H)."""
    return {"h": np.tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)}
''',
    },
    "rnn-param-count": {
        "wrong": "rnn_params = 20 * 10 + 20 * 20 + 20  # W_ih, W_hh and the bias",
        "wrong_type": 'rnn_params = "840"',
    },
    "rnn-linear-gradient": {
        "wrong": '''\
def grad_back(w, k):
    """d h_T / d h_{T-k} for h_t = w * h_{t-1} + x_t."""
    return w * k
''',
        "wrong_type": '''\
def grad_back(w, k):
    """d h_T / d h_{T-k} for h_t = w * h_{t-1} + x_t."""
    return f"w^{k}"
''',
    },
    "rnn-lstm-param-count": {
        "wrong": "lstm_params = 3 * (20 * 10 + 20 * 20 + 20 + 20)  # three gates",
        "wrong_type": "lstm_params = nn.LSTM(input_size=10, hidden_size=20)",
    },
    "rnn-temperature": {
        "wrong": """\
def with_temperature(logits, T):
    "logits: ndarray (V,); T > 0 -> probabilities (V,) that add up to 1."
    e = np.exp(logits / T)
    return e / e.sum()
""",
        "wrong_type": """\
def with_temperature(logits, T):
    "logits: ndarray (V,); T > 0 -> probabilities (V,) that add up to 1."
    z = logits / T
    e = np.exp(z - z.max())
    return np.random.choice(len(logits), p=e / e.sum())
""",
    },
    # 09_transformers
    "attn-weights": {
        "wrong": """\
def attention_weights(Q, K):
    "Q: (L, d), K: (S, d) -> weights (L, S), each row a softmax over the keys."
    scores = Q @ K.T  # forgot to divide by sqrt(d)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
""",
        "wrong_type": """\
def attention_weights(Q, K):
    "Q: (L, d), K: (S, d) -> weights (L, S), each row a softmax over the keys."
    return "softmax(Q K^T / sqrt(d))"
""",
    },
    "attn-score-spread": {
        "wrong": "score_std = 64  # a number",
        "wrong_type": 'score_std = "sqrt(64)"  # a number',
    },
    "attn-causal-mask": {
        "wrong": """\
def causal_mask(T):
    "A (T, T) boolean array: True where query i may attend to key j."
    return np.triu(np.ones((T, T), dtype=bool))
""",
        "wrong_type": """\
def causal_mask(T):
    "A (T, T) boolean array: True where query i may attend to key j."
    return "lower triangle"
""",
    },
    "attn-mha-params": {
        "wrong": "mha_params = 3 * 64 * 64 + 3 * 64  # a number",
        "wrong_type": 'mha_params = "4 E^2 + 4 E"  # a number',
    },
    "attn-positions": {
        "wrong": """\
def positional_encoding(T, d):
    "The (T, d) sinusoidal positional encoding."
    angles = np.arange(T)[:, None] / 10000 ** (np.arange(0, d, 2) / d)
    pe = np.zeros((T, d))
    pe[:, 0::2] = np.cos(angles)
    pe[:, 1::2] = np.sin(angles)
    return pe
""",
        "wrong_type": """\
def positional_encoding(T, d):
    "The (T, d) sinusoidal positional encoding."
    return f"sin and cos for {T} positions and {d} columns"
""",
    },
    # 10_generative_adversarial_networks
    "gan-generator-gradient": {
        "wrong": """\
def generator_gradient(d, kind):
    "d loss / d logit for one generated sample with D(G(z)) = d."
    if kind == "saturating":
        return -1 / (1 - d)  # derivative with respect to D, not to the logit
    return -1 / d
""",
        "wrong_type": """\
def generator_gradient(d, kind):
    "d loss / d logit for one generated sample with D(G(z)) = d."
    return f"the {kind} gradient at D = {d}"
""",
    },
    "gan-optimal-d": {
        "wrong": """\
def optimal_discriminator(p_data, p_g):
    "D*(x) from the densities p_data(x) and p_g(x), arrays of the same shape."
    return p_g / (p_data + p_g)
""",
        "wrong_type": """\
def optimal_discriminator(p_data, p_g):
    "D*(x) from the densities p_data(x) and p_g(x), arrays of the same shape."
    return "p_data / (p_data + p_g)"
""",
    },
    "gan-equilibrium-loss": {
        "wrong": "equilibrium_loss = np.log(2)  # a number",
        "wrong_type": 'equilibrium_loss = "2 ln 2"  # a number',
    },
    "gan-mode-count": {
        "wrong": """\
def modes_covered(samples, centres, radius):
    "How many of the k centres have a sample within radius."
    dist = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=-1)  # (n, k)
    return int((dist.min(axis=1) <= radius).sum())  # counts samples, not centres
""",
        "wrong_type": """\
def modes_covered(samples, centres, radius):
    "How many of the k centres have a sample within radius."
    dist = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=-1)  # (n, k)
    return dist.min(axis=0) <= radius  # which centres, not how many
""",
    },
    # 11_transfer_learning
    "transfer-trainable": {
        "wrong": "trainable = (6 * 1 * 5 * 5 + 6) + (16 * 6 * 5 * 5 + 16)  # a number",
        "wrong_type": 'trainable = "61,706 minus the conv layers"  # a number',
    },
    "transfer-freeze": {
        "wrong": """\
def freeze(module):
    "Set requires_grad to False for every parameter of module."
    module.requires_grad = False  # sets an attribute of the module, not of its parameters
""",
        "wrong_type": "freeze = False  # instead of a function",
    },
    "transfer-new-head": {
        "wrong": """\
def new_head(model, n_classes):
    "Replace model[-1] with a new nn.Linear(model[-1].in_features, n_classes); return model."
    model[-1] = torch.nn.Linear(model[-1].out_features, n_classes)
    return model
""",
        "wrong_type": 'new_head = "torch.nn.Linear(model[-1].in_features, n_classes)"',
    },
    "transfer-param-groups": {
        "wrong": """\
def make_optimizer(model, body_lr, head_lr):
    "Adam with two parameter groups: model[:-1] at body_lr, model[-1] at head_lr."
    return torch.optim.Adam(
        [
            {"params": model[:-1].parameters(), "lr": head_lr},
            {"params": model[-1].parameters(), "lr": body_lr},
        ]
    )
""",
        "wrong_type": """\
def make_optimizer(model, body_lr, head_lr):
    "Adam with two parameter groups: model[:-1] at body_lr, model[-1] at head_lr."
    return [
        {"params": model[:-1].parameters(), "lr": body_lr},
        {"params": model[-1].parameters(), "lr": head_lr},
    ]
""",
    },
    # 12_inside_the_black_box
    "bb-fgsm-step": {
        "wrong": """\
def fgsm_step(x, grad, eps):
    "x: image (values in [0, 1]); grad: dL/dx; eps: the step. Returns the adversarial image."
    return x + eps * np.sign(grad)  # forgot to clip
""",
        "wrong_type": """\
def fgsm_step(x, grad, eps):
    "x: image (values in [0, 1]); grad: dL/dx; eps: the step. Returns the adversarial image."
    return f"x moved by {eps}"
""",
    },
    "bb-linear-flops": {
        "wrong": "linear_flops = 32 * 784 * 64  # a number",
        "wrong_type": 'linear_flops = "2 x 32 x 784 x 64"  # a number',
    },
    "bb-conv-flops": {
        "wrong": "conv_flops = 2 * 6 * 5 * 5  # a number",
        "wrong_type": "conv_flops = [6, 28, 28, 25]  # a number",
    },
    "bb-allreduce-bytes": {
        "wrong": "allreduce = 52_650  # a number of bytes",
        "wrong_type": 'allreduce = "52,650 x 4 bytes"  # a number of bytes',
    },
    # 14_diffusion_models
    "diff-alphas-bar": {
        "wrong": """\
def alphas_bar_from(betas):
    "abar[t] = product of (1 - betas[s]) for s = 0 .. t; same shape as betas."
    return np.cumprod(betas)
""",
        "wrong_type": """\
def alphas_bar_from(betas):
    "abar[t] = product of (1 - betas[s]) for s = 0 .. t; same shape as betas."
    return "np.cumprod(1 - betas)"
""",
    },
    "diff-q-sample": {
        "wrong": """\
def noise_to(x0, t, noise, abar):
    "x_t = sqrt(abar[t]) * x0 + sqrt(1 - abar[t]) * noise; t an int or one step per row."
    a = np.reshape(abar[t], (-1,) + (1,) * (x0.ndim - 1))
    return a * x0 + (1 - a) * noise
""",
        "wrong_type": """\
def noise_to(x0, t, noise, abar):
    "x_t = sqrt(abar[t]) * x0 + sqrt(1 - abar[t]) * noise; t an int or one step per row."
    return {"x0": x0, "noise": noise}
""",
    },
    "diff-predict-x0": {
        "wrong": """\
def x0_from_eps(x_t, t, eps, abar):
    "The x0 that, noised with eps to step t, gives x_t."
    a = np.reshape(abar[t], (-1,) + (1,) * (x_t.ndim - 1))
    return x_t - np.sqrt(1 - a) * eps
""",
        "wrong_type": """\
def x0_from_eps(x_t, t, eps, abar):
    "The x0 that, noised with eps to step t, gives x_t."
    return f"x_t minus the noise at step {t}"
""",
    },
    "diff-reverse-step": {
        "wrong": """\
def reverse_step(x_t, t, eps, betas, noise):
    "x_{t-1} from x_t and the predicted noise eps, at step t (an int)."
    abar = np.cumprod(1 - betas)
    a_t = abar[t]
    a_prev = abar[t - 1] if t > 0 else 1.0
    x0_hat = (x_t - np.sqrt(1 - a_t) * eps) / np.sqrt(a_t)
    mean = (np.sqrt(a_prev) * betas[t] * x0_hat + np.sqrt(1 - betas[t]) * (1 - a_prev) * x_t) / (
        1 - a_t
    )
    return mean + np.sqrt(betas[t]) * noise
""",
        "wrong_type": "reverse_step = torch.nn.Linear(2, 2)  # instead of a function",
    },
}

for _key, _exercise in load_exercises().items():
    ANSWERS.setdefault(_key, {})["right"] = _exercise.solution
