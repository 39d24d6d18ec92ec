namespace SemCache;

/// <summary>
/// The prompt-prefix (KV cache) index: which backend — an engine replica or a provider endpoint — holds which
/// prefix of a prompt, learned from engine KV events or from the router's own history, and what sending a prompt
/// to each backend is expected to cost. A sibling of <see cref="ISemanticCache"/>: the embedded engine and the
/// remote client both implement it. Every request names its tenant; a server takes the tenant from the API key.
/// Tenants never share a prefix: keys are chained from a seed derived from a secret and the tenant's salt.
/// </summary>
public interface IPrefixCache
{
    /// <summary>Registers a backend (or replaces its description). Changing its tokenizer or block size forgets what it held.</summary>
    /// <exception cref="ArgumentException">The description is invalid, or the tenant already has the most backends allowed.</exception>
    ValueTask RegisterBackendAsync(string tenant, PrefixBackend backend, CancellationToken cancellationToken = default);

    /// <summary>Forgets a backend and everything it held. Returns false when it was not registered.</summary>
    ValueTask<bool> RemoveBackendAsync(string tenant, string backendId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Applies a stream of KV events of one backend (vLLM style: <c>BlockStored</c> with parent hash and token ids,
    /// <c>BlockRemoved</c>, <c>AllBlocksCleared</c>). Keys are recomputed from the token ids, so the engine's own hash
    /// settings do not matter; a block whose parent has not arrived yet is buffered (bounded), not dropped.
    /// </summary>
    /// <exception cref="ArgumentException">The backend is not registered, or an event is malformed (the message says which).</exception>
    ValueTask<KvEventsResult> ApplyKvEventsAsync(string tenant, string backendId, IAsyncEnumerable<KvEvent> events, CancellationToken cancellationToken = default);

    /// <summary>
    /// Per candidate backend: the matched prefix, the tokens expected to be read from its cache under its rules,
    /// the estimated cost with and without that cache, and a recommended backend balancing overlap against load.
    /// </summary>
    ValueTask<PrefixMatchResult> MatchAsync(PrefixMatchRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Explains a miss: for the best-matching recently routed prompt, the first diverging block and the character
    /// offset and text around it (for example a timestamp in the system prompt that changed).
    /// </summary>
    ValueTask<PrefixExplanation> ExplainAsync(PrefixExplainRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reports that a prompt was sent to a backend, optionally with the cached tokens the provider reported: the
    /// backend is then expected to hold the prompt's prefix (under its rules), and predicted versus reported cached
    /// tokens is recorded as a metric.
    /// </summary>
    ValueTask<PrefixUsageResult> ReportUsageAsync(PrefixUsageReport report, CancellationToken cancellationToken = default);
}
