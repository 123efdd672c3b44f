// Filled in by the BinaryMatch work (issue 6).
let bitMatchBenchmarks: [Benchmark] = []
