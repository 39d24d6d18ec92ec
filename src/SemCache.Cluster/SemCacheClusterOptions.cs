namespace SemCache.Cluster;

/// <summary>How silos find each other.</summary>
public enum ClusterMembership
{
    /// <summary>
    /// Orleans development clustering: one silo (the primary, <see cref="SemCacheClusterOptions.PrimarySiloEndpoint"/>)
    /// holds the membership table in memory. For loopback and tests; when the primary dies no silo can join.
    /// </summary>
    Development = 0,

    /// <summary>Orleans Redis clustering (<c>Microsoft.Orleans.Clustering.Redis</c>): the production provider.</summary>
    Redis = 1,
}

/// <summary>
/// Cluster mode of the server, bound from <c>SemCache:Server:Cluster</c> (<c>semcache serve --cluster ...</c>).
/// Every silo runs the same gRPC API; each keeps its own engine (its own FASTER data directory) and the
/// cluster spreads partition groups over them, with every acknowledged store held by
/// <see cref="Replicas"/> silos.
/// </summary>
public sealed class SemCacheClusterOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "SemCache:Server:Cluster";

    /// <summary>Run as a silo of a cluster instead of a single node. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Name shared by the silos of one cluster. Default <c>semcache</c>.</summary>
    public string ClusterId { get; set; } = "semcache";

    /// <summary>Port silos talk to each other on. Default 11111.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Address other silos reach this one at. Default <c>127.0.0.1</c>.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Membership provider. Default <see cref="ClusterMembership.Development"/>.</summary>
    public ClusterMembership Membership { get; set; } = ClusterMembership.Development;

    /// <summary>
    /// Development membership: <c>host:port</c> of the primary silo. Empty (the default) makes this silo the
    /// primary (its own silo endpoint).
    /// </summary>
    public string? PrimarySiloEndpoint { get; set; }

    /// <summary>Redis membership: the StackExchange.Redis connection string (e.g. <c>redis1:6379,password=...</c>).</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>
    /// Silos that hold every group's entries. A store (or removal) is acknowledged only once it is applied
    /// in the engines of this many silos; with fewer silos alive it fails and nothing is acknowledged.
    /// Default 2 (one silo may die at any moment without losing an acknowledged store). 1 to 16.
    /// </summary>
    public int Replicas { get; set; } = 2;

    /// <summary>
    /// Partition groups per tenant (hash buckets of scopes; each is one grain placed on its own silo). More
    /// groups spread a tenant wider; tag and tenant removals visit every group. Default 16, 1 to 1024.
    /// </summary>
    public int GroupsPerTenant { get; set; } = 16;

    /// <summary>How long a silo waits for another silo's answer before treating it as failed. Default 10 s.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Membership probe timeout: with <see cref="MissedProbesLimit"/> it decides how fast a dead silo is
    /// declared dead and its groups re-activate elsewhere. Default 2 s.
    /// </summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Probes a silo may miss before it is suspected. Default 2.</summary>
    public int MissedProbesLimit { get; set; } = 2;

    /// <summary>Served hits remembered per group so that positive feedback reaches the copy that served them. Default 4,096.</summary>
    public int FeedbackMemory { get; set; } = 4096;

    /// <summary>
    /// Entries per page when a new copy of a group is filled from a surviving one (a replacement after a
    /// silo left, or a move to a silo that joined): what one page of the copy costs in memory. Default 256, 1 to 4,096.
    /// </summary>
    public int TransferPageSize { get; set; } = 256;

    /// <summary>
    /// Groups one silo checks (and, where needed, re-replicates or moves) at a time after the membership
    /// changed; the rest wait their turn (<c>movesPending</c> on the dashboard). Default 4, 1 to 64.
    /// </summary>
    public int MovesAtOnce { get; set; } = 4;

    /// <summary>Pause between two rounds of <see cref="MovesAtOnce"/> group checks, so moves do not crowd out traffic. Default 50 ms, 0 to 1 min.</summary>
    public TimeSpan MoveInterval { get; set; } = TimeSpan.FromMilliseconds(50);
}
