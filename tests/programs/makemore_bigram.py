"""A character-level bigram language model, by counting and as a one-layer neural net.

Source: Andrej Karpathy, "Neural Networks: Zero to Hero", lecture "The spelled-out intro to
language modeling: building makemore" (https://github.com/karpathy/nn-zero-to-hero,
lectures/makemore/makemore_part1_bigrams.ipynb).
Adapted: a dozen names written here instead of names.txt; the weights W drawn from
numpy.random.default_rng(0) instead of torch.randn with a torch.Generator; 30 gradient steps;
sampling with torch.multinomial still runs, but only the probabilities it samples from go into
RESULTS (the draws of the two libraries differ).
"""
import numpy as np
import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia",
         "harper", "evelyn", "abigail", "emily"]
chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi['.'] = 0
itos = {i: s for s, i in stoi.items()}
V = len(stoi)

# --- counting --------------------------------------------------------------------------------
N = torch.zeros((V, V), dtype=torch.int32)
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        ix1 = stoi[ch1]
        ix2 = stoi[ch2]
        N[ix1, ix2] += 1

P = (N + 1).float()
P /= P.sum(1, keepdims=True)

log_likelihood = 0.0
n = 0
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        logprob = torch.log(P[stoi[ch1], stoi[ch2]])
        log_likelihood += logprob
        n += 1
count_nll = -log_likelihood / n

g = torch.Generator().manual_seed(2147483647)
ix = 0
samples = 0
for i in range(3):
    while True:
        p = P[ix]
        ix = torch.multinomial(p, num_samples=1, replacement=True, generator=g).item()
        samples += 1
        if ix == 0 or samples > 50:
            break

# --- the same model as a neural net ------------------------------------------------------------
xs, ys = [], []
for w in words:
    chs = ['.'] + list(w) + ['.']
    for ch1, ch2 in zip(chs, chs[1:]):
        xs.append(stoi[ch1])
        ys.append(stoi[ch2])
xs = torch.tensor(xs)
ys = torch.tensor(ys)
num = xs.nelement()

rng = np.random.default_rng(0)
W = torch.tensor(rng.standard_normal((V, V)).astype(np.float32), requires_grad=True)

losses = []
for k in range(30):
    xenc = F.one_hot(xs, num_classes=V).float()
    logits = xenc @ W
    counts = logits.exp()
    probs = counts / counts.sum(1, keepdims=True)
    loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W ** 2).mean()
    losses.append(loss.item())
    W.grad = None
    loss.backward()
    W.data += -50 * W.grad

RESULTS = {
    "counts": N,
    "P": P,
    "count_nll": count_nll,
    "losses": losses,
    "W": W,
    "last_grad": W.grad,
    "first_row_probs": probs[0],
}
