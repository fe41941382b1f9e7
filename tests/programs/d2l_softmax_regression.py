"""Softmax regression from scratch: softmax by exp and a keepdims sum, cross-entropy by
picking each row's true-class probability, accuracy by argmax, minibatch SGD by hand.

Follows "Dive into Deep Learning", section 4.4 "Softmax Regression Implementation from
Scratch" (https://d2l.ai/chapter_linear-classification/softmax-regression-scratch.html, PyTorch
version, and its predecessor 3.6 in the first edition): softmax(X) = X.exp() / X.exp().sum(1,
keepdims=True); cross_entropy(y_hat, y) = -torch.log(y_hat[list(range(len(y_hat))), y]);
accuracy from y_hat.argmax(axis=1) compared after .type(y.dtype); W initialised with
torch.normal(0, 0.01, size=...) and requires_grad; the update param -= lr * param.grad /
batch_size followed by param.grad.zero_() inside torch.no_grad().
Adapted: written anew in that shape; Fashion-MNIST is replaced by 240 points of five
Gaussian clusters in 12 dimensions, and W comes from numpy.random.default_rng(0) (scaled by
0.01) instead of torch.normal; minibatches in a fixed order; 8 epochs.
"""
import numpy as np
import torch

rng = np.random.default_rng(0)
num_inputs, num_outputs, n = 12, 5, 240
centres = rng.standard_normal((num_outputs, num_inputs)) * 2.0
labels = rng.integers(0, num_outputs, n)
features = centres[labels] + rng.standard_normal((n, num_inputs))
X_all = torch.tensor(features, dtype=torch.float32)
y_all = torch.tensor(labels)

W = torch.tensor(rng.standard_normal((num_inputs, num_outputs)) * 0.01, dtype=torch.float32,
                 requires_grad=True)
b = torch.zeros(num_outputs, requires_grad=True)


def softmax(X):
    X_exp = torch.exp(X)
    partition = X_exp.sum(1, keepdims=True)
    return X_exp / partition


def net(X):
    return softmax(torch.matmul(X.reshape((-1, W.shape[0])), W) + b)


def cross_entropy(y_hat, y):
    return -torch.log(y_hat[list(range(len(y_hat))), y])


def accuracy(y_hat, y):
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


def sgd(params, lr, batch_size):
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


lr, batch_size = 0.1, 32
epoch_losses, epoch_accuracy = [], []
for epoch in range(8):
    for i in range(0, n, batch_size):
        X, y = X_all[i:i + batch_size], y_all[i:i + batch_size]
        l = cross_entropy(net(X), y)
        l.sum().backward()
        sgd([W, b], lr, batch_size)
    with torch.no_grad():
        y_hat = net(X_all)
        epoch_losses.append(cross_entropy(y_hat, y_all).mean().item())
        epoch_accuracy.append(accuracy(y_hat, y_all) / n)

probs = net(X_all[:4])
RESULTS = {
    "losses": epoch_losses,
    "accuracy": epoch_accuracy,
    "W": W,
    "b": b,
    "rows_sum_to_one": probs.sum(1),
    "predictions": net(X_all).argmax(axis=1),
    "probs_grad_fn": type(probs.grad_fn).__name__,
}
