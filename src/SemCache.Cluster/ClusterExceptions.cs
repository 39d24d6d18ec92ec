using Orleans;

namespace SemCache.Cluster;

/// <summary>
/// A store or removal could not be made durable on as many silos as <see cref="SemCacheClusterOptions.Replicas"/>
/// asks (too few silos alive): nothing was acknowledged; retry once the cluster has recovered.
/// </summary>
[GenerateSerializer, Alias("semcache.ClusterUnavailableException")]
public sealed class ClusterUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ClusterUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ClusterUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ClusterUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A copy refused a call made under an older configuration of its group: another coordinator took the
/// group over (the cluster's membership changed). The caller retries, which reaches the new coordinator.
/// </summary>
[GenerateSerializer, Alias("semcache.StaleGroupException")]
internal sealed class StaleGroupException : Exception
{
    public StaleGroupException()
    {
    }

    public StaleGroupException(string message)
        : base(message)
    {
    }

    public StaleGroupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
