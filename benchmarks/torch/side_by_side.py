"""PyTorch side of `clt-bench --suite torch`: a worker that clt-bench starts once and drives over
stdin/stdout, so each workload's rounds interleave with clt's in the same run (neighbours and drift
hit both alike; read the ratios).

Protocol, one JSON object per line:
  -> {"setup": CASE, "args": {...}}      <- {"ok": true} or {"error": "..."}
  -> {"run": CASE, "reps": R}            <- {"wallMs": [...], "cpuMs": [...]}   (R timed calls)
  -> {"quit": true}
The first line the worker writes is {"torch": VERSION, "threads": T} (or {"error": ...}).

Cases mirror benchmarks/src/torch-suite.ts: the fused SGD step of an MLP (forward, backward,
momentum update, reading the loss), the same step for LeNet-5 on MNIST-shaped inputs and for
ResNet-18 with GroupNorm(1, C) in place of BatchNorm on CIFAR-shaped inputs (clt's LeNet and ResNet
layouts, packages/core/src/models), gradient energy by ghost norms (per-sample gradient norms from
the layer inputs and output gradients, no per-sample gradients formed), the empirical NTK by the
layer-wise formula (d backward passes, then Σ_l (A Aᵀ + 1) ⊙ (B Bᵀ)), dense eigenvalues (eigvalsh, float64), and λ_min/λ_max of
the NTK (form it, then eigvalsh: the usual way in PyTorch).

Usage: python3 side_by_side.py THREADS
"""
import json, sys, time

try:
    import torch
except Exception as e:  # reported to clt-bench, which skips the suite with this reason
    print(json.dumps({"error": f"cannot import torch: {e}"}), flush=True)
    sys.exit(0)


def mlp_params(sizes, dtype=torch.float32):
    g = torch.Generator().manual_seed(1)
    ps = []
    for i in range(len(sizes) - 1):
        w = torch.randn(sizes[i + 1], sizes[i], generator=g) * (2.0 / sizes[i]) ** 0.5
        ps += [w.to(dtype).requires_grad_(), torch.zeros(sizes[i + 1], dtype=dtype).requires_grad_()]
    return ps


def forward(ps, x, keep=None):
    h = x
    n = len(ps) // 2
    for l in range(n):
        if keep is not None:
            keep.append(h)
        z = h @ ps[2 * l].T + ps[2 * l + 1]
        if keep is not None:
            keep.append(z)
        h = torch.relu(z) if l + 1 < n else z
    return h


def sgd_steps(sizes, batch, steps=1):
    """`steps` SGD steps of the MLP per call, each on its own batch, reading every step's loss, as a
    trainer does (clt: one step per run, or `steps` fused into one run)."""
    ps = mlp_params(sizes)
    vs = [torch.zeros_like(p) for p in ps]
    g = torch.Generator().manual_seed(2)
    xs = [torch.randn(batch, sizes[0], generator=g) for _ in range(steps)]
    ys = [torch.randint(0, sizes[-1], (batch,), generator=g) for _ in range(steps)]
    lr, mu = 1e-3, 0.9

    def run():
        losses = []
        for x, y in zip(xs, ys):
            loss = torch.nn.functional.cross_entropy(forward(ps, x), y)
            gs = torch.autograd.grad(loss, ps)
            with torch.no_grad():
                for p, v, gr in zip(ps, vs, gs):
                    v.mul_(mu).add_(gr)
                    p.sub_(lr * v)
            losses.append(loss.item())
        return losses

    return run


