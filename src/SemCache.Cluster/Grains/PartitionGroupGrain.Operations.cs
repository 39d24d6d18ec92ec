using Orleans;
using SemCache.Cluster.Replication;
using SemCache.Cluster.Routing;

namespace SemCache.Cluster.Grains;

internal sealed partial class PartitionGroupGrain
{
    private static readonly string[] UnavailableReason = ["cluster:unavailable"];

    public async Task<LookupReply> LookupAsync(LookupCall call)
    {
        CountCall();
        var results = await ReadAsync([call.Request]).ConfigureAwait(true);
        return new LookupReply(results[0]);
    }

    public async Task<LookupBatchReply> LookupBatchAsync(LookupBatchCall call)
    {
        CountCall();
        return new LookupBatchReply(await ReadAsync(call.Requests).ConfigureAwait(true));
    }

    public async Task<CacheStoreResult> StoreAsync(StoreCall call)
    {
        CountCall();
        var (_, bucket) = GroupRouting.ParseGroupKey(Group);
        long id = 0;
        StoreCall? tagged = null;
        var replies = await WriteAsync((copy, config) =>
        {
            if (tagged is null)
            {
                // One id for the entry on every copy, fixed by the configuration that first takes the write.
                id = ClusterEntryId.Create(bucket, config.Epoch, ++_sequence);
                var tags = call.Request.Tags is { } t ? [.. t, ClusterEntryId.Tag(id)] : new[] { ClusterEntryId.Tag(id) };
                tagged = new StoreCall(call.Request with { Tags = tags });
            }

            return copy.StoreAsync(Group, config.Epoch, tagged);
        }).ConfigureAwait(true);
        return new CacheStoreResult(id, replies[0].Replaced);
    }

    public async Task<long> InvalidateAsync(InvalidateCall call)
    {
        CountCall();
        if (await ConfigurationAsync(forWrite: false, failed: null).ConfigureAwait(true) is null) { return 0; }
        var counts = await WriteAsync((copy, config) => copy.InvalidateAsync(Group, config.Epoch, call)).ConfigureAwait(true);
        return counts[0];
    }

    public async Task<bool> ReportHitAsync(long entryId, bool correct)
    {
        CountCall();
        if (!correct)
        {
            // A wrong hit is removed from every copy, so that no replica can serve it again.
            return await InvalidateAsync(new InvalidateCall(InvalidationKind.Tag, ClusterEntryId.Tag(entryId), null)).ConfigureAwait(true) > 0;
        }

        if (!_served.TryGet(entryId, out var silo, out var localId)) { return false; }
        var config = await ConfigurationAsync(forWrite: false, failed: null).ConfigureAwait(true);
        var copy = config?.Members.FirstOrDefault(m => m.Silo == silo);
        if (config is null || copy is null) { return false; }
        try
        {
            return await copy.ReportHitAsync(Group, config.Epoch, localId, correct: true).ConfigureAwait(true);
        }
        catch (StaleGroupException)
        {
            return false;
        }
    }

    public async Task<CacheStats?> GetStatsAsync()
    {
        var config = await ConfigurationAsync(forWrite: false, failed: null).ConfigureAwait(true);
        return config is null ? null : await config.Members[0].GetStatsAsync(Group).ConfigureAwait(true);
    }

    /// <summary>
    /// Reads from the read copy; when it fails, reconfigures once and reads from the new one. A group
    /// that cannot be read answers misses (reason <c>cluster:unavailable</c>): a miss, never a wrong entry.
    /// </summary>
    private async Task<CacheLookupResult[]> ReadAsync(CacheLookupRequest[] requests)
    {
        GroupConfig? failed = null;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var config = await ConfigurationAsync(forWrite: false, failed).ConfigureAwait(true);
            if (config is null && _contended)
            {
                // Copies exist but are not reachable under a configuration of this coordinator (yet).
                await localCopy.ValidateAsync(requests).ConfigureAwait(true);
                return [.. requests.Select(_ => CacheLookupResult.Miss(reasons: UnavailableReason))];
            }

            if (config is null)
            {
                // Nothing stored in this group anywhere: a miss, once the engine has checked the request.
                await localCopy.ValidateAsync(requests).ConfigureAwait(true);
                return [.. requests.Select(_ => CacheLookupResult.Miss())];
            }
            var copy = config.Members[0];
            try
            {
                var reply = await copy.LookupAsync(Group, config.Epoch, new LookupBatchCall(requests)).ConfigureAwait(true);
                return [.. reply.Results.Select(r => Translate(r, copy.Silo))];
            }
            catch (Exception e) when (e is not ArgumentException)
            {
                LogMemberFailed(logger, e, Group, copy.Silo);
                if (e is not StaleGroupException) { _suspects.Add(copy.Silo); }
                failed = config;
            }
        }

        return [.. requests.Select(_ => CacheLookupResult.Miss(reasons: UnavailableReason))];
    }

    /// <summary>The engine's hit with the cluster id instead of the copy's local id; a hit without one is not served.</summary>
    private CacheLookupResult Translate(CacheLookupResult result, string silo)
    {
        if (!result.IsHit) { return result.EntryId == 0 ? result : result with { EntryId = 0 }; }
        if (!ClusterEntryId.TrySplit(result.Tags, out var id, out var tags)) { return CacheLookupResult.Miss(result.Similarity); }
        _served.Remember(id, silo, result.EntryId);
        return result with { EntryId = id, Tags = tags };
    }

    /// <summary>
    /// Applies a write to every member of the replica set and returns their answers (read copy first).
    /// A member that fails is replaced (new epoch) and the write is sent again to the new set; the write
    /// is acknowledged only when a full set of <see cref="Replicas"/> members applied it.
    /// </summary>
    private async Task<T[]> WriteAsync<T>(Func<ICopyOps, GroupConfig, Task<T>> write)
    {
        GroupConfig? failed = null;
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var config = await ConfigurationAsync(forWrite: true, failed).ConfigureAwait(true);
            if (config is null || config.Members.Length < Replicas)
            {
                failed = config;
                var message = $"only {config?.Members.Length ?? 0} of {Replicas} replicas of group {Group} are reachable; nothing was acknowledged";
                last = _lastFailure is null ? new ClusterUnavailableException(message) : new ClusterUnavailableException(message, _lastFailure);
                continue;
            }

            var calls = config.Members.Select(m => write(m, config)).ToArray();
            try
            {
                return await Task.WhenAll(calls).ConfigureAwait(true);
            }
            catch (Exception) when (calls.FirstOrDefault(c => c.Exception?.InnerException is ArgumentException) is { } invalid)
            {
                // The request itself is invalid (every copy validates alike): the caller's error, not a failure.
                throw invalid.Exception!.InnerException!;
            }
            catch (Exception e)
            {
                for (var i = 0; i < calls.Length; i++)
                {
                    if (calls[i].IsFaulted)
                    {
                        LogMemberFailed(logger, calls[i].Exception!.InnerException ?? e, Group, config.Members[i].Silo);
                        if (calls[i].Exception!.InnerException is not StaleGroupException) { _suspects.Add(config.Members[i].Silo); }
                    }
                }

                last = e;
                failed = config;
            }
        }

        throw last as ClusterUnavailableException ?? new ClusterUnavailableException($"group {Group} could not apply the write on {Replicas} replicas; nothing was acknowledged", last!);
    }
}
