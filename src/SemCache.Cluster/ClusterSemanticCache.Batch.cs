using System.Globalization;
using System.Text.RegularExpressions;
using SemCache.Cluster.Grains;
using SemCache.Cluster.Routing;

namespace SemCache.Cluster;

internal sealed partial class ClusterSemanticCache
{
    public async ValueTask<IReadOnlyList<CacheLookupResult>> LookupBatchAsync(IReadOnlyList<CacheLookupRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i] ?? throw new ArgumentNullException($"requests[{i}]", $"requests[{i}] is null.");
            string group;
            try
            {
                group = Route(request.Tenant, request.Scope, "Tenant");
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"requests[{i}].{e.ParamName}: {e.Message}", $"requests[{i}].{e.ParamName}", e);
            }

            if (!groups.TryGetValue(group, out var positions)) { groups[group] = positions = []; }
            positions.Add(i);
        }

        var results = new CacheLookupResult[requests.Count];
        await Task.WhenAll(groups.Select(async pair =>
        {
            var positions = pair.Value;
            var batch = positions.Select(i => requests[i]).ToArray();
            try
            {
                var reply = await CallAsync(pair.Key, g => g.LookupBatchAsync(new LookupBatchCall(batch)), cancellationToken).ConfigureAwait(false);
                for (var k = 0; k < positions.Count; k++) { results[positions[k]] = reply.Results[k]; }
            }
            catch (ArgumentException e)
            {
                // The engine names a position in the group's sub-batch: give the caller's position back.
                throw Renumber(e, positions);
            }
            catch (Exception e) when (IsClusterFailure(e, cancellationToken))
            {
                foreach (var position in positions) { results[position] = CacheLookupResult.Miss(reasons: UnavailableReason); }
            }
        })).ConfigureAwait(false);
        return results;
    }

    private static ArgumentException Renumber(ArgumentException e, List<int> positions)
    {
        static string Map(string text, List<int> positions) => RequestIndex().Replace(text, m =>
        {
            var k = int.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            return k < positions.Count ? $"requests[{positions[k]}]" : m.Value;
        });

        var message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal);
        return new ArgumentException(Map(message, positions), e.ParamName is null ? null : Map(e.ParamName, positions), e);
    }

    [GeneratedRegex(@"requests\[(\d+)\]")]
    private static partial Regex RequestIndex();
}
