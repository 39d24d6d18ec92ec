using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using V1 = SemCache.Grpc.V1;

namespace SemCache.LoadTest;

/// <summary>
/// Preloads entries, then runs N concurrent gRPC clients over a few HTTP/2 channels for a warm-up
/// and a measured interval, recording every lookup's latency.
/// </summary>
internal sealed class LoadRunner(LoadOptions options)
{
    private const double VectorNoise = 0.02;

    public async Task<LoadResult> RunAsync(CancellationToken cancellationToken)
    {
        var channels = Enumerable.Range(0, Math.Max(1, options.Channels))
            .Select(_ => GrpcChannel.ForAddress(options.Server, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
            }))
            .ToArray();
        try
        {
            var headers = new Metadata { { "authorization", "Bearer " + options.Key } };
            var clients = channels.Select(c => new V1.SemanticCache.SemanticCacheClient(c)).ToArray();
            var data = Workload.Create(options);
            await PreloadAsync(clients[0], headers, data, cancellationToken);

            using var warmup = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            warmup.CancelAfter(options.Warmup);
            await RunWorkersAsync(clients, headers, data, record: false, warmup.Token);

            using var measured = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var started = Stopwatch.GetTimestamp();
            measured.CancelAfter(options.Duration);
            var samples = await RunWorkersAsync(clients, headers, data, record: true, measured.Token);
            var elapsed = Stopwatch.GetElapsedTime(started);
            return LoadResult.From(options, samples, elapsed);
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    private async Task PreloadAsync(V1.SemanticCache.SemanticCacheClient client, Metadata headers, Workload data, CancellationToken cancellationToken)
    {
        // Stores carry vectors unless text-semantic lookups are measured, which need the server's embeddings.
        var withVectors = options.Mix.SemanticText == 0;
        var gate = new SemaphoreSlim(16);
        var tasks = new List<Task>();
        for (var i = 0; i < data.Prompts.Length; i++)
        {
            var request = new V1.StoreRequest
            {
                Scope = data.Scope,
                Prompt = data.Prompts[i],
                Response = "answer " + i,
                Usage = new V1.Usage { InputTokens = 200, OutputTokens = 150, Cost = 0.002 },
            };
            if (withVectors)
            {
                request.Vector.AddRange(data.Vectors[i]);
            }

            await gate.WaitAsync(cancellationToken);
            tasks.Add(Task.Run(
                async () =>
                {
                    try
                    {
                        await client.StoreAsync(request, headers, cancellationToken: cancellationToken);
                    }
                    finally
                    {
                        gate.Release();
                    }
                },
                cancellationToken));
        }

        await Task.WhenAll(tasks);
    }

    private async Task<WorkerSamples[]> RunWorkersAsync(V1.SemanticCache.SemanticCacheClient[] clients, Metadata headers, Workload data, bool record, CancellationToken stop)
    {
        var workers = new Task<WorkerSamples>[options.Clients];
        for (var w = 0; w < workers.Length; w++)
        {
            var client = clients[w % clients.Length];
            var random = new Random(options.Seed + w);
            workers[w] = Task.Run(async () =>
            {
                var samples = new WorkerSamples(record ? 1 << 14 : 0);
                while (!stop.IsCancellationRequested)
                {
                    var request = data.Next(random, out var expectHit);
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        var response = await client.LookupAsync(request, headers);
                        if (record)
                        {
                            samples.Add(Stopwatch.GetTimestamp() - started, response.Kind, expectHit);
                        }
                    }
                    catch (RpcException)
                    {
                        if (record)
                        {
                            samples.Errors++;
                        }
                    }
                }

                return samples;
            });
        }

        return await Task.WhenAll(workers);
    }
}

/// <summary>One worker's measurements.</summary>
internal sealed class WorkerSamples(int capacity)
{
    public List<long> Ticks { get; } = new(capacity);

    public long Exact { get; private set; }

    public long Semantic { get; private set; }

    public long Misses { get; private set; }

    public long ExpectedHits { get; private set; }

    public long Errors { get; set; }

    public void Add(long ticks, V1.HitKind kind, bool expectHit)
    {
        Ticks.Add(ticks);
        ExpectedHits += expectHit ? 1 : 0;
        switch (kind)
        {
            case V1.HitKind.Exact:
                Exact++;
                break;
            case V1.HitKind.Semantic:
                Semantic++;
                break;
            default:
                Misses++;
                break;
        }
    }
}
