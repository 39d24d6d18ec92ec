using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SemCache.Vectors;

namespace SemCache.Gpu;

/// <summary>Opens the batch similarity scorer for this machine.</summary>
public static class GpuBatchScorers
{
    /// <summary>
    /// The scorer <paramref name="options"/> asks for: with <see cref="GpuAcceleratorKind.Auto"/>, an
    /// ILGPU CUDA scorer when a CUDA device is present, else the engine's CPU scorer
    /// (<see cref="BatchSimilarityScorers.Cpu"/>); the choice and its reason are logged, and
    /// <see cref="IBatchSimilarityScorer.Accelerator"/> names it (the engine's stats show it).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is invalid.</exception>
    /// <exception cref="InvalidOperationException"><see cref="GpuAcceleratorKind.Cuda"/> was asked for and there is no CUDA device.</exception>
    public static IBatchSimilarityScorer Open(GpuScorerOptions? options = null, ILogger? logger = null)
    {
        options ??= new GpuScorerOptions();
        options.Validate();
        logger ??= NullLogger.Instance;
        var scorer = IlgpuBatchScorer.Open(options, logger, out var reason);
        IBatchSimilarityScorer chosen = scorer is null ? BatchSimilarityScorers.Cpu : scorer;
        Log.AcceleratorChosen(logger, chosen.Accelerator, reason);
        return chosen;
    }

    /// <summary>True when ILGPU finds a CUDA device on this machine; <paramref name="reason"/> says what was found.</summary>
    public static bool HasCuda(out string reason)
    {
        using var scorer = IlgpuBatchScorer.Open(new GpuScorerOptions { Accelerator = GpuAcceleratorKind.Auto }, NullLogger.Instance, out reason);
        return scorer is not null;
    }
}