class LeNet(torch.nn.Module):
    """clt's LeNet: conv 5×5 (6, padded by 2 below 32×32) → relu → max-pool 2 → conv 5×5 (16) → relu →
    max-pool 2 → dense 120 → relu → 84 → relu → classes."""

    def __init__(self, input_shape, classes):
        super().__init__()
        c, h, _ = input_shape
        pad = 2 if h < 32 else 0
        side = ((h + 2 * pad - 4) // 2 - 4) // 2
        self.c0 = torch.nn.Conv2d(c, 6, 5, padding=pad)
        self.c1 = torch.nn.Conv2d(6, 16, 5)
        self.f0 = torch.nn.Linear(16 * side * side, 120)
        self.f1 = torch.nn.Linear(120, 84)
        self.f2 = torch.nn.Linear(84, classes)

    def forward(self, x):
        F = torch.nn.functional
        h = F.max_pool2d(F.relu(self.c0(x)), 2)
        h = F.max_pool2d(F.relu(self.c1(h)), 2)
        h = F.relu(self.f0(h.flatten(1)))
        return self.f2(F.relu(self.f1(h)))


class BasicBlock(torch.nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = torch.nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.n1 = torch.nn.GroupNorm(1, cout)
        self.c2 = torch.nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.n2 = torch.nn.GroupNorm(1, cout)
        self.sc = None
        if stride != 1 or cin != cout:
            self.sc = torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 1, stride, 0, bias=False), torch.nn.GroupNorm(1, cout))

    def forward(self, h):
        F = torch.nn.functional
        f = self.n2(self.c2(F.relu(self.n1(self.c1(h)))))
        return F.relu(f + (h if self.sc is None else self.sc(h)))


class ResNet18LN(torch.nn.Module):
    """clt's ResNet (CIFAR layout): stem conv 3×3 (w) → GroupNorm(1) → relu; stages of 2 basic blocks
    with w, 2w, 4w, 8w channels, stride 2 at the start of stages 2–4, projection shortcuts where the
    shape changes; global average pool → dense. No biases in the convolutions."""

    def __init__(self, input_shape, classes, width=64):
        super().__init__()
        c = input_shape[0]
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(c, width, 3, 1, 1, bias=False), torch.nn.GroupNorm(1, width), torch.nn.ReLU())
        blocks, cin = [], width
        for s in range(4):
            cout = width * 2 ** s
            for k in range(2):
                blocks.append(BasicBlock(cin, cout, 2 if s > 0 and k == 0 else 1))
                cin = cout
        self.blocks = torch.nn.Sequential(*blocks)
        self.fc = torch.nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


def model_step(model, input_shape, classes, batch):
    """The SGD step of a torch module, as `sgd_steps`: forward, backward, momentum update, read the loss."""
    torch.manual_seed(1)
    ps = list(model.parameters())
    vs = [torch.zeros_like(p) for p in ps]
    g = torch.Generator().manual_seed(2)
    x = torch.randn(batch, *input_shape, generator=g)
    y = torch.randint(0, classes, (batch,), generator=g)
    lr, mu = 1e-3, 0.9

    def step():
        loss = torch.nn.functional.cross_entropy(model(x), y)
        gs = torch.autograd.grad(loss, ps)
        with torch.no_grad():
            for p, v, gr in zip(ps, vs, gs):
                v.mul_(mu).add_(gr)
                p.sub_(lr * v)
        return loss.item()

    return step


def lenet_step(batch, input_shape=(1, 28, 28), classes=10):
    torch.manual_seed(1)
    return model_step(LeNet(tuple(input_shape), classes), tuple(input_shape), classes, batch)


def resnet18_step(batch, input_shape=(3, 32, 32), classes=10, width=64):
    torch.manual_seed(1)
    return model_step(ResNet18LN(tuple(input_shape), classes, width), tuple(input_shape), classes, batch)


def gradient_energy(sizes, batch):
    """E = (1/n) Σ_i ‖∇θ ℓ_i‖², ghost norms: ‖∂ℓ_i/∂W_l‖² = ‖δ_il‖²‖a_il‖², bias ‖δ_il‖²."""
    ps = mlp_params(sizes)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(batch, sizes[0], generator=g)
    y = torch.randint(0, sizes[-1], (batch,), generator=g)

    def run():
        keep = []
        f = forward(ps, x, keep)
        loss = torch.nn.functional.cross_entropy(f, y, reduction="sum")  # row i's gradient is ℓ_i's
        ins, zs = keep[0::2], keep[1::2]
        deltas = torch.autograd.grad(loss, zs)
        with torch.no_grad():
            e = torch.zeros(batch)
            for a, d in zip(ins, deltas):
                dd = (d * d).sum(1)
                e += dd * ((a * a).sum(1) + 1)
            return e.mean().item()

    return run


