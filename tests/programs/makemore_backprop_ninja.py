"""Backpropagation by hand through a small MLP with batch normalisation, checked against
autograd, and a few steps of training with the batch-norm statistics kept by hand.

Follows Andrej Karpathy's "Neural Networks: Zero to Hero" lectures "makemore part 3"
(activations, gradients, BatchNorm) and "makemore part 4: becoming a backprop ninja"
(https://github.com/karpathy/nn-zero-to-hero, lectures/makemore/makemore_part3_bn.ipynb and
makemore_part4_backprop.ipynb): the forward pass broken into small steps (embedding, hidden
layer, batch norm with mean and an n-1 variance over dim 0 with keepdim, tanh, logits, the
log-softmax written out with max(1, keepdim=True), exp, sum(1, keepdims=True) and **-1), every
intermediate with retain_grad, loss.backward(), and then the gradients derived by hand, each
compared with autograd's through a cmp helper that uses torch.all and torch.allclose; the
running batch-norm mean and std updated under torch.no_grad(); parameters updated through
p.data += -lr * p.grad.
Adapted: written anew in that shape; a dozen names written here instead of names.txt, smaller
layers, and every weight (and each step's minibatch) from numpy.random.default_rng(0) instead
of torch.randn/torch.randint with a torch.Generator; 25 training steps.
"""
import numpy as np
import torch
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia",
         "harper", "evelyn", "abigail", "emily", "elizabeth", "mila", "ella", "avery"]
chars = sorted(set("".join(words)))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi["."] = 0
vocab_size = len(stoi)
block_size = 3

X, Y = [], []
for w in words:
    context = [0] * block_size
    for ch in w + ".":
        ix = stoi[ch]
        X.append(context)
        Y.append(ix)
        context = context[1:] + [ix]
X, Y = torch.tensor(X), torch.tensor(Y)

rng = np.random.default_rng(0)
n_embd, n_hidden, batch_size = 4, 16, 24


def param(shape, scale):
    return torch.tensor(rng.standard_normal(shape) * scale, dtype=torch.float32)


C = param((vocab_size, n_embd), 1.0)
W1 = param((n_embd * block_size, n_hidden), (5 / 3) / (n_embd * block_size) ** 0.5)
b1 = param((n_hidden,), 0.1)
W2 = param((n_hidden, vocab_size), 0.1)
b2 = param((vocab_size,), 0.1)
bngain = param((1, n_hidden), 0.1) + 1.0
bnbias = param((1, n_hidden), 0.1)
parameters = [C, W1, b1, W2, b2, bngain, bnbias]
for p in parameters:
    p.requires_grad = True

ix = torch.tensor(rng.integers(0, X.shape[0], batch_size))
Xb, Yb = X[ix], Y[ix]
n = batch_size

# --- forward, in steps small enough to backpropagate by hand -----------------------------------
emb = C[Xb]
embcat = emb.view(emb.shape[0], -1)
hprebn = embcat @ W1 + b1
bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
bndiff = hprebn - bnmeani
bndiff2 = bndiff ** 2
bnvar = 1 / (n - 1) * bndiff2.sum(0, keepdim=True)
bnvar_inv = (bnvar + 1e-5) ** -0.5
bnraw = bndiff * bnvar_inv
hpreact = bngain * bnraw + bnbias
h = torch.tanh(hpreact)
logits = h @ W2 + b2
logit_maxes = logits.max(1, keepdim=True).values
norm_logits = logits - logit_maxes
counts = norm_logits.exp()
counts_sum = counts.sum(1, keepdims=True)
counts_sum_inv = counts_sum ** -1
probs = counts * counts_sum_inv
logprobs = probs.log()
loss = -logprobs[range(n), Yb].mean()

intermediates = [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits,
                 logit_maxes, logits, h, hpreact, bnraw, bnvar_inv, bnvar, bndiff2, bndiff,
                 hprebn, bnmeani, embcat, emb]
for p in parameters:
    p.grad = None
for t in intermediates:
    t.retain_grad()
loss.backward()
autograd_loss = loss.item()


def cmp(dt, t):
    exact = torch.all(dt == t.grad).item()
    approx = torch.allclose(dt, t.grad, atol=1e-6)
    maxdiff = (dt - t.grad).abs().max().item()
    return exact, approx, maxdiff


