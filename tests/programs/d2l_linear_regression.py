"""Linear regression twice: from scratch (hand-written model, loss and minibatch SGD) and
concisely (nn.Linear, nn.MSELoss, torch.optim.SGD, a DataLoader over a TensorDataset).

Source: Dive into Deep Learning (d2l.ai), sections "Linear Regression Implementation from
Scratch" (https://d2l.ai/chapter_linear-regression/linear-regression-scratch.html) and
"Concise Implementation of Linear Regression"
(https://d2l.ai/chapter_linear-regression/linear-regression-concise.html), PyTorch version.
Adapted: synthetic_data draws its features and noise with numpy.random.default_rng(0) instead
of torch.normal; the from-scratch data_iter shuffles with numpy instead of random.shuffle; the
DataLoader does not shuffle (PyTorch's and gradviz's shuffles draw different numbers); the
initial weights come from numpy; 3 epochs; no plotting, no d2l package.
"""
import numpy as np
import torch
from torch import nn
from torch.utils import data

rng = np.random.default_rng(0)


def synthetic_data(w, b, num_examples):
    """Generate y = Xw + b + noise."""
    X = torch.tensor(rng.normal(0, 1, (num_examples, len(w))).astype(np.float32))
    y = torch.matmul(X, w) + b
    y += torch.tensor(rng.normal(0, 0.01, tuple(y.shape)).astype(np.float32))
    return X, y.reshape((-1, 1))


true_w = torch.tensor([2, -3.4])
true_b = 4.2
features, labels = synthetic_data(true_w, true_b, 1000)


# --- from scratch ------------------------------------------------------------------------------
def data_iter(batch_size, features, labels):
    num_examples = len(features)
    indices = list(range(num_examples))
    indices = [int(i) for i in rng.permutation(indices)]
    for i in range(0, num_examples, batch_size):
        batch_indices = torch.tensor(indices[i: min(i + batch_size, num_examples)])
        yield features[batch_indices], labels[batch_indices]


def linreg(X, w, b):
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


w = torch.tensor(rng.normal(0, 0.01, (2, 1)).astype(np.float32), requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr, num_epochs, batch_size = 0.03, 3, 10
net, loss = linreg, squared_loss
scratch_losses = []
for epoch in range(num_epochs):
    for X, y in data_iter(batch_size, features, labels):
        l = loss(net(X, w, b), y)  # noqa: E741
        l.sum().backward()
        sgd([w, b], lr, batch_size)
    with torch.no_grad():
        train_l = loss(net(features, w, b), labels)
        scratch_losses.append(float(train_l.mean()))


# --- concise -----------------------------------------------------------------------------------
def load_array(data_arrays, batch_size, is_train=True):
    """Construct a PyTorch data iterator."""
    dataset = data.TensorDataset(*data_arrays)
    return data.DataLoader(dataset, batch_size, shuffle=is_train)


data_iter2 = load_array((features, labels), batch_size, is_train=False)
first_batch = next(iter(data_iter2))

net = nn.Sequential(nn.Linear(2, 1))
with torch.no_grad():
    net[0].weight.data = torch.tensor(rng.normal(0, 0.01, (1, 2)).astype(np.float32))
    net[0].bias.data.fill_(0)
loss = nn.MSELoss()
trainer = torch.optim.SGD(net.parameters(), lr=0.03)
concise_losses = []
for epoch in range(num_epochs):
    for X, y in data_iter2:
        l = loss(net(X), y)  # noqa: E741
        trainer.zero_grad()
        l.backward()
        trainer.step()
    l = loss(net(features), labels)  # noqa: E741
    concise_losses.append(l.item())

RESULTS = {
    "scratch_losses": scratch_losses,
    "scratch_w": w,
    "scratch_b": b,
    "w_error": true_w - w.detach().reshape(true_w.shape),
    "num_batches": len(data_iter2),
    "first_batch_X": first_batch[0],
    "first_batch_y": first_batch[1],
    "concise_losses": concise_losses,
    "concise_weight": net[0].weight.data,
    "concise_bias": net[0].bias.data,
    "concise_weight_grad": net[0].weight.grad,
}
