"""A character-level MLP language model (Bengio et al. 2003) trained on minibatches.

Source: Andrej Karpathy, "Neural Networks: Zero to Hero", lecture "Building makemore Part 2:
MLP" (https://github.com/karpathy/nn-zero-to-hero, lectures/makemore/makemore_part2_mlp.ipynb).
Adapted: a dozen names written here instead of names.txt; parameters drawn from
numpy.random.default_rng(0) instead of torch.randn with a torch.Generator; minibatch indices
from numpy instead of torch.randint; 60 steps with a smaller network; the training-set loss is
also computed with nn.Embedding/nn.Linear modules holding the same weights.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

words = ["emma", "olivia", "ava", "isabella", "sophia", "charlotte", "mia", "amelia",
         "harper", "evelyn", "abigail", "emily"]
chars = sorted(list(set(''.join(words))))
stoi = {s: i + 1 for i, s in enumerate(chars)}
stoi['.'] = 0
V = len(stoi)

block_size = 3
X, Y = [], []
for w in words:
    context = [0] * block_size
    for ch in w + '.':
        ix = stoi[ch]
        X.append(context)
        Y.append(ix)
        context = context[1:] + [ix]
X = torch.tensor(X)
Y = torch.tensor(Y)

rng = np.random.default_rng(0)


def randn(*shape):
    return torch.tensor(rng.standard_normal(shape).astype(np.float32))


C = randn(V, 2)
W1 = randn(6, 32)
b1 = randn(32)
W2 = randn(32, V)
b2 = randn(V)
parameters = [C, W1, b1, W2, b2]
for p in parameters:
    p.requires_grad = True
n_params = sum(p.nelement() for p in parameters)

lossi = []
for i in range(60):
    ix = torch.tensor(rng.integers(0, X.shape[0], (16,)))
    emb = C[X[ix]]  # (16, 3, 2)
    h = torch.tanh(emb.view(-1, 6) @ W1 + b1)  # (16, 32)
    logits = h @ W2 + b2  # (16, V)
    loss = F.cross_entropy(logits, Y[ix])
    for p in parameters:
        p.grad = None
    loss.backward()
    lr = 0.1 if i < 40 else 0.01
    for p in parameters:
        p.data += -lr * p.grad
    lossi.append(loss.item())

# The full training set, once by hand and once with modules holding the same weights.
emb = C[X]
h = torch.tanh(emb.view(-1, 6) @ W1 + b1)
logits = h @ W2 + b2
full_loss = F.cross_entropy(logits, Y)

embedding = nn.Embedding(V, 2)
hidden = nn.Linear(6, 32)
out = nn.Linear(32, V)
with torch.no_grad():
    embedding.weight.copy_(C)
    hidden.weight.copy_(W1.T)
    hidden.bias.copy_(b1)
    out.weight.copy_(W2.T)
    out.bias.copy_(b2)
module_logits = out(torch.tanh(hidden(embedding(X).view(-1, 6))))
module_loss = nn.CrossEntropyLoss()(module_logits, Y)
module_loss.backward()

RESULTS = {
    "n_params": n_params,
    "losses": lossi,
    "full_loss": full_loss,
    "module_loss": module_loss,
    "embedding_grad": embedding.weight.grad,
    "hidden_grad": hidden.weight.grad,
    "C": C,
    "grad_fn": type(module_loss.grad_fn).__name__,
}
