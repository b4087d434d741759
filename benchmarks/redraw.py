"""Time every explorer's redraw: from setting a control's ``.value`` to the new PNG.

    OMP_NUM_THREADS=1 python benchmarks/redraw.py            # about a minute
    OMP_NUM_THREADS=1 python benchmarks/redraw.py --moves 5  # a quick look

Builds every explorer of the course with the settings and data sizes its
notebook uses (the toy sets of :mod:`dlhelpers.data`, the MNIST sample and
the photographs offline; the networks untrained, which redraw as fast as
trained ones),
moves each control ``--moves`` times through valid values, and prints a
markdown table of the median and worst kernel-side time from the move to the
new picture per explorer and control, and the median time until the status
line is done too (later only where a status is slow to make: a sampled
text). The target is a median under 100 ms (on 2 cores): a slider that takes
half a second to redraw does not feel live.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def _explorers() -> dict:
    import torch

    from dlhelpers.data import load_mnist, make_blobs, make_line

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    x, y = make_line(20, slope=2.0, intercept=-1.0, seed=0)
    X, Y = make_blobs(n_samples=120, noise=0.55, seed=3)
    mnist = load_mnist(offline=True, verbose=False)
    images = mnist.x_test[:1000]
    # A fixed linear "model" (nearest class mean): realistic probabilities with mistakes.
    flat = mnist.x_train.reshape(len(mnist.x_train), -1) / 255.0
    means = np.stack([flat[mnist.y_train == k].mean(0) for k in range(10)])
    logits = -((images.reshape(len(images), -1)[:, None] / 255.0 - means) ** 2).sum(-1)
    proba = np.exp(logits - logits.max(1, keepdims=True))
    proba /= proba.sum(1, keepdims=True)
    return {
        **_first_half(x, y, X, Y, images, mnist.y_test[:1000], proba),
        **_second_half(mnist),
        **_the_field_today(),
    }


def _the_field_today() -> dict:
    """Notebook 15's decoding explorer over its GPT's sizes (untrained: the redraw costs the same)."""
    import torch

    from dlhelpers.data.text import load_text
    from dlhelpers.explorers.decoding import build_decoding_explorer, token_labels
    from dlhelpers.scratch.bpe import decode, encode, train_bpe, vocab_bytes
    from dlhelpers.train.gpt import GPT, generate_tokens

    text = load_text(verbose=False).text
    merges, _ = train_bpe(text[:5000], 200)
    torch.manual_seed(0)
    gpt = GPT(256 + len(merges), d_model=64, n_heads=4, n_layers=1).eval()
    prompt = encode("The default value of the ", merges).tolist()
    with torch.no_grad():
        logits = gpt(torch.tensor([prompt]))[0, -1].double().numpy()

    def draw(method, temperature, top_k, top_p, seed):
        rule = {"greedy": {"greedy": True}, "top-k": {"top_k": top_k}, "top-p": {"top_p": top_p}}
        new = generate_tokens(
            gpt, prompt, 16, temperature=temperature, seed=seed, **rule.get(method, {})
        )
        return new, decode(new, merges)

    labels = token_labels(vocab_bytes(merges))
    return {"decoding": lambda: build_decoding_explorer(logits, labels, draw, method="top-p")}


def _first_half(x, y, X, Y, images, labels, proba) -> dict:
    """Notebooks 00-06."""
    from dlhelpers.explorers.activation import build_activation_explorer
    from dlhelpers.explorers.backprop import build_backprop_explorer
    from dlhelpers.explorers.descent import build_descent_explorer
    from dlhelpers.explorers.fitting import build_fit_explorer
    from dlhelpers.explorers.line import build_line_explorer
    from dlhelpers.explorers.neuron import build_neuron_explorer
    from dlhelpers.explorers.playground import build_playground
    from dlhelpers.explorers.predictions import build_prediction_explorer

    return {
        "line": lambda: build_line_explorer(x, y),
        "activation": lambda: build_activation_explorer(activation="sigmoid"),
        "neuron": lambda: build_neuron_explorer(X, Y),
        "fitting": lambda: build_fit_explorer(target="bump", n_hidden=3),
        "descent": lambda: build_descent_explorer(surface="bowl"),
        "backprop": lambda: build_backprop_explorer(),
        "predictions": lambda: build_prediction_explorer(images, labels, proba),
        "playground": lambda: build_playground(dataset="circle"),
    }


def _second_half(mnist) -> dict:
    """Notebooks 07-14, with the arguments their notebooks give."""
    import torch

    from dlhelpers.data.images import load_photo
    from dlhelpers.data.small_digits import load_small_digits, split_small_digits
    from dlhelpers.data.targets2d import mode_centres, sample_target
    from dlhelpers.data.text import load_text
    from dlhelpers.explorers.actmax import build_actmax_explorer
    from dlhelpers.explorers.attention_map import build_attention_explorer
    from dlhelpers.explorers.conv_geometry import build_conv_geometry_explorer
    from dlhelpers.explorers.cost import build_cost_explorer
    from dlhelpers.explorers.few_labels import build_transfer_explorer
    from dlhelpers.explorers.fgsm import build_fgsm_explorer
    from dlhelpers.explorers.filters import build_filter_explorer
    from dlhelpers.explorers.gan_lab import build_gan_lab
    from dlhelpers.explorers.gradient_flow import build_gradient_flow_explorer
    from dlhelpers.explorers.reverse_process import build_reverse_explorer
    from dlhelpers.explorers.temperature import build_temperature_explorer
    from dlhelpers.scratch.diffusion import beta_schedule
    from dlhelpers.train.char_model import CharLSTM, next_char_logits, sample
    from dlhelpers.train.diffusion import PointDenoiser
    from dlhelpers.train.models import lenet

    digit = mnist.x_test[0] / 255.0
    photos = {"camera": load_photo("camera", size=128), "digit": digit}
    corpus = load_text(verbose=False)
    torch.manual_seed(0)
    lm, cnn = CharLSTM(corpus.vocab_size).eval(), lenet().eval()
    rng = np.random.default_rng(0)
    maps = rng.random((2, 4, 8, 8))
    maps /= maps.sum(-1, keepdims=True)  # (layers, heads, queries, keys), rows sum to 1
    pool, held_out = split_small_digits(*load_small_digits(), n_pool=1000, seed=0)
    fgsm_images = mnist.x_test[:50, None].astype(np.float32) / 255
    denoisers = {"linear": PointDenoiser(100), "cosine": PointDenoiser(100)}
    schedules = {
        "linear": beta_schedule(100, "linear", beta_end=0.2),
        "cosine": beta_schedule(100, "squaredcos_cap_v2"),
    }
    ring = sample_target("ring", 1000, seed=0)
    return {
        "filters": lambda: build_filter_explorer(photos, kernel="sharpen"),
        "conv_geometry": lambda: build_conv_geometry_explorer(digit[::2, ::2], stride=2, padding=1),
        "gradient_flow": lambda: build_gradient_flow_explorer(scale=1.0, length=60),
        "temperature": lambda: build_temperature_explorer(
            lambda t, n, seed: sample(lm, corpus, "The ", n, temperature=t, seed=seed),
            next_char_logits(lm, corpus, "The "),
            corpus.vocab,
            temperature=0.7,
            prompt="The ",
        ),
        "attention_map": lambda: build_attention_explorer(maps, list("01234567")),
        "gan_lab": lambda: build_gan_lab(target="ring", seed=0),
        "few_labels": lambda: build_transfer_explorer(
            cnn, pool, held_out, per_class=5, freeze="conv", seeds=(0, 1), steps=50
        ),
        "actmax": lambda: build_actmax_explorer(cnn, layer="class", unit=3),
        "fgsm": lambda: build_fgsm_explorer(cnn, fgsm_images, mnist.y_test[:50], eps=0.1),
        "cost": lambda: build_cost_explorer(width=64, depth=2, batch=32),
        "reverse_process": lambda: build_reverse_explorer(
            denoisers, schedules, ring, modes=(mode_centres("ring"), 0.1), t=60
        ),
    }


def _values(control, moves: int) -> list:
    """``moves`` valid values for ``control``, cycling, each different from the one before."""
    if hasattr(control, "options") and not hasattr(control, "min"):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        options = list(getattr(control, "_options_values", options))
        start = options.index(control.value)
        return [options[(start + 1 + i) % len(options)] for i in range(moves)]
    low, high = control.min, control.max
    if type(control).__name__ == "FloatLogSlider":
        grid = list(np.logspace(low, high, 9, base=control.base))
    elif isinstance(control.value, int):
        grid = sorted({int(v) for v in np.linspace(low, high, 9)})
    else:
        grid = list(np.linspace(low, high, 9))
    grid = [v for v in grid if v != control.value] or grid
    return [grid[i % len(grid)] for i in range(moves)]


def measure(moves: int = 20) -> list[tuple[str, str, float, float, float]]:
    """(explorer, control, median and worst ms to the new picture, median ms to the full status)."""
    rows = []
    for name, build in _explorers().items():
        explorer = build()
        shown: list[float] = []  # when the image's value changed
        explorer.image.observe(
            lambda _change, shown=shown: shown.append(time.perf_counter()), names="value"
        )
        for key, control in explorer.controls.items():
            picture, done = [], []
            for value in _values(control, moves):
                shown.clear()
                start = time.perf_counter()
                control.value = value
                end = time.perf_counter()
                if shown:
                    picture.append(shown[0] - start)  # the first new picture
                    done.append(end - start)
            if picture:
                rows.append(
                    (name, key, statistics.median(picture), max(picture), statistics.median(done))
                )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20, help="values per control")
    args = parser.parse_args()
    if args.moves < 1:
        parser.error(f"--moves must be at least 1, got {args.moves}")
    print("| explorer | control | median ms | worst ms | median ms, status too |")
    print("|---|---|---:|---:|---:|")
    for name, key, median, worst, done in measure(args.moves):
        flag = " **slow**" if median > 0.1 else ""
        print(
            f"| {name} | {key} | {1000 * median:.0f}{flag} | {1000 * worst:.0f} | {1000 * done:.0f} |"
        )


if __name__ == "__main__":
    main()
