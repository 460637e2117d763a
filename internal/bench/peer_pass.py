"""One pass of the PyTorch peer in a process of its own, so that the
process's peak RSS is that pass's.

    python3 peer_pass.py PEERS_DIR SIZE STEM THREADS BATCH PASS WARMUP ITERS

The network (ResNet18, LAYERS) is imported from PEERS_DIR/torch_resnet_bench.py,
and the two passes are that script's own code: a training step (Adam) or a
saliency pass (eval mode, one backward, Grad-CAM++ maps of the 8 thesis
layers). WARMUP untimed steps, then ITERS timed ones. The saliency process
then times the thesis style (one forward+backward per layer, batch 1) too.
Prints one line of key=value fields, times in ms per image (per input for
thesis):

    peer-pass torch=V threads=N size=N stem=S batch=N pass=P best=X median=Y thesis=Z rss=K

rss is the process's peak resident set (VmHWM, KiB; 0 off Linux). Not
getrusage: a child forked by a Go program inherits its parent's high-water
mark into ru_maxrss at exec, so that figure would be gradprint's.
"""
import importlib.util, os, statistics, sys, time

peers, size, stem, threads, batch, pass_, warmup, iters = sys.argv[1:9]
size, threads, batch, warmup, iters = int(size), int(threads), int(batch), int(warmup), int(iters)
spec = importlib.util.spec_from_file_location("peer", os.path.join(peers, "torch_resnet_bench.py"))
peer = importlib.util.module_from_spec(spec)
spec.loader.exec_module(peer)
torch, F = peer.torch, peer.F

torch.set_num_threads(threads); torch.manual_seed(0)
m = peer.ResNet18(1, 2, stem)
x = torch.randn(batch, 1, size, size); y = torch.randint(0, 2, (batch,))

if pass_ == "train":
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    def step():
        m.train(); opt.zero_grad(); F.cross_entropy(m(x), y).backward(); opt.step()
elif pass_ == "saliency":
    m.eval()
    for p in m.parameters(): p.requires_grad_(False)
    acts = {}
    mods = dict(m.named_modules())
    def keep(n):
        def hook(mod, inp, o):
            o.retain_grad(); acts[n] = o
        return hook
    hooks = [mods[n].register_forward_hook(keep(n)) for n in peer.LAYERS]
    xg = x.clone().requires_grad_(True)
    def step():
        out = m(xg); out.gather(1, out.argmax(1, keepdim=True)).sum().backward()
        for n in peer.LAYERS:
            A, g = acts[n], acts[n].grad
            g2 = g * g; g3 = g2 * g
            a = g2 / (2 * g2 + A.sum((2, 3), keepdim=True) * g3 + 1e-7)
            w = (a * F.relu(g)).sum((2, 3), keepdim=True)
            F.relu((w * A).sum(1))
        xg.grad = None
else:
    sys.exit(f"pass {pass_!r}: want train or saliency")

for _ in range(warmup): step()
times = []
for _ in range(iters):
    t = time.perf_counter(); step(); times.append((time.perf_counter() - t) / batch * 1e3)

thesis = 0.0
if pass_ == "saliency":
    x1 = x[:1].clone().requires_grad_(True)
    def thesis_style():
        for n in peer.LAYERS:
            out = m(x1); out[0, out[0].argmax()].backward(); x1.grad = None
    thesis = peer.bench(thesis_style, 2) * 1e3  # best of 2 after one warm-up, as the peer script

def peak_rss_kib():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0

print(f"peer-pass torch={torch.__version__} threads={threads} size={size} stem={stem} batch={batch} "
      f"pass={pass_} best={min(times):.3f} median={statistics.median(times):.3f} thesis={thesis:.1f} rss={peak_rss_kib()}")
