using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Hosting;
using Orleans.TestingHost;
using SemCache.Cluster.Grains;
using SemCache.Cluster.Routing;

namespace SemCache.Cluster.Tests;

/// <summary>
/// Three in-process silos, each with its own in-memory engine (8-dimensional vectors brought by the
/// requests), the cluster grains, two replicas and fast failure detection so that a killed silo is
/// declared dead within seconds.
/// </summary>
internal sealed class ThreeSiloCluster : IAsyncDisposable
{
    public const int Dimensions = 8;
    public const int Groups = 4;

    private readonly List<ISemanticCache> _apis;
    private readonly List<string> _addresses;

    private ThreeSiloCluster(InProcessTestCluster cluster)
    {
        Cluster = cluster;
        _apis = [.. cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<ISemanticCache>())];
        _addresses = [.. cluster.Silos.Select(s => s.SiloAddress.ToParsableString())];
    }

    public InProcessTestCluster Cluster { get; }

    /// <summary>Silos started so far, dead ones included (the index a test uses for each).</summary>
    public int Count => _addresses.Count;

    public static async Task<ThreeSiloCluster> StartAsync(int replicas = 2, int silos = 3)
    {
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.Options.ConfigureFileLogging = false;
        // Calls go through each silo's own API (as the gRPC service makes them); no external Orleans client.
        builder.Options.InitializeClientOnDeploy = false;
        var clusterOptions = new SemCacheClusterOptions
        {
            Replicas = replicas,
            GroupsPerTenant = Groups,
            ProbeTimeout = TimeSpan.FromMilliseconds(500),
            MissedProbesLimit = 2,
            ResponseTimeout = TimeSpan.FromSeconds(5),
        };
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Services.AddSingleton(_ => new SwitchableEngine(SemanticCacheEngine.Open(new SemanticCacheOptions
            {
                Durability = CacheDurability.InMemory,
                Dimensions = Dimensions,
                RequestsBringVectors = true,
            })));
            host.Services.AddSingleton<IEmbeddedSemanticCache>(sp => sp.GetRequiredService<SwitchableEngine>());
            host.Services.AddOptions<SemCacheClusterOptions>().Configure(o =>
            {
                o.Replicas = clusterOptions.Replicas;
                o.GroupsPerTenant = clusterOptions.GroupsPerTenant;
            });
            ClusterHosting.AddForwardingCache(host.Services);
        });
        builder.ConfigureSilo((_, silo) =>
        {
            ClusterHosting.AddGrains(silo);
            ClusterHosting.ConfigureFailureDetection(silo, clusterOptions);
            silo.Configure<Orleans.Configuration.ClusterMembershipOptions>(o => o.NumVotesForDeathDeclaration = 1);
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new ThreeSiloCluster(cluster);
    }

    /// <summary>The API's <see cref="ISemanticCache"/> of silo <paramref name="index"/> (what its gRPC service would call).</summary>
    public ISemanticCache Api(int index) => _apis[index];

    /// <summary>Starts one more silo (a silo joining the cluster); returns its index.</summary>
    public async Task<int> AddSiloAsync()
    {
        var silo = await Cluster.StartAdditionalSiloAsync();
        _apis.Add(silo.ServiceProvider.GetRequiredService<ISemanticCache>());
        _addresses.Add(silo.SiloAddress.ToParsableString());
        return _addresses.Count - 1;
    }

    /// <summary>Address of silo <paramref name="index"/> (parsable form).</summary>
    public string Address(int index) => _addresses[index];

    /// <summary>What silo <paramref name="index"/> reports of itself (copies held, placement work), as the dashboard reads it.</summary>
    public Task<SiloView> ViewAsync(int index) => CopyGrain(index).GetViewAsync();

    /// <summary>Silo <paramref name="index"/>'s copy grain, as a coordinator reaches it.</summary>
    public ISiloCopyGrain CopyGrain(int index) =>
        Cluster.Silos.Single(s => s.SiloAddress.ToParsableString() == _addresses[index]).ServiceProvider
            .GetRequiredService<IGrainFactory>().GetGrain<ISiloCopyGrain>(_addresses[index]);

    /// <summary>Kills silo <paramref name="index"/> (numbered as at start) without a graceful shutdown.</summary>
    public Task KillAsync(int index) => Cluster.KillSiloAsync(Cluster.Silos.Single(s => s.SiloAddress.ToParsableString() == _addresses[index]));

    /// <summary>The engine of silo <paramref name="index"/>, whose stores a test can make fail.</summary>
    public SwitchableEngine Engine(int index) =>
        Cluster.Silos.Single(s => s.SiloAddress.ToParsableString() == _addresses[index]).ServiceProvider.GetRequiredService<SwitchableEngine>();

    /// <summary>Index of the silo whose address is <paramref name="silo"/> (parsable form), or -1.</summary>
    public int IndexOf(string silo)
    {
        return _addresses.IndexOf(silo);
    }

    /// <summary>The replica set of the group holding (tenant, scope), read copy first.</summary>
    public Task<string[]> MembersAsync(int through, string tenant, CacheScope scope) =>
        MembersAsync(through, GroupRouting.GroupKey(tenant, GroupRouting.Bucket(tenant, scope, Groups)));

    /// <summary>The replica set of group <paramref name="group"/> (<c>bucket/tenant</c>), read copy first.</summary>
    public async Task<string[]> MembersAsync(int through, string group)
    {
        var grains = Cluster.Silos.Single(s => s.SiloAddress.ToParsableString() == _addresses[through]).ServiceProvider.GetRequiredService<IGrainFactory>();
        var (members, _) = await grains.GetGrain<IPartitionGroupGrain>(group).DescribeAsync();
        return members;
    }

    public static float[] Vector(int seed)
    {
        var random = new Random(seed);
        var vector = new float[Dimensions];
        for (var i = 0; i < vector.Length; i++) { vector[i] = (float)(random.NextDouble() - 0.5); }
        var norm = MathF.Sqrt(vector.Sum(x => x * x));
        for (var i = 0; i < vector.Length; i++) { vector[i] /= norm; }
        return vector;
    }

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}
