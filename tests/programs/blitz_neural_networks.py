"""LeNet from the 60-minute blitz: define the network, backpropagate random gradients, compute
an MSE loss, follow its grad_fn chain, update by hand and with torch.optim.

Source: PyTorch tutorials, "Deep Learning with PyTorch: A 60 Minute Blitz", part "Neural
Networks" (https://pytorch.org/tutorials/beginner/blitz/neural_networks_tutorial.html).
Adapted: the initial parameters, the input, the random output gradient and the target come
from numpy.random.default_rng(0) instead of torch.randn and the layers' random init; prints
replaced by RESULTS.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Net(nn.Module):

    def __init__(self):
        super(Net, self).__init__()
        # 1 input image channel, 6 output channels, 5x5 square convolution kernel
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        # an affine operation: y = Wx + b
        self.fc1 = nn.Linear(16 * 5 * 5, 120)  # 5*5 from image dimension
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, input):
        c1 = F.relu(self.conv1(input))
        s2 = F.max_pool2d(c1, (2, 2))
        c3 = F.relu(self.conv2(s2))
        s4 = F.max_pool2d(c3, 2)
        s4 = torch.flatten(s4, 1)
        f5 = F.relu(self.fc1(s4))
        f6 = F.relu(self.fc2(f5))
        output = self.fc3(f6)
        return output


rng = np.random.default_rng(0)
net = Net()
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.tensor(rng.uniform(-0.2, 0.2, tuple(p.shape)).astype(np.float32)))
params = list(net.parameters())

input = torch.tensor(rng.standard_normal((1, 1, 32, 32)).astype(np.float32))
out = net(input)

net.zero_grad()
out.backward(torch.tensor(rng.standard_normal((1, 10)).astype(np.float32)))
random_grad_conv1 = net.conv1.weight.grad.clone()

output = net(input)
target = torch.tensor(rng.standard_normal(10).astype(np.float32))
target = target.view(1, -1)
criterion = nn.MSELoss()
loss = criterion(output, target)
chain = [type(loss.grad_fn).__name__,
         type(loss.grad_fn.next_functions[0][0]).__name__,
         type(loss.grad_fn.next_functions[0][0].next_functions[0][0]).__name__]

net.zero_grad()
bias_grad_before = net.conv1.bias.grad
loss.backward()
bias_grad_after = net.conv1.bias.grad.clone()

learning_rate = 0.01
for f in net.parameters():
    f.data.sub_(f.grad.data * learning_rate)
loss_after_manual = criterion(net(input), target).item()

optimizer = optim.SGD(net.parameters(), lr=0.01)
for _ in range(3):
    optimizer.zero_grad()
    output = net(input)
    loss = criterion(output, target)
    loss.backward()
    optimizer.step()

RESULTS = {
    "repr": repr(net),
    "n_params": len(params),
    "conv1_weight_size": tuple(params[0].size()),
    "out": out,
    "random_grad_conv1": random_grad_conv1,
    "chain": chain,
    "bias_grad_before": bias_grad_before,
    "bias_grad_after": bias_grad_after,
    "loss_after_manual": loss_after_manual,
    "final_loss": loss.item(),
    "fc3_weight": net.fc3.weight,
    "conv2_bias": net.conv2.bias,
}
