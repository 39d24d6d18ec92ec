using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using SemCache.Vectors;

namespace SemCache.Engine;

/// <summary>
/// Batch lookups: the steps of a single lookup (exact layer, embedding, search, decision) run
/// stage by stage over the whole batch, so that prompts are embedded in batches and the queries
/// that land in one flat partition are scored together by the batch scorer. Each request is still
/// decided by <see cref="SemanticAsync"/>, the single-lookup code, from the candidates found.
/// </summary>
internal sealed partial class SemanticCache
{
    /// <summary>Prompts per embedder call: large enough to fill a GPU batch, small enough to bound one call's memory.</summary>
    internal const int BatchEmbedSize = 256;

    /// <summary>
    /// One matrix per index generation, so a scorer that keeps device copies sees the same object
    /// (and the same rows) until the index is rebuilt; the entry goes with the generation.
    /// </summary>
    private static readonly ConditionalWeakTable<HnswGraph, VectorMatrix> Matrices = new();

    public async ValueTask<IReadOnlyList<CacheLookupResult>> LookupBatchAsync(IReadOnlyList<CacheLookupRequest> requests, CancellationToken cancellationToken = default)
    {
        using var operation = Enter();
        ArgumentNullException.ThrowIfNull(requests);
        var count = requests.Count;
        var vectors = new float[]?[count];

        // All of the batch is checked before any of it runs: a rejected batch changes nothing.
        for (var i = 0; i < count; i++)
        {
            try
            {
                var request = requests[i];
                ValidateLookup(request);
                if (request.Vector is { } given)
                {
                    vectors[i] = new float[_options.Dimensions];
                    _validator.Vector(given.Span, vectors[i]);
                }
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"requests[{i}]: {e.Message}", $"requests[{i}].{e.ParamName}", e);
            }
        }

        using var activity = Telemetry.SemCacheTelemetry.ActivitySource.StartActivity("semcache.lookup_batch");
        activity?.SetTag("semcache.batch_size", count);
        var started = Stopwatch.GetTimestamp();
        var now = NowTicks;
        var keys = new RequestKeys[count];
        var results = new CacheLookupResult?[count];
        var semantic = new List<int>();
        for (var i = 0; i < count; i++)
        {
            var request = requests[i];
            keys[i] = ComputeKeys(request.Tenant, request.Scope, request.Context, request.Prompt, createTenant: true);
            results[i] = TryExact(request, keys[i], now);
            if (results[i] is null && request.Mode == CacheLookupMode.ExactAndSemantic) { semantic.Add(i); }
        }

        await EmbedMissingAsync(requests, semantic, vectors, cancellationToken);
        var found = SearchAll(keys, semantic, vectors);
        foreach (var i in semantic)
        {
            // A request whose tenant or partition is unknown found nothing; SemanticAsync answers it as a single lookup would.
            var (hits, n) = found.TryGetValue(i, out var f) ? f : ([], 0);
            results[i] = await SemanticAsync(requests[i], keys[i], vectors[i]!, now, cancellationToken, hits, n);
        }

        // Latency histograms hold per-lookup figures: each lookup of the batch is charged its share.
        var share = Stopwatch.GetElapsedTime(started) / Math.Max(1, count);
        var answers = new CacheLookupResult[count];
        for (var i = 0; i < count; i++)
        {
            answers[i] = results[i] ?? CacheLookupResult.Miss();
            Record(keys[i].Tenant, answers[i], share, requests[i].Scope?.Model);

            // Cost accounting sees each lookup of a batch as the single lookup it stands for.
            RecordCosts(requests[i], answers[i]);
        }