# --- backward, by hand -------------------------------------------------------------------------
dlogprobs = torch.zeros_like(logprobs)
dlogprobs[range(n), Yb] = -1.0 / n
dprobs = (1.0 / probs) * dlogprobs
dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
dcounts = counts_sum_inv * dprobs
dcounts_sum = (-counts_sum ** -2) * dcounts_sum_inv
dcounts += torch.ones_like(counts) * dcounts_sum
dnorm_logits = counts * dcounts
dlogits = dnorm_logits.clone()
dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
dh = dlogits @ W2.T
dW2 = h.T @ dlogits
db2 = dlogits.sum(0)
dhpreact = (1.0 - h ** 2) * dh
dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
dbnraw = bngain * dhpreact
dbnbias = dhpreact.sum(0, keepdim=True)
dbndiff = bnvar_inv * dbnraw
dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
dbnvar = (-0.5 * (bnvar + 1e-5) ** -1.5) * dbnvar_inv
dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * dbnvar
dbndiff += (2 * bndiff) * dbndiff2
dhprebn = dbndiff.clone()
dbnmeani = (-dbndiff).sum(0)
dhprebn += 1.0 / n * (torch.ones_like(hprebn) * dbnmeani)

checks = {name: cmp(d, t) for name, d, t in [
    ("logprobs", dlogprobs, logprobs), ("probs", dprobs, probs),
    ("counts_sum_inv", dcounts_sum_inv, counts_sum_inv), ("counts_sum", dcounts_sum, counts_sum),
    ("counts", dcounts, counts), ("norm_logits", dnorm_logits, norm_logits),
    ("logit_maxes", dlogit_maxes, logit_maxes), ("logits", dlogits, logits), ("h", dh, h),
    ("W2", dW2, W2), ("b2", db2, b2), ("hpreact", dhpreact, hpreact), ("bngain", dbngain, bngain),
    ("bnbias", dbnbias, bnbias), ("bnraw", dbnraw, bnraw), ("bnvar_inv", dbnvar_inv, bnvar_inv),
    ("bnvar", dbnvar, bnvar), ("bndiff2", dbndiff2, bndiff2), ("bndiff", dbndiff, bndiff),
    ("bnmeani", dbnmeani, bnmeani), ("hprebn", dhprebn, hprebn)]}

# --- a few steps of training, with running batch-norm statistics ------------------------------
bnmean_running = torch.zeros((1, n_hidden))
bnstd_running = torch.ones((1, n_hidden))
losses = []
for step in range(25):
    ix = torch.tensor(rng.integers(0, X.shape[0], batch_size))
    Xb, Yb = X[ix], Y[ix]
    hpreact = C[Xb].view(batch_size, -1) @ W1 + b1
    bnmeani = hpreact.mean(0, keepdim=True)
    bnstdi = hpreact.std(0, keepdim=True)
    hpreact = bngain * (hpreact - bnmeani) / bnstdi + bnbias
    with torch.no_grad():
        bnmean_running = 0.9 * bnmean_running + 0.1 * bnmeani
        bnstd_running = 0.9 * bnstd_running + 0.1 * bnstdi
    logits = torch.tanh(hpreact) @ W2 + b2
    loss = F.cross_entropy(logits, Yb)
    for p in parameters:
        p.grad = None
    loss.backward()
    for p in parameters:
        p.data += -0.1 * p.grad
    losses.append(loss.item())


@torch.no_grad()
def split_loss(x, y):
    hpre = C[x].view(x.shape[0], -1) @ W1 + b1
    hpre = bngain * (hpre - bnmean_running) / bnstd_running + bnbias
    return F.cross_entropy(torch.tanh(hpre) @ W2 + b2, y).item()


RESULTS = {
    "autograd_loss": autograd_loss,
    "checks_approx": {k: v[1] for k, v in checks.items()},
    "checks_maxdiff_small": {k: v[2] < 1e-5 for k, v in checks.items()},
    "dhprebn": dhprebn,
    "dW2": dW2,
    "losses": losses,
    "bnmean_running": bnmean_running,
    "bnstd_running": bnstd_running,
    "full_loss": split_loss(X, Y),
    "W1": W1,
}
