using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using SemCache.Server.Auth;

namespace SemCache.Server.Hosting;

/// <summary>
/// Requests per second per API key, with ASP.NET Core rate limiting (a token bucket per key). A
/// refused call gets a gRPC ResourceExhausted status that names the limit.
/// </summary>
internal static class GrpcRateLimiting
{
    public const string PolicyName = "per-key";

    // Calls whose key does not verify share one bucket: they fail authentication anyway, and a
    // flood of random keys must not create one bucket each.
    private const string UnauthenticatedPartition = "\0unauthenticated";

    public static IServiceCollection AddPerKeyRateLimiting(this IServiceCollection services)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(PolicyName, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<ServerOptions>>().Value;
                var keys = context.RequestServices.GetRequiredService<ApiKeyStore>();
                var partition = keys.TryAuthenticate(ApiKeyHeader.Read(context.Request.Headers), out var identity)
                    ? identity.KeyId
                    : UnauthenticatedPartition;
                return RateLimitPartition.GetTokenBucketLimiter(partition, _ => BucketFor(options));
            });
            limiter.OnRejected = (context, _) =>
            {
                var options = context.HttpContext.RequestServices.GetRequiredService<IOptions<ServerOptions>>().Value;
                var response = context.HttpContext.Response;

                // A trailers-only gRPC response: HTTP 200 with the status in the headers.
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = "application/grpc";
                response.Headers["grpc-status"] = "8";
                response.Headers["grpc-message"] = Uri.EscapeDataString(
                    $"rate limit exceeded: the limit RequestsPerSecondPerKey is {options.RequestsPerSecondPerKey}");
                return ValueTask.CompletedTask;
            };
        });
        return services;
    }

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
