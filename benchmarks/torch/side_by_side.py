"""PyTorch side of `clt-bench --suite torch`: a worker that clt-bench starts once and drives over
stdin/stdout, so each workload's rounds interleave with clt's in the same run (neighbours and drift
hit both alike; read the ratios).

Protocol, one JSON object per line:
  -> {"setup": CASE, "args": {...}}      <- {"ok": true} or {"error": "..."}
  -> {"run": CASE, "reps": R}            <- {"wallMs": [...], "cpuMs": [...]}   (R timed calls)
  -> {"quit": true}
The first line the worker writes is {"torch": VERSION, "threads": T} (or {"error": ...}).

Cases mirror benchmarks/src/torch-suite.ts: the fused SGD step of an MLP (forward, backward,
momentum update, reading the loss), gradient energy by ghost norms (per-sample gradient norms from
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


def sgd_step(sizes, batch):
    ps = mlp_params(sizes)
    vs = [torch.zeros_like(p) for p in ps]
    g = torch.Generator().manual_seed(2)
    x = torch.randn(batch, sizes[0], generator=g)
    y = torch.randint(0, sizes[-1], (batch,), generator=g)
    lr, mu = 1e-3, 0.9

    def step():
        loss = torch.nn.functional.cross_entropy(forward(ps, x), y)
        gs = torch.autograd.grad(loss, ps)
        with torch.no_grad():
            for p, v, gr in zip(ps, vs, gs):
                v.mul_(mu).add_(gr)
                p.sub_(lr * v)
        return loss.item()  # what a trainer reads each step, as clt does

    return step


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


def dense_eig(size):
    g = torch.Generator().manual_seed(4)
    a = torch.randn(size, size, generator=g, dtype=torch.float64)
    a = (a + a.T) / 2
    return lambda: torch.linalg.eigvalsh(a)[0].item()


CASES = {"sgd-step": sgd_step, "gradient-energy": gradient_energy, "ntk": ntk, "ntk-extremes": ntk_extremes, "dense-eig": dense_eig}


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
