"""The CIFAR-10 classifier of the 60-minute blitz: a small CNN trained with CrossEntropyLoss and
SGD with momentum in mini-batches of 4, then its accuracy, overall and per class.

Source: PyTorch tutorials, "Training a Classifier"
(https://pytorch.org/tutorials/beginner/blitz/cifar10_tutorial.html).
Adapted: torchvision's CIFAR-10 replaced by 24 synthetic 3x32x32 "images" of 3 classes
(numpy.random.default_rng(0)), wrapped in a TensorDataset; no shuffling; initial weights from
numpy; 2 epochs; no image display, no saving to disk.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(0)
classes = ('plane', 'car', 'bird')
labels_np = rng.integers(0, 3, 24)
means = rng.normal(0, 0.5, (3, 3, 1, 1))
images_np = (means[labels_np] + rng.normal(0, 0.5, (24, 3, 32, 32))).astype(np.float32)
trainset = TensorDataset(torch.tensor(images_np), torch.tensor(labels_np))
trainloader = DataLoader(trainset, batch_size=4, shuffle=False, num_workers=0)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


net = Net()
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.tensor(rng.uniform(-0.1, 0.1, tuple(p.shape)).astype(np.float32)))

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)

epoch_losses = []
for epoch in range(2):
    running_loss = 0.0
    for i, data in enumerate(trainloader, 0):
        inputs, labels = data
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    epoch_losses.append(running_loss / len(trainloader))

correct = 0
total = 0
correct_pred = {classname: 0 for classname in classes}
total_pred = {classname: 0 for classname in classes}
with torch.no_grad():
    for data in trainloader:
        images, labels = data
        outputs = net(images)
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()
        for label, prediction in zip(labels, predicted):
            if label == prediction:
                correct_pred[classes[label]] += 1
            total_pred[classes[label]] += 1

RESULTS = {
    "epoch_losses": epoch_losses,
    "accuracy": 100 * correct // total,
    "correct_pred": correct_pred,
    "total_pred": total_pred,
    "conv1_weight": net.conv1.weight,
    "fc3_bias": net.fc3.bias,
    "momentum_buffer": optimizer.state_dict()["state"][0]["momentum_buffer"],
}
