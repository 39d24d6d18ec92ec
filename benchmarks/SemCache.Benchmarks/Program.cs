using BenchmarkDotNet.Running;

// Run e.g.: dotnet run -c Release --project benchmarks/SemCache.Benchmarks -- --filter '*Kernel*'
if (args.Length > 0 && args[0] == "verifier-eval")
{
    return SemCache.Benchmarks.Verification.VerifierEvaluation.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
