using System.Globalization;

namespace SemCache.Cluster.Routing;

/// <summary>
/// The entry id a cluster hands out. Each silo's engine numbers its own copy of an entry, so the copies
/// of one entry have different local ids; the cluster id is the same on every copy (it travels as a
/// hidden tag) and says which group holds the entry: bits 53-62 the bucket, 32-52 the group's
/// configuration epoch, 0-31 the write's sequence number in that epoch. Epochs only grow, so an id is
/// never handed out twice by one group while any copy of it survives.
/// </summary>
internal static class ClusterEntryId
{
    /// <summary>Prefix of the hidden tag that carries the cluster id on every copy.</summary>
    public const string TagPrefix = "semcache.cluster.id:";

    public const long MaxEpoch = (1L << 21) - 1;

    public static long Create(int bucket, long epoch, uint sequence) =>
        ((long)bucket << 53) | ((epoch & MaxEpoch) << 32) | sequence;

    public static int BucketOf(long id) => (int)((id >> 53) & 0x3FF);

    public static string Tag(long id) => TagPrefix + id.ToString(CultureInfo.InvariantCulture);

    /// <summary>Finds the cluster id among an entry's tags and returns the tags the caller stored (without it).</summary>
    public static bool TrySplit(IReadOnlyList<string> tags, out long id, out IReadOnlyList<string> callerTags)
    {
        id = 0;
        callerTags = tags;
        var found = -1;
        for (var i = 0; i < tags.Count; i++)
        {
            if (tags[i].StartsWith(TagPrefix, StringComparison.Ordinal)
                && long.TryParse(tags[i].AsSpan(TagPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out id))
            {
                found = i;
                break;
            }
        }

        if (found < 0) { return false; }
        var rest = new string[tags.Count - 1];
        for (int i = 0, j = 0; i < tags.Count; i++)
        {
            if (i != found) { rest[j++] = tags[i]; }
        }

        callerTags = rest;
        return true;
    }
}
