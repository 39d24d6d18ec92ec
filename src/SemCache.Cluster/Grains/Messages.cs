using Orleans;

namespace SemCache.Cluster.Grains;

// The engine's request and result records (SemCache.Abstractions) cross silos through Orleans-native surrogates
// (NativeCodecs.cs; stats and other rare records through the JSON codec registered in ClusterHosting). They are
// wrapped in [Immutable] messages so that a call to a grain on the same silo passes them by reference instead of
// deep-copying a vector.

/// <summary>A lookup forwarded to a group.</summary>
[GenerateSerializer, Immutable, Alias("semcache.lookup")]
internal sealed record LookupCall([property: Id(0)] CacheLookupRequest Request);

/// <summary>Several lookups of one group.</summary>
[GenerateSerializer, Immutable, Alias("semcache.lookup-batch")]
internal sealed record LookupBatchCall([property: Id(0)] CacheLookupRequest[] Requests);

/// <summary>A store forwarded to a group.</summary>
[GenerateSerializer, Immutable, Alias("semcache.store")]
internal sealed record StoreCall([property: Id(0)] CacheStoreRequest Request);

/// <summary>What a lookup found (engine ids already turned into cluster ids).</summary>
[GenerateSerializer, Immutable, Alias("semcache.lookup-reply")]
internal sealed record LookupReply([property: Id(0)] CacheLookupResult Result);

/// <summary>What several lookups found, in request order.</summary>
[GenerateSerializer, Immutable, Alias("semcache.lookup-batch-reply")]
internal sealed record LookupBatchReply([property: Id(0)] CacheLookupResult[] Results);

/// <summary>What a copy answered to a lookup: the engine's result plus the silo that served it.</summary>
[GenerateSerializer, Immutable, Alias("semcache.copy-lookup-reply")]
internal sealed record CopyLookupReply([property: Id(0)] CacheLookupResult[] Results);

/// <summary>Which kind of removal an invalidation is.</summary>
[GenerateSerializer, Alias("semcache.invalidation-kind")]
internal enum InvalidationKind
{
    /// <summary>Every entry of the group.</summary>
    Everything = 0,

    /// <summary>Entries carrying a tag (the hidden id tag for one entry).</summary>
    Tag = 1,

    /// <summary>Entries of a scope.</summary>
    Scope = 2,
}

/// <summary>A removal replicated to every copy of a group.</summary>
[GenerateSerializer, Immutable, Alias("semcache.invalidate")]
internal sealed record InvalidateCall(
    [property: Id(0)] InvalidationKind Kind,
    [property: Id(1)] string? Tag,
    [property: Id(2)] CacheScope? Scope);

/// <summary>What one silo holds of a group.</summary>
/// <param name="Silo">The silo that answered (its parsable address).</param>
/// <param name="HasCopy">Whether the silo holds a copy of the group at all.</param>
/// <param name="Epoch">The group configuration the copy belongs to.</param>
/// <param name="JoinedEpoch">The configuration in which the copy joined: it holds every write since then.</param>
/// <param name="Filled">
/// Whether the copy holds the group's data: false from a fresh join until its fill from a surviving copy
/// completed. An unfilled copy may be empty or half-filled, so it is never a source nor taken for a full copy.
/// </param>
[GenerateSerializer, Immutable, Alias("semcache.copy-status")]
internal sealed record CopyStatus(
    [property: Id(0)] string Silo,
    [property: Id(1)] bool HasCopy,
    [property: Id(2)] long Epoch,
    [property: Id(3)] long JoinedEpoch,
    [property: Id(4)] bool Filled);

/// <summary>What a copy answered to a store.</summary>
[GenerateSerializer, Immutable, Alias("semcache.copy-store-reply")]
internal sealed record CopyStoreReply([property: Id(0)] long LocalId, [property: Id(1)] bool Replaced);

/// <summary>One page of a group copy's entries, read from a surviving copy to fill a new one.</summary>
/// <param name="Entries">The entries, encoded by the engine (opaque here), in the source's id order.</param>
/// <param name="NextAfterId">The source's cursor for the next page.</param>
/// <param name="Done">Whether the page is the last.</param>
[GenerateSerializer, Immutable, Alias("semcache.copy-export")]
internal sealed record CopyExportPage(
    [property: Id(0)] byte[][] Entries,
    [property: Id(1)] long NextAfterId,
    [property: Id(2)] bool Done);

/// <summary>One silo's share of the cluster, for the dashboard.</summary>
/// <param name="Silo">The silo's parsable address.</param>
/// <param name="Copies">Group copies this silo holds, by group key, with the epoch they belong to.</param>
/// <param name="Primaries">Groups whose coordinating grain is active on this silo.</param>
/// <param name="ForwardedCalls">Calls this silo's API sent to a group grain on another silo.</param>
/// <param name="LocalCalls">Calls this silo's API served through a group grain on this silo.</param>
/// <param name="Moves">This silo's placement work (<see cref="Replication.ClusterCounters"/>).</param>
[GenerateSerializer, Immutable, Alias("semcache.silo-view")]
internal sealed record SiloView(
    [property: Id(0)] string Silo,
    [property: Id(1)] Dictionary<string, long> Copies,
    [property: Id(2)] string[] Primaries,
    [property: Id(3)] long ForwardedCalls,
    [property: Id(4)] long LocalCalls,
    [property: Id(5)] MoveCounts Moves);

/// <summary>Placement work of one silo since it started.</summary>
/// <param name="Done">Group checks (after a membership change) that moved a copy or the coordinator.</param>
/// <param name="Pending">Groups waiting for their check on this silo.</param>
/// <param name="CopiesFilled">New copies filled from a surviving copy by coordinators on this silo.</param>
/// <param name="EntriesCopied">Entries those fills copied.</param>
[GenerateSerializer, Immutable, Alias("semcache.move-counts")]
internal sealed record MoveCounts(
    [property: Id(0)] long Done,
    [property: Id(1)] long Pending,
    [property: Id(2)] long CopiesFilled,
    [property: Id(3)] long EntriesCopied);
