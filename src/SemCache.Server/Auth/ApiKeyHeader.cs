using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace SemCache.Server.Auth;

/// <summary>Reads the API key from <c>authorization: Bearer KEY</c> or <c>x-api-key: KEY</c>.</summary>
internal static class ApiKeyHeader
{
    private const string BearerPrefix = "Bearer ";

    public static string? Read(IHeaderDictionary headers)
    {
        var authorization = headers.Authorization.ToString();
        if (authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return authorization[BearerPrefix.Length..].Trim();
        }

        var apiKey = headers["x-api-key"].ToString();
        return apiKey.Length == 0 ? null : apiKey.Trim();
    }

    public static string? Read(Metadata headers)
    {
        foreach (var entry in headers)
        {
            if (entry.IsBinary)
            {
                continue;
            }

            if (entry.Key == "authorization" && entry.Value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            {
                return entry.Value[BearerPrefix.Length..].Trim();
            }

            if (entry.Key == "x-api-key")
            {
                return entry.Value.Trim();
            }
        }

        return null;
    }
}
