using System.Text.Json;

namespace SemCache.Cli.Commands;

/// <summary>Writes one JSON object as one line on stdout.</summary>
internal static class JsonLine
{
    public static void Write(Action<Utf8JsonWriter> body)
    {
        using var stream = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            body(json);
            json.WriteEndObject();
        }

        stream.Write("\n"u8);
    }

    public static void WriteStats(Utf8JsonWriter json, CacheStats stats)
    {
        json.WriteString("tenant", stats.Tenant);
        json.WriteNumber("entries", stats.Entries);
        json.WriteNumber("bytes", stats.Bytes);
        json.WriteNumber("partitions", stats.Partitions);
        json.WriteNumber("lookups", stats.Lookups);
        json.WriteNumber("exactHits", stats.ExactHits);
        json.WriteNumber("semanticHits", stats.SemanticHits);
        json.WriteNumber("misses", stats.Misses);
        json.WriteNumber("hitRate", stats.HitRate);
        json.WriteNumber("vetoes", stats.Vetoes);
        json.WriteNumber("stores", stats.Stores);
        json.WriteNumber("evictions", stats.Evictions);
        json.WriteNumber("expirations", stats.Expirations);
        json.WriteNumber("invalidations", stats.Invalidations);
        json.WriteNumber("tokensSaved", stats.TokensSaved);
        json.WriteNumber("costSaved", stats.CostSaved);
        json.WriteNumber("explorations", stats.Explorations);
        json.WriteNumber("budgetLabels", stats.BudgetLabels);
        if (stats.PartitionKernels is { } kernels)
        {
            json.WriteStartObject("partitionKernels");
            foreach (var (kernel, count) in kernels)
            {
                json.WriteNumber(kernel, count);
            }

            json.WriteEndObject();
        }
    }
}
