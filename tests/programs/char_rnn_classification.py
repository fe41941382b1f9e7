"""Classifying names with a character-level RNN (one-hot letters built by indexed assignment).

Source: PyTorch tutorials, "NLP From Scratch: Classifying Names with a Character-Level RNN"
(https://pytorch.org/tutorials/intermediate/char_rnn_classification_tutorial.html), the
original version with the hand-written ``RNN`` module (``i2h``/``i2o`` on ``torch.cat`` of input
and hidden), ``letterToTensor``/``lineToTensor`` (``tensor[li][0][letterToIndex(letter)] = 1``),
``nn.NLLLoss`` and the manual update ``p.data.add_(p.grad.data, alpha=-learning_rate)``.
Adapted: a dozen names of three languages written here instead of the downloaded data; the
letters are the 26 lower-case ones; hidden size 16; weights from numpy.random.default_rng(0);
training cycles through the names in order (no random sampling) for 60 steps;
``output.topk(1)`` replaced by ``output.argmax()``.
"""
import string

import numpy as np
import torch
import torch.nn as nn

all_letters = string.ascii_lowercase
n_letters = len(all_letters)

category_lines = {
    "English": ["smith", "jones", "taylor", "brown"],
    "Italian": ["rossi", "russo", "ferrari", "esposito"],
    "Japanese": ["sato", "suzuki", "takahashi", "tanaka"],
}
all_categories = list(category_lines)
n_categories = len(all_categories)


# Find letter index from all_letters, e.g. "a" = 0
def letterToIndex(letter):
    return all_letters.find(letter)


# Just for demonstration, turn a letter into a <1 x n_letters> Tensor
def letterToTensor(letter):
    tensor = torch.zeros(1, n_letters)
    tensor[0][letterToIndex(letter)] = 1
    return tensor


# Turn a line into a <line_length x 1 x n_letters>,
# or an array of one-hot letter vectors
def lineToTensor(line):
    tensor = torch.zeros(len(line), 1, n_letters)
    for li, letter in enumerate(line):
        tensor[li][0][letterToIndex(letter)] = 1
    return tensor


class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super(RNN, self).__init__()

        self.hidden_size = hidden_size

        self.i2h = nn.Linear(input_size + hidden_size, hidden_size)
        self.i2o = nn.Linear(input_size + hidden_size, output_size)
        self.softmax = nn.LogSoftmax(dim=1)

    def forward(self, input, hidden):
        combined = torch.cat((input, hidden), 1)
        hidden = self.i2h(combined)
        output = self.i2o(combined)
        output = self.softmax(output)
        return output, hidden

    def initHidden(self):
        return torch.zeros(1, self.hidden_size)


n_hidden = 16
rnn = RNN(n_letters, n_hidden, n_categories)
rng = np.random.default_rng(0)
with torch.no_grad():
    for p in rnn.parameters():
        p.copy_(torch.tensor(rng.uniform(-0.2, 0.2, size=tuple(p.shape)).astype(np.float32)))

criterion = nn.NLLLoss()
learning_rate = 0.05  # If you set this too high, it might explode. If too low, it might not learn


def categoryFromOutput(output):
    category_i = output.argmax().item()
    return all_categories[category_i], category_i


def train(category_tensor, line_tensor):
    hidden = rnn.initHidden()

    rnn.zero_grad()

    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)

    loss = criterion(output, category_tensor)
    loss.backward()

    # Add parameters' gradients to their values, multiplied by learning rate
    for p in rnn.parameters():
        p.data.add_(p.grad.data, alpha=-learning_rate)

    return output, loss.item()


examples = [(c, line) for c in all_categories for line in category_lines[c]]
losses = []
for step in range(60):
    category, line = examples[(step * 5) % len(examples)]
    category_tensor = torch.tensor([all_categories.index(category)], dtype=torch.long)
    line_tensor = lineToTensor(line)
    output, loss = train(category_tensor, line_tensor)
    losses.append(loss)


def evaluate(line_tensor):
    hidden = rnn.initHidden()
    for i in range(line_tensor.size()[0]):
        output, hidden = rnn(line_tensor[i], hidden)
    return output


with torch.no_grad():
    guesses = [categoryFromOutput(evaluate(lineToTensor(line)))[0] for _, line in examples]

RESULTS = {
    "letter_j": letterToTensor("j"),
    "line_jones": lineToTensor("jones"),
    "losses": losses,
    "guesses": guesses,
    "i2h_weight": rnn.i2h.weight,
    "i2o_bias": rnn.i2o.bias,
}
