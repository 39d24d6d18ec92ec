using Microsoft.Extensions.Options;
using SemCache.Server.Auth;

namespace SemCache.Server.Hosting;

/// <summary>
/// Makes sure an operator can get in: registers <c>SEMCACHE_ADMIN_KEY</c> when it is set (role
/// operator: every tenant), and on a first start with no keys at all creates a development admin key
/// of role operator and prints it once.
/// </summary>
internal sealed partial class BootstrapKeyService(
    ApiKeyStore keys,
    IConfiguration configuration,
    IOptions<ServerOptions> options,
    ILogger<BootstrapKeyService> logger) : IHostedService
{
    public const string AdminKeyVariable = "SEMCACHE_ADMIN_KEY";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var tenant = options.Value.BootstrapTenant;
        var fromEnvironment = configuration[AdminKeyVariable];
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            if (fromEnvironment.Trim().Length < 16)
            {
                throw new InvalidOperationException($"{AdminKeyVariable} must be at least 16 characters long.");
            }

            var record = keys.ImportBootstrap(fromEnvironment.Trim(), tenant, ApiKeyRole.Operator, "from " + AdminKeyVariable);
            LogImported(logger, AdminKeyVariable, record.Id, tenant);
        }
        else if (keys.IsEmpty)
        {
            var (record, secret) = keys.Create(tenant, ApiKeyRole.Operator, "development admin key created on first start", bootstrap: true);

            // Printed once on stdout, not logged: log sinks are often shipped elsewhere.
            Console.Out.WriteLine(
                $"""

                SemCache: no API keys were configured, so a development admin key (role operator:
                every tenant) was created in tenant '{tenant}' (id {record.Id}). It is shown only
                now and stored hashed in
                {keys.FilePath}:

                    {secret}

                Use it as 'authorization: Bearer <key>'. Create narrower keys with 'semcache keys create'.

                """);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin key from {Variable} registered (id {KeyId}, tenant {Tenant})")]
    private static partial void LogImported(ILogger logger, string variable, string keyId, string tenant);
}
