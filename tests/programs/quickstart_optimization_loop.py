"""PyTorch's quickstart training loop on a small synthetic dataset.

Source: PyTorch tutorials, "Optimizing Model Parameters"
(https://pytorch.org/tutorials/beginner/basics/optimization_tutorial.html) with the network of
"Build the Neural Network" (https://pytorch.org/tutorials/beginner/basics/buildmodel_tutorial.html).
Adapted: FashionMNIST and the DataLoader replaced by 64 random 4x4 "images" with 3 classes
(numpy.random.default_rng(0)) in a TensorDataset, batches of 16 without shuffling; layers
16-32-32-3; initial weights copied from numpy; 3 epochs; the test loop evaluates on the training
set. The quickstart's "Saving and Loading Models" step (torch.save / torch.load of the
state_dict into a new model) runs at the end.
"""
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(0)
X = torch.tensor(rng.normal(size=(64, 4, 4)).astype(np.float32))
y = torch.tensor(rng.integers(0, 3, size=64))
train_dataloader = DataLoader(TensorDataset(X, y), batch_size=16)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(16, 32),
            nn.ReLU(),
            nn.Linear(32, 32),
            nn.ReLU(),
            nn.Linear(32, 3),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.tensor(rng.uniform(-0.3, 0.3, size=tuple(p.shape)).astype(np.float32)))

learning_rate = 1e-1
batch_size = 16
epochs = 3
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)


def train_loop(dataloader, model, loss_fn, optimizer):
    model.train()
    losses = []
    for batch, (xb, yb) in enumerate(dataloader):
        pred = model(xb)
        loss = loss_fn(pred, yb)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return losses


def test_loop(model, loss_fn):
    model.eval()
    with torch.no_grad():
        pred = model(X)
        test_loss = loss_fn(pred, y).item()
        correct = (pred.argmax(1) == y).type(torch.float).sum().item()
    return test_loss, correct / len(X)


history = []
for t in range(epochs):
    history += train_loop(train_dataloader, model, loss_fn, optimizer)
test_loss, accuracy = test_loop(model, loss_fn)

torch.save(model.state_dict(), "model.pth")
model2 = NeuralNetwork()
model2.load_state_dict(torch.load("model.pth", weights_only=True))
model2.eval()
with torch.no_grad():
    reloaded_logits = model2(X[:5])

RESULTS = {
    "train_losses": history,
    "test_loss": test_loss,
    "accuracy": accuracy,
    "first_weight": model.linear_relu_stack[0].weight,
    "last_bias": model.linear_relu_stack[4].bias,
    "reloaded_logits": reloaded_logits,
    "model_repr": repr(model),
}
