using BenchmarkDotNet.Running;

// Run e.g.: dotnet run -c Release --project benchmarks/SemCache.Benchmarks -- --filter '*Kernel*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
