using System.CommandLine;
using SemCache.GpuBench;

// The figures of benchmarks/gpu/run.sh that need ILGPU or plain number crunching; one JSON line each on stdout.
var root = new RootCommand("SemCache GPU check: ILGPU batch similarity against the CPU exact scan, embedder parity, test sentences.");
root.Subcommands.Add(SimilarityBench.Create());
root.Subcommands.Add(ParityCommand.Create());
root.Subcommands.Add(SentencesCommand.Create());
return await root.Parse(args).InvokeAsync();
