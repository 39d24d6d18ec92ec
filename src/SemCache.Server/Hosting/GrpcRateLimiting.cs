using System.Threading.RateLimiting;
using Grpc.Core;
using Microsoft.Extensions.Options;
using SemCache.Server.Auth;
using SemCache.Server.Limits;

namespace SemCache.Server.Hosting;

/// <summary>
/// Requests per second per API key (a token bucket per key), charged by the interceptor once the
/// call is authenticated and its message is known, so that a call costs what it asks for: a
/// LookupBatch of n lookups costs n tokens, not one. A refused call gets ResourceExhausted naming
/// the limit. Buckets exist per key id (bounded by the keys file) plus one shared by calls whose
/// key does not verify, so a flood of random keys cannot create a bucket each.
/// </summary>
internal sealed class GrpcRateLimiting : IDisposable
{
    private const string UnauthenticatedPartition = "\0unauthenticated";

    private readonly ServerOptions _options;
    private readonly PartitionedRateLimiter<string>? _limiter;
    private readonly int _tokenLimit;

    public GrpcRateLimiting(IOptions<ServerOptions> options)
    {
        _options = options.Value;
        if (_options.RequestsPerSecondPerKey > 0)
        {
            var bucket = BucketFor(_options);
            _tokenLimit = bucket.TokenLimit;
            _limiter = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => bucket));
        }
    }

    /// <summary>What a call costs: one token, or one per lookup of a batch.</summary>
    public static int CostOf(object request) => request is SemCache.Grpc.V1.LookupBatchRequest batch ? Math.Max(1, batch.Requests.Count) : 1;

    /// <summary>Charges <paramref name="cost"/> tokens to the key (null: the shared unauthenticated bucket); throws ResourceExhausted when they are not there.</summary>
    public void Charge(string? keyId, int cost)
    {
        if (_limiter is null)
        {
            return;
        }

        // A batch larger than the whole burst costs the whole burst (a bucket never holds more).
        using var lease = _limiter.AttemptAcquire(keyId ?? UnauthenticatedPartition, Math.Min(cost, _tokenLimit));
        if (!lease.IsAcquired)
        {
            throw RichStatus.ResourceExhausted(
                "key",
                "RequestsPerSecondPerKey",
                $"rate limit exceeded: the limit RequestsPerSecondPerKey is {_options.RequestsPerSecondPerKey} (a LookupBatch costs one per lookup)");
        }
    }

    public void Dispose() => _limiter?.Dispose();

    private static TokenBucketRateLimiterOptions BucketFor(ServerOptions options)
    {
        var perSecond = options.RequestsPerSecondPerKey;

        // Refill ten times a second when the rate allows, so a key is not starved for a whole second.
        var periods = Math.Min(10, perSecond);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.RequestBurstPerKey ?? perSecond,
            TokensPerPeriod = (int)Math.Ceiling((double)perSecond / periods),
            ReplenishmentPeriod = TimeSpan.FromSeconds(1.0 / periods),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }
}
