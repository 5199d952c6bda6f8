"""JRT-RNN and Based in PyTorch, written from shared/docs/model-spec.md for training tiny recall models.

The parallel (teacher-forced) form only: training needs nothing else, and the Java engine does prefill and
recurrent decode. Parameter names equal the reference state_dict keys, so `state_dict()` is a checkpoint the Java
loader reads. test_parity.py checks this module against the golden logits, like the Java engine's tests.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

BASE_CONV, PREFIX_LINEAR_ATTENTION, LINEAR_ATTENTION, SLIDING_WINDOW = "C", "P", "L", "S"


class RMSNorm(nn.Module):
    def __init__(self, d, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class SwiGluMlp(nn.Module):
    """fc1 yields [value | gate]: the value half comes first (spec §2)."""

    def __init__(self, d, hidden):
        super().__init__()
        self.fc1 = nn.Linear(d, 2 * hidden, bias=False)
        self.fc2 = nn.Linear(hidden, d, bias=False)
        self.hidden = hidden

    def forward(self, x):
        u, g = self.fc1(x).split(self.hidden, dim=-1)
        return self.fc2(u * F.silu(g))


class _DepthwiseConv(nn.Module):
    """Holds the weight under the key `mixer.conv.conv.weight` [2d, 1, 3]."""

    def __init__(self, channels, kernel):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel, groups=channels, bias=False)


class BaseConv(nn.Module):
    """Gated short convolution (spec §3): y = (silu(causal_conv(u1)) * u2) out_proj."""

    def __init__(self, d, kernel=3):
        super().__init__()
        self.in_proj = nn.Linear(d, 4 * d)
        self.conv = _DepthwiseConv(2 * d, kernel)
        self.out_proj = nn.Linear(2 * d, d)
        self.kernel = kernel

    def forward(self, a, **_):
        u1, u2 = self.in_proj(a).split(a.shape[-1] * 2, dim=-1)
        t = a.shape[1]
        # Left padding of kernel-1 makes the convolution causal: out_t = w0 u_{t-2} + w1 u_{t-1} + w2 u_t.
        conv = F.conv1d(u1.transpose(1, 2), self.conv.conv.weight, padding=self.kernel - 1,
                        groups=u1.shape[-1])[..., :t].transpose(1, 2)
        return self.out_proj(F.silu(conv) * u2)


def taylor_scores(q, k):
    """phi(q).phi(k) for the 2nd-order Taylor feature map with F = 16: 1 + s + s^2/2, s = q.k / 4 (spec §4.1)."""
    s = torch.einsum("bthf,bjhf->bhtj", q, k) / math.sqrt(q.shape[-1])
    return 1 + s + 0.5 * s * s


def causal_taylor(q, k, v):
    """Numerator [B, T, H, hd] and denominator [B, T, H, 1] of causal Taylor attention: sums over keys j <= t."""
    t = q.shape[1]
    causal = torch.ones(t, t, dtype=torch.bool, device=q.device).tril()
    scores = taylor_scores(q, k).masked_fill(~causal, 0.0)
    return torch.einsum("bhtj,bjhe->bthe", scores, v), scores.sum(-1).transpose(1, 2).unsqueeze(-1)


class PrefixLinearAttention(nn.Module):
    """JRT-RNN's mixer (spec §4.4): causal Taylor attention plus a non-causal encoder over the first M tokens."""

    def __init__(self, d, heads, feature_dim):
        super().__init__()
        self.heads, self.feature_dim, self.head_dim = heads, feature_dim, d // heads
        self.proj_q = nn.Linear(d, heads * feature_dim, bias=False)
        self.proj_k = nn.Linear(d, heads * feature_dim, bias=False)
        self.proj_k_enc = nn.Linear(d, heads * feature_dim, bias=False)
        self.proj_v = nn.Linear(d, d, bias=False)
        self.proj_v_enc = nn.Linear(d, d, bias=False)
        self.out_proj = nn.Linear(d, d, bias=False)

    def forward(self, a, encoder_length, key_mask=None, **_):
        b, t, _ = a.shape
        h, f, hd = self.heads, self.feature_dim, self.head_dim
        m = encoder_length
        q = self.proj_q(a).view(b, t, h, f)
        k = self.proj_k(a).view(b, t, h, f)
        v = self.proj_v(a).view(b, t, h, hd)
        k_enc = self.proj_k_enc(a[:, :m]).view(b, m, h, f)
        v_enc = self.proj_v_enc(a[:, :m]).view(b, m, h, hd)
        if key_mask is not None:
            # The reference zeroes pad keys before the feature map; phi(0) = e0 still counts them (spec §4.3).
            k = k * key_mask[:, :, None, None]
            k_enc = k_enc * key_mask[:, :m, None, None]
        num, den = causal_taylor(q, k, v)
        enc_scores = taylor_scores(q, k_enc)  # every query sees the whole encoder prefix
        num = num + torch.einsum("bhtj,bjhe->bthe", enc_scores, v_enc)
        den = den + enc_scores.sum(-1).transpose(1, 2).unsqueeze(-1)
        return self.out_proj((num / (den + 1e-12)).reshape(b, t, h * hd))


