namespace SemCache.LoadTest;

/// <summary>What one load run does.</summary>
internal sealed record LoadOptions
{
    public required Uri Server { get; init; }

    public required string Key { get; init; }

    public int Clients { get; init; } = 64;

    public int Channels { get; init; } = 4;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    public double HitRatio { get; init; } = 1.0;

    /// <summary>Weights of exact, semantic-with-text and semantic-with-vector lookups.</summary>
    public (double Exact, double SemanticText, double SemanticVector) Mix { get; init; } = (1, 0, 0);

    public int Entries { get; init; } = 1000;

    public int Dimensions { get; init; } = 384;

    public string Model { get; init; } = "loadtest-model";

    public IReadOnlyList<string>? Prompts { get; init; }

    public int Seed { get; init; } = 42;
}
