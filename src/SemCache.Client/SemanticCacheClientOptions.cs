namespace SemCache.Client;

/// <summary>Where and how <see cref="SemanticCacheClient"/> reaches a SemCache server.</summary>
public sealed class SemanticCacheClientOptions
{
    /// <summary>The server's gRPC address. Default <c>http://127.0.0.1:50051</c>.</summary>
    public Uri Address { get; set; } = new("http://127.0.0.1:50051");

    /// <summary>The API key; the server derives the tenant and role from it. Required.</summary>
    public string ApiKey { get; set; } = string.Empty;

    /// <summary>
    /// Budget of one lookup. When it runs out the lookup answers a miss with reason <c>deadline</c>,
    /// so the caller simply asks the LLM. Null leaves lookups without a deadline.
    /// </summary>
    public TimeSpan? LookupTimeout { get; set; }

    /// <summary>Compress request messages with gzip (worth it for long prompts and responses).</summary>
    public bool CompressRequests { get; set; }

    /// <summary>Largest response message accepted, in bytes. Default 16 MiB.</summary>
    public int MaxReceiveMessageSize { get; set; } = 16 * 1024 * 1024;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Address, nameof(Address));
        if (!Address.IsAbsoluteUri || (Address.Scheme != Uri.UriSchemeHttp && Address.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"Address must be an absolute http or https URI, got '{Address}'.", nameof(Address));
        }

        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            throw new ArgumentException("ApiKey is required: the server takes the tenant from it.", nameof(ApiKey));
        }

        if (LookupTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(LookupTimeout), timeout, "LookupTimeout must be positive.");
        }

        if (MaxReceiveMessageSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReceiveMessageSize), MaxReceiveMessageSize, "MaxReceiveMessageSize must be positive.");
        }
    }
}
