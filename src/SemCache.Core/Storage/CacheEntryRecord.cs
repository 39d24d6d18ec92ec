namespace SemCache.Storage;

/// <summary>
/// One stored answer, as the engine and the store exchange it. Immutable once stored: a replaced
/// answer is a new entry with a new id.
/// </summary>
internal sealed class CacheEntryRecord
{
    /// <summary>Engine-assigned id, strictly increasing over the life of the store (also across restarts).</summary>
    public required long Id { get; init; }

    public required string Tenant { get; init; }

    /// <summary>SHA-256 of the canonical scope (32 bytes): compared on exact hits so a hash collision cannot serve another scope.</summary>
    public required byte[] ScopeFingerprint { get; init; }

    /// <summary>Hash of the earlier conversation turns (32 bytes, all zero without context).</summary>
    public required byte[] ContextFingerprint { get; init; }

    /// <summary>Partition (tenant, scope, context) the entry's vector lives in.</summary>
    public required UInt128 PartitionKey { get; init; }

    /// <summary>Exact-layer key: hash of tenant, scope, context and normalised prompt (32 bytes).</summary>
    public required byte[] ExactKey { get; init; }

    /// <summary>The prompt as given (the exact layer compares its normalised form).</summary>
    public required string Prompt { get; init; }

    public required string Response { get; init; }

    /// <summary>
    /// Answers stored earlier for the same prompt, newest first, kept beside <see cref="Response"/>
    /// when several answers per prompt are allowed (sampled requests); empty otherwise.
    /// </summary>
    public IReadOnlyList<string> EarlierResponses { get; init; } = [];

    public required IReadOnlyList<string> Tags { get; init; }

    public required long CreatedUtcTicks { get; init; }

    /// <summary>0 when the entry never expires.</summary>
    public required long ExpiresUtcTicks { get; init; }

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    public double Cost { get; init; }

    /// <summary>L2-normalised embedding, or null when the entry is exact-only.</summary>
    public float[]? Vector { get; init; }

    /// <summary>
    /// Error-budget labels of the entry, oldest first (bounded by <c>ErrorBudgetOptions.MaxLabelsPerEntry</c>):
    /// kept with the entry so its learned model survives a restart. Empty for most entries.
    /// </summary>
    public IReadOnlyList<Budget.BudgetLabel> Labels { get; init; } = [];

    /// <summary>A copy with other labels; every other field is kept, the id included.</summary>
    public CacheEntryRecord WithLabels(IReadOnlyList<Budget.BudgetLabel> labels) => Copy(Id, Vector, labels);

    /// <summary>A copy with another vector (re-embedding); every other field is kept, the id included.</summary>
    public CacheEntryRecord WithVector(float[]? vector) => Copy(Id, vector, Labels);

    /// <summary>A copy under another id (an entry imported from another engine); every other field is kept.</summary>
    public CacheEntryRecord WithId(long id) => Copy(id, Vector, Labels);

    // The one field-by-field copy: a field added to the record is added here once, for every With… above.
    private CacheEntryRecord Copy(long id, float[]? vector, IReadOnlyList<Budget.BudgetLabel> labels) => new()
    {
        Id = id,
        Tenant = Tenant,
        ScopeFingerprint = ScopeFingerprint,
        ContextFingerprint = ContextFingerprint,
        PartitionKey = PartitionKey,
        ExactKey = ExactKey,
        Prompt = Prompt,
        Response = Response,
        EarlierResponses = EarlierResponses,
        Tags = Tags,
        CreatedUtcTicks = CreatedUtcTicks,
        ExpiresUtcTicks = ExpiresUtcTicks,
        InputTokens = InputTokens,
        OutputTokens = OutputTokens,
        Cost = Cost,
        Vector = vector,
        Labels = labels,
    };

    /// <summary>Bytes the entry accounts for in capacity limits.</summary>
    public long SizeInBytes =>
        96 + ((Prompt.Length + Response.Length) * 2L) + EarlierResponses.Sum(r => 24L + r.Length * 2L) + (Vector?.Length * 4L ?? 0) + Tenant.Length * 2L
        + Tags.Sum(t => 24L + t.Length * 2L);
}
