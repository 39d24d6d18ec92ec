using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Serialization;
using SemCache.Cluster.Placement;
using SemCache.Cluster.Replication;

namespace SemCache.Cluster;

/// <summary>
/// Hosts an Orleans silo beside the server (or any host that registered the embedded engine) and makes
/// <see cref="ISemanticCache"/> the cluster-forwarding implementation. The engine registered before stays
/// this silo's local store of partition-group copies.
/// </summary>
public static class ClusterHosting
{
    /// <summary>Whether <c>SemCache:Server:Cluster:Enabled</c> is set in <paramref name="configuration"/>.</summary>
    public static bool IsEnabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return configuration.GetValue<bool>(SemCacheClusterOptions.Section + ":" + nameof(SemCacheClusterOptions.Enabled));
    }

    /// <summary>
    /// Runs this host as a silo of the cluster configured in <c>SemCache:Server:Cluster</c>. Call after the
    /// embedded engine is registered (<see cref="IEmbeddedSemanticCache"/>). Throws
    /// <see cref="OptionsValidationException"/> naming any invalid option.
    /// </summary>
    public static IHostApplicationBuilder AddSemCacheCluster(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var section = builder.Configuration.GetSection(SemCacheClusterOptions.Section);
        var options = section.Get<SemCacheClusterOptions>() ?? new SemCacheClusterOptions();
        var failures = Validate(options);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(SemCacheClusterOptions.Section, typeof(SemCacheClusterOptions), failures);
        }

        builder.Services.AddOptions<SemCacheClusterOptions>().Bind(section);
        builder.UseOrleans(silo =>
        {
            ConfigureMembership(silo, options);
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = "semcache";
            });
            silo.Configure<EndpointOptions>(o =>
            {
                o.AdvertisedIPAddress = IPAddress.Parse(options.AdvertisedAddress);
                o.SiloPort = options.SiloPort;
                // No Orleans clients: the gRPC API is the cluster's only door.
                o.GatewayPort = 0;
            });
            ConfigureFailureDetection(silo, options);
            AddGrains(silo);
        });
        AddForwardingCache(builder.Services);
        return builder;
    }

    /// <summary>The grains, placement and serialization every silo needs (also used by the in-process test cluster).</summary>
    internal static void AddGrains(ISiloBuilder silo)
    {
        silo.AddPlacementDirector<SiloPinnedPlacement, SiloPinnedPlacementDirector>();
        silo.AddPlacementDirector<GroupPlacement, GroupPlacementDirector>();
        // The records of every forwarded lookup and store cross silos in Orleans' own format (Grains/NativeCodecs.cs);
        // the engine's other records (namespace SemCache: stats, rarely sent) as JSON.
        silo.Services.AddSerializer(serializer => serializer.AddJsonSerializer(isSupported: type => type.Namespace == "SemCache" && !Grains.NativeCodecs.Types.Contains(type)));
        silo.Services.TryAddSingleton<ClusterCounters>();
        silo.Services.TryAddSingleton(sp => new SiloCopyStore(
            sp.GetRequiredService<IEmbeddedSemanticCache>(),
            sp.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString()));
        silo.Services.TryAddSingleton<ClusterSemanticCache>();
        silo.Services.TryAddSingleton<GroupRebalancer>();
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<GroupRebalancer>());
    }

    /// <summary>Makes the API's <see cref="ISemanticCache"/> the forwarding one (the engine stays <see cref="IEmbeddedSemanticCache"/>).</summary>
    internal static void AddForwardingCache(IServiceCollection services) =>
        services.Replace(ServiceDescriptor.Singleton<ISemanticCache>(sp => sp.GetRequiredService<ClusterSemanticCache>()));

    internal static void ConfigureFailureDetection(ISiloBuilder silo, SemCacheClusterOptions options)
    {
        silo.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = options.ProbeTimeout;
            o.NumMissedProbesLimit = options.MissedProbesLimit;
        });
        silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = options.ResponseTimeout);
    }

    private static void ConfigureMembership(ISiloBuilder silo, SemCacheClusterOptions options)
    {
        switch (options.Membership)
        {
            case ClusterMembership.Redis:
                silo.UseRedisClustering(options.RedisConnectionString!);
                break;
            default:
                var primary = string.IsNullOrWhiteSpace(options.PrimarySiloEndpoint)
                    ? new IPEndPoint(IPAddress.Parse(options.AdvertisedAddress), options.SiloPort)
                    : IPEndPoint.Parse(options.PrimarySiloEndpoint);
                silo.UseDevelopmentClustering(primary);
                break;
        }
    }

    internal static List<string> Validate(SemCacheClusterOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ClusterId)) { failures.Add("Cluster:ClusterId is required."); }
        if (options.SiloPort is < 1 or > 65535) { failures.Add($"Cluster:SiloPort {options.SiloPort} is not a port (1 to 65535)."); }
        if (!IPAddress.TryParse(options.AdvertisedAddress, out _)) { failures.Add($"Cluster:AdvertisedAddress '{options.AdvertisedAddress}' is not an IP address."); }
        if (options.Replicas is < 1 or > 16) { failures.Add($"Cluster:Replicas {options.Replicas} must be 1 to 16."); }
        if (options.GroupsPerTenant is < 1 or > Routing.GroupRouting.MaxGroupsPerTenant) { failures.Add($"Cluster:GroupsPerTenant {options.GroupsPerTenant} must be 1 to {Routing.GroupRouting.MaxGroupsPerTenant}."); }
        if (options.ResponseTimeout <= TimeSpan.Zero) { failures.Add("Cluster:ResponseTimeout must be positive."); }
        if (options.ProbeTimeout <= TimeSpan.Zero) { failures.Add("Cluster:ProbeTimeout must be positive."); }
        if (options.MissedProbesLimit < 1) { failures.Add("Cluster:MissedProbesLimit must be at least 1."); }
        if (options.FeedbackMemory < 0) { failures.Add("Cluster:FeedbackMemory must not be negative."); }
        if (options.TransferPageSize is < 1 or > Engine.SemanticCache.MaxExportPageSize) { failures.Add($"Cluster:TransferPageSize {options.TransferPageSize} must be 1 to {Engine.SemanticCache.MaxExportPageSize}."); }
        if (options.MovesAtOnce is < 1 or > 64) { failures.Add($"Cluster:MovesAtOnce {options.MovesAtOnce} must be 1 to 64."); }
        if (options.MoveInterval < TimeSpan.Zero || options.MoveInterval > TimeSpan.FromMinutes(1)) { failures.Add("Cluster:MoveInterval must be 0 to 1 minute."); }
        if (options.Membership == ClusterMembership.Development && !string.IsNullOrWhiteSpace(options.PrimarySiloEndpoint) && !IPEndPoint.TryParse(options.PrimarySiloEndpoint, out _))
        {
            failures.Add($"Cluster:PrimarySiloEndpoint '{options.PrimarySiloEndpoint}' is not host:port with an IP address.");
        }

        if (options.Membership == ClusterMembership.Redis && string.IsNullOrWhiteSpace(options.RedisConnectionString))
        {
            failures.Add("Cluster:RedisConnectionString is required with Membership Redis.");
        }

        return failures;
    }
}