class LinearAttention(nn.Module):
    """Based's mixer (spec §10.3): causal Taylor linear attention, no encoder."""

    def __init__(self, d, heads, feature_dim):
        super().__init__()
        self.heads, self.feature_dim, self.head_dim = heads, feature_dim, d // heads
        self.proj_q = nn.Linear(d, heads * feature_dim, bias=False)
        self.proj_k = nn.Linear(d, heads * feature_dim, bias=False)
        self.proj_v = nn.Linear(d, d, bias=False)
        self.out_proj = nn.Linear(d, d, bias=False)

    def forward(self, a, **_):
        b, t, _ = a.shape
        h, f, hd = self.heads, self.feature_dim, self.head_dim
        q = self.proj_q(a).view(b, t, h, f)
        k = self.proj_k(a).view(b, t, h, f)
        v = self.proj_v(a).view(b, t, h, hd)
        num, den = causal_taylor(q, k, v)
        return self.out_proj((num / (den + 1e-12)).reshape(b, t, h * hd))


def rotate(x, positions):
    """Non-interleaved rotary over the full head dim, base 10000 (spec §5)."""
    hd = x.shape[-1]
    inv_freq = 1.0 / (10000 ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
    theta = positions.to(torch.float32)[:, None] * inv_freq[None, :]
    cos, sin = theta.cos()[None, :, None, :], theta.sin()[None, :, None, :]
    x1, x2 = x[..., : hd // 2], x[..., hd // 2:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)


class SlidingWindowAttention(nn.Module):
    """Softmax attention over window_size//2 keys back plus self, rotary q and k (spec §5)."""

    def __init__(self, d, heads, window_size):
        super().__init__()
        self.heads, self.head_dim, self.back = heads, d // heads, window_size // 2
        self.Wqkv = nn.Linear(d, 3 * d, bias=False)
        self.out_proj = nn.Linear(d, d, bias=False)

    def forward(self, a, **_):
        b, t, d = a.shape
        qkv = self.Wqkv(a).view(b, t, 3, self.heads, self.head_dim)
        positions = torch.arange(t)
        q, k, v = rotate(qkv[:, :, 0], positions), rotate(qkv[:, :, 1], positions), qkv[:, :, 2]
        i, j = positions[:, None], positions[None, :]
        allowed = (j <= i) & (j >= i - self.back)
        att = torch.einsum("bihe,bjhe->bhij", q, k) / math.sqrt(self.head_dim)
        att = att.masked_fill(~allowed, float("-inf")).softmax(-1)
        return self.out_proj(torch.einsum("bhij,bjhe->bihe", att, v).reshape(b, t, d))


class Layer(nn.Module):
    def __init__(self, mixer, d, mlp_hidden, eps):
        super().__init__()
        self.norm1 = RMSNorm(d, eps)
        self.mixer = mixer
        self.norm2 = RMSNorm(d, eps)
        self.mlp = SwiGluMlp(d, mlp_hidden)


class _Embeddings(nn.Module):
    def __init__(self, vocab, d):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, d)


class _Transformer(nn.Module):
    def __init__(self, vocab, d, layers, eps):
        super().__init__()
        self.embeddings = _Embeddings(vocab, d)
        self.layers = nn.ModuleList(layers)
        self.ln_f = RMSNorm(d, eps)


class RecurrentLM(nn.Module):
    """The whole model (spec §2); the lm head is tied to the embedding over the padded vocabulary."""

    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        d = spec.d_model
        layers = [Layer(self._mixer(kind, spec), d, spec.mlp_hidden, spec.eps) for kind in spec.layer_kinds]
        self.transformer = _Transformer(spec.padded_vocab, d, layers, spec.eps)

    @staticmethod
    def _mixer(kind, spec):
        if kind == BASE_CONV:
            return BaseConv(spec.d_model)
        if kind == PREFIX_LINEAR_ATTENTION:
            return PrefixLinearAttention(spec.d_model, spec.la_heads, spec.feature_dim)
        if kind == LINEAR_ATTENTION:
            return LinearAttention(spec.d_model, spec.la_heads, spec.feature_dim)
        if kind == SLIDING_WINDOW:
            return SlidingWindowAttention(spec.d_model, spec.swa_heads, spec.window_size)
        raise ValueError("unknown layer kind " + kind)

    def hidden(self, ids, encoder_length=None, key_mask=None):
        """Final-norm hidden states [B, T, d]. encoder_length: PLA's M for this call (min(enc_length, prompt))."""
        h = self.transformer.embeddings.word_embeddings(ids)
        res = None
        for layer in self.transformer.layers:
            res = h if res is None else h + res
            m = layer.mixer(layer.norm1(res), encoder_length=encoder_length, key_mask=key_mask)
            res = m + res
            h = layer.mlp(layer.norm2(res))
        return self.transformer.ln_f(h + res)

    def logits(self, hidden):
        return hidden @ self.transformer.embeddings.word_embeddings.weight.t()

    def forward(self, ids, encoder_length=None, key_mask=None):
        return self.logits(self.hidden(ids, encoder_length, key_mask))
