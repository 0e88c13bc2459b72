"""Workloads real code spends its time in, written as ordinary PyTorch programs that run
unchanged under ember (``lib`` is the ``torch`` or the ``ember`` module):

* a character-level GPT training step: token and position embeddings, causal self-attention,
  LayerNorm, exact GELU, cross entropy, AdamW;
* an LSTM language-model step (word_language_model style: embedding, 2-layer LSTM, decoder,
  gradient clipping, SGD by hand on ``p.data``);
* a BiLSTM-CRF step: the CRF's forward algorithm is a Python loop over time steps and tags,
  with log-sum-exp over vectors of five numbers, so per-op overhead is everything;
* the dynamic-depth polynomial of the "dynamic net" tutorial: a model whose depth is drawn at
  random each step, trained with SGD and momentum.

Each ``build_*(lib)`` returns a ``step()`` running one timed unit and returning its loss.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
from workloads_core import Step, sync_parameters

# --- char-level GPT ------------------------------------------------------------------------------

GPT_CONFIG = {"vocab": 65, "block": 64, "embd": 64, "heads": 4, "layers": 2, "batch": 16}


def build_gpt(lib: Any, config: dict | None = None) -> Step:
    """One AdamW training step of a small GPT on random characters."""
    cfg = dict(GPT_CONFIG, **(config or {}))
    nn, F = lib.nn, lib.nn.functional

    class CausalSelfAttention(nn.Module):
        def __init__(self, embd: int, heads: int, block: int) -> None:
            super().__init__()
            self.heads = heads
            self.qkv = nn.Linear(embd, 3 * embd)
            self.proj = nn.Linear(embd, embd)
            mask = lib.tril(lib.ones(block, block)).view(1, 1, block, block)
            self.register_buffer("mask", mask)

        def forward(self, x: Any) -> Any:
            B, T, C = x.size()
            q, k, v = self.qkv(x).split(C, dim=2)
            q = q.view(B, T, self.heads, C // self.heads).transpose(1, 2)
            k = k.view(B, T, self.heads, C // self.heads).transpose(1, 2)
            v = v.view(B, T, self.heads, C // self.heads).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
            att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
            return self.proj(y)

    class Block(nn.Module):
        def __init__(self, embd: int, heads: int, block: int) -> None:
            super().__init__()
            self.ln1 = nn.LayerNorm(embd)
            self.attn = CausalSelfAttention(embd, heads, block)
            self.ln2 = nn.LayerNorm(embd)
            self.fc = nn.Linear(embd, 4 * embd)
            self.out = nn.Linear(4 * embd, embd)

        def forward(self, x: Any) -> Any:
            x = x + self.attn(self.ln1(x))
            return x + self.out(F.gelu(self.fc(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok = nn.Embedding(cfg["vocab"], cfg["embd"])
            self.pos = nn.Embedding(cfg["block"], cfg["embd"])
            self.blocks = nn.ModuleList(
                [Block(cfg["embd"], cfg["heads"], cfg["block"]) for _ in range(cfg["layers"])])
            self.ln_f = nn.LayerNorm(cfg["embd"])
            self.head = nn.Linear(cfg["embd"], cfg["vocab"], bias=False)

        def forward(self, idx: Any, targets: Any) -> Any:
            T = idx.size(1)
            x = self.tok(idx) + self.pos(lib.arange(T))
            for block in self.blocks:
                x = block(x)
            logits = self.head(self.ln_f(x))
            return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))

    model = GPT()
    sync_parameters(lib, model)
    optimizer = lib.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.1)
    rng = np.random.default_rng(3)
    data = rng.integers(0, cfg["vocab"], (cfg["batch"], cfg["block"] + 1))
    x, y = lib.tensor(data[:, :-1]), lib.tensor(data[:, 1:])

    def step() -> Any:
        loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss

    return step


# --- LSTM language model -------------------------------------------------------------------------

LSTM_CONFIG = {"vocab": 1000, "embd": 128, "hidden": 128, "layers": 2, "seq": 35, "batch": 20}


def build_lstm_lm(lib: Any, config: dict | None = None) -> Step:
    """One truncated-BPTT step of a 2-layer LSTM language model."""
    cfg = dict(LSTM_CONFIG, **(config or {}))
    nn, F = lib.nn, lib.nn.functional

    class RNNModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = nn.Embedding(cfg["vocab"], cfg["embd"])
            self.rnn = nn.LSTM(cfg["embd"], cfg["hidden"], cfg["layers"])
            self.decoder = nn.Linear(cfg["hidden"], cfg["vocab"])

        def forward(self, tokens: Any, hidden: Any) -> tuple[Any, Any]:
            output, hidden = self.rnn(self.encoder(tokens), hidden)
            return self.decoder(output).view(-1, cfg["vocab"]), hidden

    model = RNNModel()
    sync_parameters(lib, model)
    rng = np.random.default_rng(4)
    data = rng.integers(0, cfg["vocab"], (cfg["seq"] + 1, cfg["batch"]))
    inputs, targets = lib.tensor(data[:-1]), lib.tensor(data[1:]).reshape(-1)
    zeros = lib.zeros(cfg["layers"], cfg["batch"], cfg["hidden"])
    state = {"hidden": (zeros, zeros)}
    lr = 0.1

    def step() -> Any:
        hidden = tuple(h.detach() for h in state["hidden"])
        model.zero_grad()
        output, hidden = model(inputs, hidden)
        loss = F.cross_entropy(output, targets)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        state["hidden"] = (zeros, zeros)  # the same work every step
        return loss

    return step


# --- BiLSTM-CRF ----------------------------------------------------------------------------------

CRF_TAGS = 5  # B, I, O, <start>, <stop>
START, STOP = 3, 4


def build_crf(lib: Any, sentences: int = 2) -> Step:
    """A BiLSTM-CRF tagger trained on short sentences, one SGD step per sentence; the CRF's
    partition function and gold-path score are Python loops over scalars and 5-vectors."""
    nn = lib.nn

    def log_sum_exp(vec: Any) -> Any:
        max_score = vec[0, lib.argmax(vec, 1).item()]
        broadcast = max_score.view(1, -1).expand(1, vec.size()[1])
        return max_score + lib.log(lib.sum(lib.exp(vec - broadcast)))

    class BiLSTMCRF(nn.Module):
        def __init__(self, vocab: int, embd: int, hidden: int) -> None:
            super().__init__()
            self.hidden = hidden
            self.embeds = nn.Embedding(vocab, embd)
            self.lstm = nn.LSTM(embd, hidden // 2, num_layers=1, bidirectional=True)
            self.to_tags = nn.Linear(hidden, CRF_TAGS)
            self.transitions = nn.Parameter(lib.randn(CRF_TAGS, CRF_TAGS))

        def features(self, sentence: Any) -> Any:
            state = (lib.zeros(2, 1, self.hidden // 2), lib.zeros(2, 1, self.hidden // 2))
            embeds = self.embeds(sentence).view(len(sentence), 1, -1)
            out, _ = self.lstm(embeds, state)
            return self.to_tags(out.view(len(sentence), self.hidden))

        def forward_algorithm(self, feats: Any) -> Any:
            init = lib.full((1, CRF_TAGS), -10000.0)
            init[0][START] = 0.0
            forward_var = init
            for feat in feats:
                alphas = []
                for tag in range(CRF_TAGS):
                    emit = feat[tag].view(1, -1).expand(1, CRF_TAGS)
                    trans = self.transitions[tag].view(1, -1)
                    alphas.append(log_sum_exp(forward_var + trans + emit).view(1))
                forward_var = lib.cat(alphas).view(1, -1)
            return log_sum_exp(forward_var + self.transitions[STOP])

        def gold_score(self, feats: Any, tags: Any) -> Any:
            score = lib.zeros(1)
            tags = lib.cat([lib.tensor([START], dtype=lib.long), tags])
            for i, feat in enumerate(feats):
                score = score + self.transitions[tags[i + 1], tags[i]] + feat[tags[i + 1]]
            return score + self.transitions[STOP, tags[-1]]

        def neg_log_likelihood(self, sentence: Any, tags: Any) -> Any:
            feats = self.features(sentence)
            return self.forward_algorithm(feats) - self.gold_score(feats, tags)

    model = BiLSTMCRF(vocab=20, embd=5, hidden=4)
    sync_parameters(lib, model)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, weight_decay=1e-4)
    rng = np.random.default_rng(5)
    data = [(lib.tensor(rng.integers(0, 20, n)), lib.tensor(rng.integers(0, 3, n)))
            for n in (11, 7, 9, 8)[:sentences]]

    def step() -> Any:
        for sentence, tags in data:
            model.zero_grad()
            loss = model.neg_log_likelihood(sentence, tags)
            loss.backward()
            optimizer.step()
        return loss

    return step


# --- dynamic-depth polynomial --------------------------------------------------------------------


def build_dynamic_poly(lib: Any, steps: int = 10) -> Step:
    """``steps`` SGD steps of the dynamic net: a cubic plus 0 to 2 extra terms reusing one
    weight, the count drawn at random per step (the same draws for both libraries)."""
    nn = lib.nn

    class DynamicNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b, self.c, self.d, self.e = (
                nn.Parameter(lib.tensor(v)) for v in (0.1, -0.2, 0.05, 0.01, -0.003))

        def forward(self, x: Any, depth: int) -> Any:
            y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
            for exp in range(4, depth):
                y = y + self.e * x ** exp
            return y

    model = DynamicNet()
    x = lib.linspace(-math.pi, math.pi, 2000)
    y = lib.sin(x)
    criterion = nn.MSELoss(reduction="sum")
    optimizer = lib.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
    draws = random.Random(6)

    def step() -> Any:
        for _ in range(steps):
            loss = criterion(model(x, draws.randint(4, 6)), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return loss

    return step
