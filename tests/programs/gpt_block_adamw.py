"""A tiny GPT: token and position embeddings, Transformer blocks (masked multi-head
self-attention, a GELU MLP, LayerNorm, Dropout), a language-model head, trained with AdamW.

Source: Andrej Karpathy, "Let's build GPT: from scratch, in code, spelled out"
(https://github.com/karpathy/ng-video-lecture, gpt.py), with the MLP of nanoGPT's model.py
(https://github.com/karpathy/nanoGPT: Linear, GELU, Linear, Dropout).
Adapted: a two-line text written here; n_embd 16, 2 heads, 2 layers, block_size 8; all
parameters copied from numpy.random.default_rng(0); batches drawn with numpy instead of
torch.randint; the AdamW steps run with the model in eval mode (Dropout is random, so its
draws would differ between the libraries), and train mode is only checked to change the
output; generation with torch.multinomial runs, but only its output's shape is compared.
"""
import numpy as np
import torch
import torch.nn as nn
from torch.nn import functional as F

batch_size = 4
block_size = 8
n_embd = 16
n_head = 2
n_layer = 2
dropout = 0.2
learning_rate = 1e-2

text = ("first citizen: before we proceed any further, hear me speak.\n"
        "all: speak, speak. first citizen: you are all resolved rather to die than to famish?\n")
chars = sorted(list(set(text)))
vocab_size = len(chars)
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for i, ch in enumerate(chars)}
encode = lambda s: [stoi[c] for c in s]  # noqa: E731
data = torch.tensor(encode(text), dtype=torch.long)

rng = np.random.default_rng(0)


def get_batch():
    ix = rng.integers(0, len(data) - block_size, (batch_size,))
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
    return x, y


class Head(nn.Module):
    """ one head of self-attention """

    def __init__(self, head_size):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer('tril', torch.tril(torch.ones(block_size, block_size)))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        k = self.key(x)
        q = self.query(x)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float('-inf'))
        wei = F.softmax(wei, dim=-1)
        wei = self.dropout(wei)
        v = self.value(x)
        out = wei @ v
        return out


class MultiHeadAttention(nn.Module):
    """ multiple heads of self-attention in parallel """

    def __init__(self, num_heads, head_size):
        super().__init__()
        self.heads = nn.ModuleList([Head(head_size) for _ in range(num_heads)])
        self.proj = nn.Linear(head_size * num_heads, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        out = torch.cat([h(x) for h in self.heads], dim=-1)
        out = self.dropout(self.proj(out))
        return out


class MLP(nn.Module):

    def __init__(self):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * n_embd, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        x = self.c_fc(x)
        x = self.gelu(x)
        x = self.c_proj(x)
        x = self.dropout(x)
        return x


class Block(nn.Module):
    """ Transformer block: communication followed by computation """

    def __init__(self, n_embd, n_head):
        super().__init__()
        head_size = n_embd // n_head
        self.sa = MultiHeadAttention(n_head, head_size)
        self.ffwd = MLP()
        self.ln1 = nn.LayerNorm(n_embd)
        self.ln2 = nn.LayerNorm(n_embd)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))
        x = x + self.ffwd(self.ln2(x))
        return x


class GPTLanguageModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, n_embd)
        self.position_embedding_table = nn.Embedding(block_size, n_embd)
        self.blocks = nn.Sequential(*[Block(n_embd, n_head=n_head) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        tok_emb = self.token_embedding_table(idx)
        pos_emb = self.position_embedding_table(torch.arange(T))
        x = tok_emb + pos_emb
        x = self.blocks(x)
        x = self.ln_f(x)
        logits = self.lm_head(x)
        if targets is None:
            loss = None
        else:
            B, T, C = logits.shape
            logits = logits.view(B * T, C)
            targets = targets.view(B * T)
            loss = F.cross_entropy(logits, targets)
        return logits, loss

    def generate(self, idx, max_new_tokens):
        for _ in range(max_new_tokens):
            idx_cond = idx[:, -block_size:]
            logits, loss = self(idx_cond)
            logits = logits[:, -1, :]
            probs = F.softmax(logits, dim=-1)
            idx_next = torch.multinomial(probs, num_samples=1)
            idx = torch.cat((idx, idx_next), dim=1)
        return idx


model = GPTLanguageModel()
with torch.no_grad():
    for name, p in model.named_parameters():
        scale = 0.0 if name.endswith('bias') else 0.3
        if name.endswith('ln1.weight') or name.endswith('ln2.weight') or name.endswith('ln_f.weight'):
            p.copy_(torch.tensor(1 + 0.1 * rng.standard_normal(tuple(p.shape)).astype(np.float32)))
        else:
            p.copy_(torch.tensor((scale * rng.standard_normal(tuple(p.shape))).astype(np.float32)))
n_params = sum(p.numel() for p in model.parameters())

optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
model.eval()
losses = []
for it in range(8):
    xb, yb = get_batch()
    logits, loss = model(xb, yb)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

xb, yb = get_batch()
with torch.no_grad():
    eval_logits, eval_loss = model(xb, yb)
model.train()
with torch.no_grad():
    train_logits, _ = model(xb, yb)
train_mode_changes_output = not torch.allclose(train_logits, eval_logits)
model.eval()

context = torch.zeros((1, 1), dtype=torch.long)
generated = model.generate(context, max_new_tokens=10)

RESULTS = {
    "n_params": n_params,
    "state_dict_keys": list(model.state_dict().keys()),
    "losses": losses,
    "eval_loss": eval_loss,
    "eval_logits": eval_logits,
    "train_mode_changes_output": train_mode_changes_output,
    "lm_head_weight": model.lm_head.weight,
    "first_key_grad": model.blocks[0].sa.heads[0].key.weight.grad,
    "ln_f_bias_grad": model.ln_f.bias.grad,
    "generated_shape": tuple(generated.shape),
    "block_repr": repr(model.blocks[0]),
}
