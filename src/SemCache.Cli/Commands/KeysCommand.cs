using System.CommandLine;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Options;
using SemCache.Client;
using SemCache.Server;
using SemCache.Server.Auth;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Cli.Commands;

/// <summary>
/// <c>semcache keys create|revoke|list</c>: through a server's KeyAdmin service with an admin key,
/// or directly on the keys file of <c>--data</c> while no server runs on it: the file's lock is taken
/// for the edit, and held by a running server, in which case the command refuses and says so.
/// </summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var keys = new Command("keys", "Manages API keys (admin).");
        keys.Subcommands.Add(CreateKey());
        keys.Subcommands.Add(RevokeKey());
        keys.Subcommands.Add(ListKeys());
        return keys;
    }

    private static Command CreateKey()
    {
        var tenant = new Option<string>("--for-tenant") { Description = "Tenant the new key belongs to.", Required = true };
        var role = new Option<string>("--role") { Description = "read, write, admin (own tenant), operator (every tenant) or metrics (dashboard and /metrics only).", DefaultValueFactory = _ => "read" };
        var description = new Option<string?>("--description") { Description = "A note for operators." };
        var command = new Command("create", "Creates a key; prints {\"keyId\",\"tenant\",\"role\",\"secret\"} (the secret is shown only here).") { tenant, role, description };
        var connection = CacheConnection.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var roleValue = ParseRole(parseResult.GetValue(role));
            string keyId, secret;
            if (CacheConnection.ServerOf(parseResult, connection) is { } server)
            {
                using var channel = GrpcChannel.ForAddress(server);
                var response = await new V1.KeyAdmin.KeyAdminClient(channel).CreateKeyAsync(
                    new V1.CreateKeyRequest { Tenant = parseResult.GetValue(tenant), Role = (V1.Role)roleValue, Description = parseResult.GetValue(description) ?? string.Empty },
                    Headers(parseResult, connection),
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                (keyId, secret) = (response.Key.KeyId, response.Secret);
            }
            else
            {
                using var store = LocalStore(parseResult, connection);
                var (record, created) = store.Create(parseResult.GetValue(tenant)!, roleValue, parseResult.GetValue(description));
                (keyId, secret) = (record.Id, created);
            }

            JsonLine.Write(json =>
            {
                json.WriteString("keyId", keyId);
                json.WriteString("tenant", parseResult.GetValue(tenant));
                json.WriteString("role", roleValue.Name());
                json.WriteString("secret", secret);
            });
            return 0;
        });
        return command;
    }

    private static Command RevokeKey()
    {
        var id = new Option<string>("--id") { Description = "Id of the key to revoke.", Required = true };
        var command = new Command("revoke", "Revokes a key; prints {\"keyId\",\"revoked\"}.") { id };
        var connection = CacheConnection.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            bool revoked;
            if (CacheConnection.ServerOf(parseResult, connection) is { } server)
            {
                using var channel = GrpcChannel.ForAddress(server);
                var response = await new V1.KeyAdmin.KeyAdminClient(channel).RevokeKeyAsync(
                    new V1.RevokeKeyRequest { KeyId = parseResult.GetValue(id) },
                    Headers(parseResult, connection),
                    cancellationToken: cancellationToken).ConfigureAwait(false);
                revoked = response.Revoked;
            }
            else
            {
                using var store = LocalStore(parseResult, connection);
                revoked = store.Revoke(parseResult.GetValue(id)!);
            }

            JsonLine.Write(json =>
            {
                json.WriteString("keyId", parseResult.GetValue(id));
                json.WriteBoolean("revoked", revoked);
            });
            return revoked ? 0 : 1;
        });
        return command;
    }

    private static Command ListKeys()
    {
        var command = new Command("list", "Lists keys (never secrets); prints {\"keys\":[...]}.");
        var connection = CacheConnection.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var rows = new List<(string Id, string Tenant, string Role, string Description)>();
            if (CacheConnection.ServerOf(parseResult, connection) is { } server)
            {
                using var channel = GrpcChannel.ForAddress(server);
                var response = await new V1.KeyAdmin.KeyAdminClient(channel).ListKeysAsync(new V1.ListKeysRequest(), Headers(parseResult, connection), cancellationToken: cancellationToken).ConfigureAwait(false);
                rows.AddRange(response.Keys.Select(k => (k.KeyId, k.Tenant, ((ApiKeyRole)k.Role).Name(), k.Description)));
            }
            else
            {
                using var store = LocalStore(parseResult, connection);
                rows.AddRange(store.List().Select(k => (k.Id, k.Tenant, k.Role.Name(), k.Description)));
            }

            JsonLine.Write(json =>
            {
                json.WriteStartArray("keys");
                foreach (var (keyId, tenant, role, text) in rows)
                {
                    json.WriteStartObject();
                    json.WriteString("keyId", keyId);
                    json.WriteString("tenant", tenant);
                    json.WriteString("role", role);
                    json.WriteString("description", text);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            });
            return 0;
        });
        return command;
    }

    private static ApiKeyRole ParseRole(string? role) => ApiKeyRoles.TryParse(role, out var parsed)
        ? parsed
        : throw new ArgumentException($"--role must be read, write, admin, operator or metrics, got '{role}'.", nameof(role));

    private static Metadata Headers(ParseResult parseResult, CacheConnection.Options connection) =>
        SemanticCacheClient.CreateHeaders(CacheConnection.KeyOf(parseResult, connection));

    private static ApiKeyStore LocalStore(ParseResult parseResult, CacheConnection.Options connection) => new(
        Options.Create(new ServerOptions()),
        Options.Create(new SemanticCacheOptions { DataDirectory = parseResult.GetValue(connection.Data)! }),
        TimeProvider.System);
}