def ntk_layerwise(sizes, n, dtype=torch.float32):
    """Θ = Σ_l (A_l A_lᵀ + 1) ⊙ (B_l B_lᵀ), B_l = ∂f/∂z_l by d backward passes: the fast exact NTK of
    an MLP in PyTorch (the same formula clt's layer-wise algorithm uses; forming J by
    torch.func.vmap(jacrev) is tens of times slower and holds n·d·P values)."""
    ps = mlp_params(sizes, dtype)
    x = torch.randn(n, sizes[0], generator=torch.Generator().manual_seed(3), dtype=dtype)
    d = sizes[-1]

    def form():
        keep = []
        f = forward(ps, x, keep)
        ins, zs = keep[0::2], keep[1::2]
        per_k = [torch.autograd.grad(f[:, k].sum(), zs, retain_graph=k + 1 < d) for k in range(d)]
        with torch.no_grad():
            K = None
            for l, a in enumerate(ins):
                B = torch.stack([g[l] for g in per_k], 1).reshape(n * d, -1)  # [(i,k), out]
                G = (a @ a.T + 1).repeat_interleave(d, 0).repeat_interleave(d, 1)
                term = (B @ B.T) * G
                K = term if K is None else K.add_(term)
            return K

    return form


def ntk(sizes, n):
    form = ntk_layerwise(sizes, n)
    return lambda: form()[0, 0].item()


def ntk_extremes(sizes, n):
    form = ntk_layerwise(sizes, n)

    def run():
        ev = torch.linalg.eigvalsh(form().double())
        return ev[0].item(), ev[-1].item()

    return run


def gemm_floor(sizes, batch):
    """The MLP step's matrix products alone (forward a W^T, backward d^T a and d W), same shapes, each
    summed to a scalar read at the end, as clt's gemm-floor graph."""
    g = torch.Generator().manual_seed(2)
    mats = []
    for l in range(len(sizes) - 1):
        a = torch.randn(batch, sizes[l], generator=g) * 0.1
        w = torch.randn(sizes[l + 1], sizes[l], generator=g) * 0.1
        d = torch.randn(batch, sizes[l + 1], generator=g) * 0.1
        mats.append((l, a, w, d))

    def run():
        with torch.no_grad():
            total = 0.0
            for l, a, w, d in mats:
                total = total + (a @ w.T).sum() + (d.T @ a).sum()
                if l > 0:
                    total = total + (d @ w).sum()
            return float(total)
    return run


def dense_eig(size):
    g = torch.Generator().manual_seed(4)
    a = torch.randn(size, size, generator=g, dtype=torch.float64)
    a = (a + a.T) / 2
    return lambda: torch.linalg.eigvalsh(a)[0].item()


CASES = {"sgd-step": sgd_steps, "sgd-steps": sgd_steps, "lenet-step": lenet_step, "resnet18-step": resnet18_step, "gradient-energy": gradient_energy, "ntk": ntk, "ntk-extremes": ntk_extremes, "dense-eig": dense_eig, "gemm-floor": gemm_floor}


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    torch.set_num_threads(threads)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    ready = {}
    for line in sys.stdin:
        msg = json.loads(line)
        try:
            if "quit" in msg:
                break
            if "setup" in msg:
                case = msg["setup"]
                kind = case.split("/")[0]
                ready[case] = CASES[kind](**msg.get("args", {}))
                out = {"ok": True}
            else:
                fn = ready[msg["run"]]
                wall, cpu = [], []
                for _ in range(int(msg.get("reps", 1))):
                    t0, c0 = time.perf_counter(), time.process_time()
                    fn()
                    wall.append((time.perf_counter() - t0) * 1e3)
                    cpu.append((time.process_time() - c0) * 1e3)
                out = {"wallMs": wall, "cpuMs": cpu}
        except Exception as e:
            out = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
