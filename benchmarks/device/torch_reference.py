"""PyTorch reference for the clt throughput workloads, run beside clt-bench on the GPU machine.

Same shapes and update rule as benchmarks/src/throughput: the fused SGD step (forward, backward,
momentum update) of an MLP, its GEMM floor (the same matrix products alone), and the empirical NTK of
an MLP by torch.func (per-sample Jacobians, then J Jᵀ). Figures are medians of CUDA-synchronized
samples; clt figures are reported as ratios to these, measured in the same run.

Usage: python torch_reference.py OUT.json [--quick]
"""
import json, sys, time, statistics
import torch

def timeit(fn, warmup=5, samples=20, sync=None):
    for _ in range(warmup):
        fn()
    if sync: sync()
    out = []
    for _ in range(samples):
        t0 = time.perf_counter(); fn()
        if sync: sync()
        out.append((time.perf_counter() - t0) * 1e3)
    s = sorted(out)
    return {"medianMs": statistics.median(s), "p25Ms": s[len(s) // 4], "p75Ms": s[(3 * len(s)) // 4], "samplesMs": out}

def mlp_params(sizes, dev, dtype):
    g = torch.Generator(device="cpu").manual_seed(1)
    ps = []
    for i in range(len(sizes) - 1):
        w = torch.randn(sizes[i + 1], sizes[i], generator=g) * (2.0 / sizes[i]) ** 0.5
        ps += [w.to(dev, dtype).requires_grad_(), torch.zeros(sizes[i + 1], device=dev, dtype=dtype).requires_grad_()]
    return ps

def forward(ps, x):
    h = x
    n = len(ps) // 2
    for l in range(n):
        h = h @ ps[2 * l].T + ps[2 * l + 1]
        if l + 1 < n:
            h = torch.relu(h)
    return h

def sgd_step_case(sizes, batch, dev, dtype, compile_step=False):
    ps = mlp_params(sizes, dev, dtype)
    vs = [torch.zeros_like(p) for p in ps]
    x = torch.randn(batch, sizes[0], device=dev, dtype=dtype)
    y = torch.randint(0, sizes[-1], (batch,), device=dev)
    lr, mu = 1e-3, 0.9
    def step():
        loss = torch.nn.functional.cross_entropy(forward(ps, x), y)
        gs = torch.autograd.grad(loss, ps)
        with torch.no_grad():
            for p, v, g in zip(ps, vs, gs):
                v.mul_(mu).add_(g); p.sub_(lr * v)
        return loss.item()  # what a trainer reads each step, as clt does
    return step

def gemm_floor_case(sizes, batch, dev, dtype):
    g = torch.Generator(device="cpu").manual_seed(2)
    mats = []
    for l in range(len(sizes) - 1):
        a = torch.randn(batch, sizes[l], generator=g).to(dev, dtype) * 0.1
        w = torch.randn(sizes[l + 1], sizes[l], generator=g).to(dev, dtype) * 0.1
        d = torch.randn(batch, sizes[l + 1], generator=g).to(dev, dtype) * 0.1
        mats.append((l, a, w, d))
    def run():
        total = 0
        for l, a, w, d in mats:
            total = total + (a @ w.T).sum() + (d.T @ a).sum()
            if l > 0:
                total = total + (d @ w).sum()
        return total.item()
    return run

def ntk_case(sizes, n, dev, dtype):
    from torch.func import functional_call, jacrev, vmap
    ps = mlp_params(sizes, dev, dtype)
    x = torch.randn(n, sizes[0], device=dev, dtype=dtype)
    def f(params, xi):
        return forward(params, xi.unsqueeze(0)).squeeze(0)
    def run():
        jac = vmap(jacrev(f), (None, 0))([p.detach() for p in ps], x)  # list of [n, d, *p.shape]
        jflat = torch.cat([j.reshape(n * sizes[-1], -1) for j in jac], dim=1)
        K = jflat @ jflat.T
        ev = torch.linalg.eigvalsh(K.double())
        return ev[0].item(), ev[-1].item()
    return run

def main():
    out_path = sys.argv[1]
    quick = "--quick" in sys.argv
    res = {"torch": torch.__version__, "cuda": torch.version.cuda, "results": []}
    devs = ["cuda"] if torch.cuda.is_available() else []
    devs.append("cpu")
    if torch.cuda.is_available():
        res["gpu"] = torch.cuda.get_device_name(0)
    head = [784, 256, 256, 10]
    sweeps = [(head, 128)] + ([] if quick else [(head, 32), (head, 512), ([784, 128, 128, 10], 128), ([784, 512, 512, 10], 128)])
    for dev in devs:
        sync = torch.cuda.synchronize if dev == "cuda" else None
        for sizes, n in sweeps:
            tag = "-".join(map(str, sizes))
            for name, fn in ((f"sgd-step/{tag}/n{n}", sgd_step_case(sizes, n, dev, torch.float32)), (f"gemm-floor/{tag}/n{n}", gemm_floor_case(sizes, n, dev, torch.float32))):
                t = timeit(fn, sync=sync)
                res["results"].append({"backend": f"torch-{dev}", "case": name, "timing": t, "perSecond": 1000 / t["medianMs"], "unit": "steps"})
                print(f"torch-{dev} {name}: {t['medianMs']:.3f} ms", flush=True)
        t = timeit(ntk_case([784, 512, 512, 10], 256, dev, torch.float32), warmup=1, samples=3 if quick else 5, sync=sync)
        res["results"].append({"backend": f"torch-{dev}", "case": "ntk-dense-eig/784-512-512-10/n256", "timing": t, "perSecond": 1000 / t["medianMs"], "unit": "ntk"})
        print(f"torch-{dev} ntk: {t['medianMs']:.1f} ms", flush=True)
    with open(out_path, "w") as f:
        json.dump(res, f, indent=1)

if __name__ == "__main__":
    main()
