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
        "wrong": """\
def my_neuron(X, w, b, activation):
    return activation(X @ w) + b
""",
        "wrong_type": """\
def my_neuron(X, w, b, activation):
    return "activation(X @ w + b)"
""",
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
    "separate-blobs": {
        "wrong": "separating_neuron = (1.0, -1.0, 0.0)  # (w1, w2, b)",
        "wrong_type": 'separating_neuron = "1, 1, 0"  # (w1, w2, b)',
    },
    # 02_networks_and_forward_propagation
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
    "networks-mlp-forward": {
        "wrong": """\
def mlp_forward(X, layers):
    for W, b in layers:
        X = relu(X @ W.T + b)
    return X
""",
        "wrong_type": "mlp_forward = torch.nn.Sequential(torch.nn.Linear(4, 3))",
    },
    "networks-param-count": {
        "wrong": """\
def count_params(sizes):
    return sum(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
""",
        "wrong_type": """\
def count_params(sizes):
    return f"{sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))} parameters"
""",
    },
    # 03_loss_and_gradient_descent
    "descent-cross-entropy": {
        "wrong": """\
def my_cross_entropy(logits, target):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return -np.log(p[np.arange(len(target)), target]).sum()
""",
        "wrong_type": """\
def my_cross_entropy(logits, target):
    return "-log(softmax(logits)[target])"
""",
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
    "descent-mse-gradient": {
        "wrong": """\
def mse_gradient(w, X, y):
    return X.T @ (X @ w - y) / len(y)
""",
        "wrong_type": """\
def mse_gradient(w, X, y):
    return "2 / N * X.T @ (X @ w - y)"
""",
    },
    # 04_backpropagation
    "backprop-chain-rule": {
        "wrong": "dL_db = 3.0  # a number",
        "wrong_type": 'dL_db = "a * f"  # a number',
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
    "backprop-mlp": {
        "wrong": '''\
class Neuron:
    """tanh(w . x + b), or w . x + b with activation=False: one row of torch's nn.Linear."""

    def __init__(self, n_in, activation=True):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(n_in)]
        self.b = Value(0.0)
        self.activation = activation

    def __call__(self, x):  # x: a list of n_in Values (or numbers) -> one Value
        z = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return z.tanh() if self.activation else z

    def parameters(self):  # the weights, then the bias
        return self.w + [self.b]


class Layer:
    """n_out neurons that all read the same inputs: torch's nn.Linear(n_in, n_out)."""

    def __init__(self, n_in, n_out, activation=True):
        self.neurons = [Neuron(n_in, activation) for _ in range(n_out)]

    def __call__(self, x):  # a list of n_in Values -> a list of n_out Values
        return [neuron(x) for neuron in self.neurons]

    def parameters(self):  # neuron by neuron
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    """n_in -> sizes[0] -> ... -> sizes[-1]: tanh after every layer but the last."""

    def __init__(self, n_in, sizes):
        dims = [n_in] + list(sizes)
        last = len(sizes) - 1
        self.layers = [Layer(dims[i], dims[i + 1], activation=True) for i in range(len(sizes))]

    def __call__(self, x):  # a list of n_in numbers -> a list of sizes[-1] Values
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):  # layer by layer
        return [p for layer in self.layers for p in layer.parameters()]
''',
        "wrong_type": '''\
class Neuron:
    """tanh(w . x + b), or w . x + b with activation=False: one row of torch's nn.Linear."""

    def __init__(self, n_in, activation=True):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(n_in)]
        self.b = Value(0.0)
        self.activation = activation

    def __call__(self, x):  # x: a list of n_in Values (or numbers) -> one Value
        z = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return z.tanh() if self.activation else z

    def parameters(self):  # the weights, then the bias
        return [w.data for w in self.w] + [self.b.data]


class Layer:
    """n_out neurons that all read the same inputs: torch's nn.Linear(n_in, n_out)."""

    def __init__(self, n_in, n_out, activation=True):
        self.neurons = [Neuron(n_in, activation) for _ in range(n_out)]

    def __call__(self, x):  # a list of n_in Values -> a list of n_out Values
        return [neuron(x) for neuron in self.neurons]

    def parameters(self):  # neuron by neuron
        return [p for neuron in self.neurons for p in neuron.parameters()]


class MLP:
    """n_in -> sizes[0] -> ... -> sizes[-1]: tanh after every layer but the last."""

    def __init__(self, n_in, sizes):
        dims = [n_in] + list(sizes)
        last = len(sizes) - 1
        self.layers = [Layer(dims[i], dims[i + 1], activation=i < last) for i in range(len(sizes))]

    def __call__(self, x):  # a list of n_in numbers -> a list of sizes[-1] Values
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):  # layer by layer
        return [p for layer in self.layers for p in layer.parameters()]
''',
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
    "pytorch-train-epoch": {
        "wrong": '''\
def train_one_epoch(model, batches, loss_fn, optimizer):
    """One pass over `batches`, a list of (xb, yb): one update per batch; the mean batch loss."""
    model.train()
    losses = []
    for xb, yb in batches:
        logits = model(xb)  # forward
        loss = loss_fn(logits, yb)
        loss.backward()  # fills p.grad of every parameter
        optimizer.step()  # update every parameter
        losses.append(loss.item())
    return sum(losses) / len(losses)
''',
        "wrong_type": '''\
def train_one_epoch(model, batches, loss_fn, optimizer):
    """One pass over `batches`, a list of (xb, yb): one update per batch; the mean batch loss."""
    return "logits, loss, zero_grad, backward, step"
''',
    },
    "pytorch-validation-split": {
        "wrong": '''\
def shuffle_then_split(X, y, fraction, seed):
    """Shuffle the rows of (X, y) with `seed`, then hold out round(fraction * len(X)) of them."""
    n_val = round(fraction * len(X))
    return (X[:-n_val], y[:-n_val]), (X[-n_val:], y[-n_val:])
''',
        "wrong_type": '''\
def shuffle_then_split(X, y, fraction, seed):
    """Shuffle the rows of (X, y) with `seed`, then hold out round(fraction * len(X)) of them."""
    return "shuffled X and y"
''',
    },
    # 06_training_well
    "training-well-adam-step": {
        "wrong": '''\
def adam_step(w, m, v, grad, t, lr, beta1, beta2, eps):
    """One Adam step at step number t (from 1): returns (new_w, new_m, new_v)."""
    new_m = beta1 * m + (1 - beta1) * grad
    new_v = beta2 * v + (1 - beta2) * grad**2
    new_w = w - lr * new_m / (np.sqrt(new_v) + eps)  # no bias correction
    return new_w, new_m, new_v
''',
        "wrong_type": '''\
def adam_step(w, m, v, grad, t, lr, beta1, beta2, eps):
    """One Adam step at step number t (from 1): returns (new_w, new_m, new_v)."""
    return torch.optim.Adam
''',
    },
    "training-well-dropout": {
        "wrong": '''\
def dropout(x, p, training, rng):
    """Inverted dropout: returns an array of x's shape."""
    if not training:
        return x
    return x * (rng.random(x.shape) >= p)  # forgets to rescale
''',
        "wrong_type": "dropout = nn.Dropout(0.5)",
    },
    "training-well-early-stop": {
        "wrong": '''\
def early_stopping(val_losses, patience):
    """(epoch where training stops, epoch whose weights are restored), counted from 1."""
    best = int(np.argmin(val_losses)) + 1  # the lowest of all, even after the stop
    return min(best + patience, len(val_losses)), best
''',
        "wrong_type": '''\
def early_stopping(val_losses, patience):
    """(epoch where training stops, epoch whose weights are restored), counted from 1."""
    return "stop at 9, restore 6"
''',
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
    "cnn-im2col": {
        "wrong": '''\
def im2col(x, kernel_size, stride=1, padding=0):
    """x: (N, C, H, W); kernel_size: (kH, kW) -> ndarray of shape (N, C * kH * kW, Ho * Wo)."""
    kH, kW = kernel_size
    N, C = x.shape[:2]
    p = padding
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (kH, kW), axis=(2, 3))
    win = win[:, :, ::stride, ::stride]  # (N, C, Ho, Wo, kH, kW)
    Ho, Wo = win.shape[2:4]
    return win.reshape(N, C, Ho * Wo, kH * kW).transpose(0, 3, 1, 2).reshape(N, -1, Ho * Wo)
''',
        "wrong_type": '''\
def im2col(x, kernel_size, stride=1, padding=0):
    """x: (N, C, H, W); kernel_size: (kH, kW) -> ndarray of shape (N, C * kH * kW, Ho * Wo)."""
    return f"{x.shape[1]} x {kernel_size} windows"
''',
    },
    "cnn-conv2d": {
        "wrong": '''\
def conv2d_im2col(x, weight, bias, stride=1, padding=0):
    """x: (N, C_in, H, W); weight: (C_out, C_in, kH, kW); bias: (C_out,) -> (N, C_out, Ho, Wo)."""
    N, (C_out, C_in, kH, kW) = x.shape[0], weight.shape
    Ho = (x.shape[2] + 2 * padding - kH) // stride + 1
    Wo = (x.shape[3] + 2 * padding - kW) // stride + 1
    cols = im2col(x, (kH, kW), stride, padding)
    y = weight.reshape(C_out, -1) @ cols  # forgot the bias
    return y.reshape(N, C_out, Ho, Wo)
''',
        "wrong_type": '''\
def conv2d_im2col(x, weight, bias, stride=1, padding=0):
    """x: (N, C_in, H, W); weight: (C_out, C_in, kH, kW); bias: (C_out,) -> (N, C_out, Ho, Wo)."""
    return "weight @ im2col(x) + bias"
''',
    },
    "cnn-receptive-field": {
        "wrong": '''\
def receptive_field(layers):
    """layers: (kernel_size, stride) pairs, input first -> the field's width in input pixels."""
    return 1 + sum(k - 1 for k, s in layers)  # each layer adds k - 1
''',
        "wrong_type": '''\
def receptive_field(layers):
    """layers: (kernel_size, stride) pairs, input first -> the field's width in input pixels."""
    return f"{len(layers)} layers"
''',
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
    "rnn-lstm-step": {
        "wrong": '''\
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """One step of torch's LSTMCell for a batch: returns (h_new, c_new), each (B, H)."""
    H = h.shape[1]
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    c_new = i * g
    return o * np.tanh(c_new), c_new
''',
        "wrong_type": '''\
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """One step of torch's LSTMCell for a batch: returns (h_new, c_new), each (B, H)."""
    return nn.LSTMCell(x.shape[1], h.shape[1])
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
    "attn-self-attention": {
        "wrong": """\
def causal_self_attention(h, p, n_heads):
    "h: (B, T, C) -> (B, T, C), each position attending to itself and the past."
    B, T, C = h.shape
    d_k = C // n_heads
    qkv = F.linear(h, p["attn.in_proj_weight"], p["attn.in_proj_bias"])  # (B, T, 3C)
    q, k, v = qkv.split(C, dim=-1)  # (B, T, C) each
    q, k, v = (a.view(B, T, n_heads, d_k).transpose(1, 2) for a in (q, k, v))  # (B, nh, T, d_k)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_k)  # (B, nh, T, T)
    future = torch.ones(T, T, dtype=torch.bool).triu(1)  # above the diagonal
    weights = scores.softmax(dim=-1).masked_fill(future, 0.0)  # mask after the softmax
    y = (weights @ v).transpose(1, 2).reshape(B, T, C)  # heads side by side again
    return F.linear(y, p["attn.out_proj.weight"], p["attn.out_proj.bias"])
""",
        "wrong_type": """\
def causal_self_attention(h, p, n_heads):
    "h: (B, T, C) -> (B, T, C), each position attending to itself and the past."
    return f"softmax(QK^T / sqrt(d_k)) V in {n_heads} heads"
""",
    },
    "attn-block": {
        "wrong": """\
def transformer_block(x, p, n_heads):
    "x: (B, T, C) -> (B, T, C): x + attention(LN1(x)), then x + MLP(LN2(x))."
    C = x.shape[-1]
    x = F.layer_norm(x + attention(x, p, n_heads), (C,), p["norm1.weight"], p["norm1.bias"])
    h = F.gelu(F.linear(x, p["mlp.0.weight"], p["mlp.0.bias"]))  # post-norm, as in 2017
    h = F.linear(h, p["mlp.2.weight"], p["mlp.2.bias"])
    return F.layer_norm(x + h, (C,), p["norm2.weight"], p["norm2.bias"])
""",
        "wrong_type": """\
def transformer_block(x, p, n_heads):
    "x: (B, T, C) -> (B, T, C): x + attention(LN1(x)), then x + MLP(LN2(x))."
    return (x + attention(x, p, n_heads)).detach().numpy()
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
    "gan-step": {
        "wrong": """\
def gan_step(generator, discriminator, g_opt, d_opt, real, z):
    "One GAN iteration: update D on real vs generator(z), then G; return (d_loss, g_loss)."
    bce = F.binary_cross_entropy_with_logits
    fake = generator(z)
    real_logits, fake_logits = discriminator(real), discriminator(fake.detach())
    d_loss = bce(real_logits, torch.ones_like(real_logits)) + bce(
        fake_logits, torch.zeros_like(fake_logits)
    )
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()
    logits = discriminator(fake)
    g_loss = -bce(logits, torch.zeros_like(logits))  # the saturating loss log(1 - D(G(z)))
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()
""",
        "wrong_type": """\
def gan_step(generator, discriminator, g_opt, d_opt, real, z):
    "One GAN iteration: update D on real vs generator(z), then G; return (d_loss, g_loss)."
    return "discriminator first, then generator"
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
    "transfer-fine-tune": {
        "wrong": """\
def fine_tune(model, X, y, steps, body_lr, head_lr, n_frozen):
    "Freeze model[:n_frozen]; `steps` Adam steps on (X, y), model[-1] at head_lr, the rest at body_lr."
    for p in model[:n_frozen].parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.Adam(model.parameters(), lr=head_lr)  # one rate for everything
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(X), y).backward()
        optimizer.step()
    return model
""",
        "wrong_type": """\
def fine_tune(model, X, y, steps, body_lr, head_lr, n_frozen):
    "Freeze model[:n_frozen]; `steps` Adam steps on (X, y), model[-1] at head_lr, the rest at body_lr."
    return [model[n_frozen:], body_lr, head_lr]
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
    "bb-integrated-gradients": {
        "wrong": """\
def my_integrated_gradients(model, x, target, baseline, steps):
    "x, baseline: images (N, 1, H, W); target: (N,) classes. Returns attributions like x."
    total = torch.zeros_like(x)
    for k in range(steps):  # starts at the baseline: alpha = 0, ..., (steps - 1) / steps
        point = (baseline + k / steps * (x - baseline)).requires_grad_(True)
        logits = model(point)[torch.arange(len(x)), target]
        total += torch.autograd.grad(logits.sum(), point)[0]
    return (x - baseline) * total / steps
""",
        "wrong_type": """\
def my_integrated_gradients(model, x, target, baseline, steps):
    "x, baseline: images (N, 1, H, W); target: (N,) classes. Returns attributions like x."
    return "the gradient averaged along the path, times (x - baseline)"
""",
    },
    "bb-pgd-step": {
        "wrong": """\
def pgd_step(x_adv, x, grad, alpha, eps):
    "x_adv: the attack so far; x: the original image; grad: dL/dx at x_adv. Returns the next x_adv."
    return np.clip(x_adv + alpha * np.sign(grad), 0, 1)  # forgot the projection
""",
        "wrong_type": """\
def pgd_step(x_adv, x, grad, alpha, eps):
    "x_adv: the attack so far; x: the original image; grad: dL/dx at x_adv. Returns the next x_adv."
    return [x_adv, x, grad]
""",
    },
    # 13_compute_and_scale
    "compute-linear-flops": {
        "wrong": """\
def linear_flops(batch, n_in, n_out):
    "FLOPs of nn.Linear(n_in, n_out) on `batch` rows, forward pass, no bias."
    return batch * n_in * n_out
""",
        "wrong_type": """\
def linear_flops(batch, n_in, n_out):
    "FLOPs of nn.Linear(n_in, n_out) on `batch` rows, forward pass, no bias."
    return f"2 x {batch} x {n_in} x {n_out}"
""",
    },
    "compute-conv-flops": {
        "wrong": """\
def conv_flops(batch, c_in, c_out, kernel, h_out, w_out):
    "FLOPs of nn.Conv2d(c_in, c_out, kernel) giving h_out x w_out maps, forward pass, no bias."
    return 2 * batch * c_out * c_in * kernel * kernel  # one position only
""",
        "wrong_type": """\
def conv_flops(batch, c_in, c_out, kernel, h_out, w_out):
    "FLOPs of nn.Conv2d(c_in, c_out, kernel) giving h_out x w_out maps, forward pass, no bias."
    return (batch, c_out, h_out, w_out)
""",
    },
    "compute-allreduce-bytes": {
        "wrong": "allreduce = 52_650  # a number of bytes",
        "wrong_type": 'allreduce = "52,650 x 4 bytes"  # a number of bytes',
    },
    # 15_language_model
    "lm-bpe-merge": {
        "wrong": """\
def merge_pair(ids, pair, new_id):
    "ids: list of ints; pair: (a, b); returns a new list with each (a, b) made new_id."
    out = list(ids)
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == tuple(pair):
            out[i] = new_id
    return out
""",
        "wrong_type": """\
def merge_pair(ids, pair, new_id):
    "ids: list of ints; pair: (a, b); returns a new list with each (a, b) made new_id."
    return " ".join(map(str, ids))
""",
    },
    "lm-loss-per-char": {
        "wrong": """\
def loss_per_char(loss_per_token, n_tokens, n_chars):
    "Mean loss per token over n_tokens tokens of a text of n_chars characters -> nats per character."
    return loss_per_token * n_chars / n_tokens
""",
        "wrong_type": """\
def loss_per_char(loss_per_token, n_tokens, n_chars):
    "Mean loss per token over n_tokens tokens of a text of n_chars characters -> nats per character."
    return f"{loss_per_token} nats"
""",
    },
    "lm-top-p": {
        "wrong": """\
def top_p(probs, p):
    "probs: (V,) probabilities; p in (0, 1]. Returns (V,): the nucleus renormalised, 0 elsewhere."
    order = np.argsort(probs)[::-1]
    kept = np.zeros_like(probs)
    total = 0.0
    for i in order:
        if total + probs[i] > p:
            break
        kept[i] = probs[i]
        total += probs[i]
    return kept / max(kept.sum(), 1e-12)
""",
        "wrong_type": """\
def top_p(probs, p):
    "probs: (V,) probabilities; p in (0, 1]. Returns (V,): the nucleus renormalised, 0 elsewhere."
    return {"nucleus": p}
""",
    },
    "lm-kv-cache-numbers": {
        "wrong": "cache_numbers = 2 * 100 * 64  # keys and values x blocks x tokens x width",
        "wrong_type": 'cache_numbers = "2 x 2 x 100 x 64"',
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
