// Entry point of faultline_bench: every benchmark in bench/ links into one binary.
// Figures, the exact commands and the machine they ran on: BENCHMARKS.md.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
