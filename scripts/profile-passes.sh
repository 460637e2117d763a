#!/usr/bin/env bash
# Where each ResNet18 pass spends its CPU time, as the table in
# docs/benchmarks.md groups it: perf samples of compute/resnet's pass
# benchmarks, bucketed by symbol. Needs perf (linux-perf).
#
#   scripts/profile-passes.sh [TEST_BINARY] [BENCH_REGEX] [ITERS]
#
# TEST_BINARY defaults to a fresh `go test -c ./compute/resnet`; build one
# from another commit to profile it the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [[ -z $bin ]]; then
	bin=$(mktemp -d)/resnet.test
	go test -c -o "$bin" ./compute/resnet
fi
regex=${2:-'TrainStep28|Saliency28|TrainStep64|Saliency64'}
iters=${3:-10x}
command -v perf >/dev/null || { echo "profile-passes: perf not found (apt-get install linux-perf)" >&2; exit 1; }
for b in $(echo "$regex" | tr '|' ' '); do
	data=$(mktemp)
	perf record -q -o "$data" -F 1999 "$bin" -test.run '^$' -test.bench "^Benchmark$b\$" -test.benchtime "$iters" >/dev/null 2>&1
	perf report -i "$data" --no-children --sort symbol --stdio 2>/dev/null | awk -v name="$b" '
		/^#/ || NF < 3 { next }
		{
			pct = $1; sub("%", "", pct); sym = $3
			if (sym ~ /^sgemm_|^dgemm_|gemm_kernel|_beta_/) b = "GEMM (OpenBLAS: kernel and packing)"
			else if (sym ~ /gp_unpacked/) b = "GEMM (unpacked AVX-512 kernel)"
			else if (sym ~ /gp_wino_|winoInput|winoOutput|WinogradWeights|winoWeight/) b = "Winograd transforms"
			else if (sym ~ /gp_bn_|gp_relu|reluMask|batchNorm|epilogue|gp_adam|adam/) b = "batch norm, ReLU, Adam"
			else if (sym ~ /im2col|col2im/) b = "im2col / col2im"
			else if (sym ~ /memset|memclr|clear_page|page_fault|exc_page|mallocgc|handle_mm|do_anonymous|memcg|charge|alloc_pages|zap_|free_pages|mmap|munmap/) b = "allocation and page clearing"
			else b = "other"
			share[b] += pct
		}
		END {
			printf "%s\n", name
			n = split("GEMM (OpenBLAS: kernel and packing)|GEMM (unpacked AVX-512 kernel)|Winograd transforms|batch norm, ReLU, Adam|im2col / col2im|allocation and page clearing|other", order, "|")
			for (i = 1; i <= n; i++) printf "  %-38s %5.1f %%\n", order[i], share[order[i]]
		}'
	rm -f "$data"
done
