namespace SemCache.Storage;

/// <summary>
/// The store refused a write because an earlier write-ahead log commit failed (disk full, I/O
/// error). Reads are still served; writes stay refused until the process restarts and recovers
/// from what was committed. A server answers it as UNAVAILABLE.
/// </summary>
internal sealed class StoreFaultedException : IOException
{
    public StoreFaultedException(string reason, Exception? innerException = null)
        : base("The store is faulted and refuses writes until restart: " + reason, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the store faulted, without the refusal text.</summary>
    public string Reason { get; }
}

/// <summary>
/// Faulted stores by data directory, so that a health check finds a fault without reaching into the
/// engine that owns the store (the check knows the configured directory, not the store object).
/// </summary>
internal static class StoreFaults
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Faults = new(StringComparer.Ordinal);

    public static void Report(string dataDirectory, string reason) => Faults[Path.GetFullPath(dataDirectory)] = reason;

    public static void Clear(string dataDirectory) => Faults.TryRemove(Path.GetFullPath(dataDirectory), out _);

    /// <summary>Why the store in <paramref name="dataDirectory"/> is faulted, or null.</summary>
    public static string? Of(string dataDirectory) =>
        Faults.TryGetValue(Path.GetFullPath(dataDirectory), out var reason) ? reason : null;
}