        return answers;
    }

    /// <summary>Embeds the prompts of the semantic lookups that brought no vector, <see cref="BatchEmbedSize"/> per embedder call.</summary>
    private async ValueTask EmbedMissingAsync(IReadOnlyList<CacheLookupRequest> requests, List<int> semantic, float[]?[] vectors, CancellationToken cancellationToken)
    {
        var missing = semantic.Where(i => vectors[i] is null).ToList();
        if (missing.Count == 0) { return; }
        if (_embedder is null)
        {
            throw new ArgumentException(
                "This cache has no embedder (RequestsBringVectors is set): every request must carry a Vector for its Prompt.", "Vector");
        }

        for (var start = 0; start < missing.Count; start += BatchEmbedSize)
        {
            var chunk = missing.GetRange(start, Math.Min(BatchEmbedSize, missing.Count - start));
            var embeddings = await _embedder.GenerateAsync(chunk.Select(i => requests[i].Prompt!), cancellationToken: cancellationToken);
            if (embeddings.Count != chunk.Count)
            {
                throw new InvalidOperationException($"The embedding generator returned {embeddings.Count} embeddings for {chunk.Count} prompts.");
            }

            for (var j = 0; j < chunk.Count; j++) { vectors[chunk[j]] = ToUnitVector(embeddings[j].Vector.Span); }
        }
    }

    /// <summary>
    /// The nearest candidates of every semantic lookup, by request index. The lookups of one flat
    /// partition go to the batch scorer together; a graph partition (approximate search) and a
    /// partition asked only once are searched as a single lookup searches them, so the batch finds
    /// exactly what single lookups find.
    /// </summary>
    private Dictionary<int, (VectorHit[] Hits, int Count)> SearchAll(RequestKeys[] keys, List<int> semantic, float[]?[] vectors)
    {
        var k = _options.MaxCandidates;
        var found = new Dictionary<int, (VectorHit[], int)>(semantic.Count);
        foreach (var group in semantic.GroupBy(i => keys[i].PartitionKey))
        {
            var members = group.ToArray();
            if (keys[members[0]].Tenant is null || !_partitions.TryEnter(group.Key, out var partition)) { continue; }
            try
            {
                // The graph's arena is pinned for the whole batch pass: a background rebuild may retire this
                // generation meanwhile, and its vectors must stay readable until the pass is done.
                var graph = partition.Index.Graph;
                if (!graph.IsLinked && members.Length >= 2 && graph.TryPin(out var pinned))
                {
                    try
                    {
                        ScoreTogether(graph, members, vectors, k, found);
                    }
                    finally
                    {
                        pinned.Release();
                    }

                    continue;
                }

                foreach (var i in members)
                {
                    var hits = new VectorHit[k];
                    found[i] = (hits, partition.Index.Search(vectors[i], hits));
                }
            }
            finally
            {
                _partitions.Exit(partition);
            }
        }

        return found;
    }

    private unsafe void ScoreTogether(HnswGraph graph, int[] members, float[]?[] vectors, int k, Dictionary<int, (VectorHit[], int)> found)
    {
        var dims = _options.Dimensions;
        var queries = new float[members.Length * dims];
        for (var j = 0; j < members.Length; j++) { vectors[members[j]].AsSpan().CopyTo(queries.AsSpan(j * dims)); }

        var rows = new ScoredRow[members.Length * k];
        var counts = new int[members.Length];
        var matrix = Matrices.GetValue(graph, static g => new VectorMatrix(g, owned: false));
        _batchScorer.Score(matrix, queries, members.Length, rows, counts);
        for (var j = 0; j < members.Length; j++)
        {
            // Decided on the similarity the single lookup computes (same kernel, same padding), so a
            // device's rounding can never move a candidate across a threshold; ties keep row order.
            var q = SearchScratch.Current.PrepareQuery(vectors[members[j]], graph.Stride);
            var n = Math.Min(counts[j], k);
            var best = rows.AsSpan(j * k, n);
            for (var r = 0; r < n; r++) { best[r] = best[r] with { Similarity = graph.ExactSimilarity(q, (uint)best[r].Row) }; }
            best.Sort(static (a, b) => a.Similarity != b.Similarity ? b.Similarity.CompareTo(a.Similarity) : a.Row.CompareTo(b.Row));

            var hits = new VectorHit[k];
            for (var r = 0; r < n; r++) { hits[r] = new VectorHit(graph.KeyOf((uint)best[r].Row), best[r].Similarity); }
            found[members[j]] = (hits, PartitionIndex.DropRepeatedKeys(hits.AsSpan(0, n)));
        }
    }
}

/// <summary>Log messages of batch lookups (kept beside them so that Log.cs stays as it is).</summary>
internal static partial class Log
{
    [LoggerMessage(40, LogLevel.Information, "Batch lookups compute similarity on {Accelerator}")]
    public static partial void BatchScorer(ILogger logger, string accelerator);
}
