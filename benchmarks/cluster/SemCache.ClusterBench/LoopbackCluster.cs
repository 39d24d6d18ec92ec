using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Grpc.Net.Client;
using SemCache.Client;

namespace SemCache.ClusterBench;

/// <summary>
/// Server processes on loopback: one plain node, or a cluster whose first process is the development
/// membership primary. Each process has its own data directory (its own FASTER store), gRPC port and
/// silo port; all accept the same admin key (tenant <c>default</c>). Vectors are brought by the requests
/// (<see cref="Dimensions"/> dimensions), so no embedder model is needed.
/// </summary>
internal sealed class LoopbackCluster : IAsyncDisposable
{
    public const int Dimensions = 16;
    public const string Key = "cluster-bench-admin-key-0123456789";

    // A hang detector for start-up, not a speed figure.
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(120);

    private readonly List<Node> _nodes = [];
    private readonly DirectoryInfo _work;

    private LoopbackCluster(DirectoryInfo work) => _work = work;

    public IReadOnlyList<Node> Nodes => _nodes;

    /// <summary>Starts <paramref name="processes"/> servers; <paramref name="cluster"/> false starts one plain node.</summary>
    public static async Task<LoopbackCluster> StartAsync(int processes, bool cluster, int replicas, TextWriter log, CancellationToken cancellationToken)
    {
        var loopback = new LoopbackCluster(Directory.CreateTempSubdirectory("semcache-cluster-"));
        try
        {
            var primarySiloPort = FreePort();
            for (var i = 0; i < processes; i++)
            {
                loopback._nodes.Add(Node.Start(loopback._work, i, cluster, replicas, i == 0 ? primarySiloPort : FreePort(), primarySiloPort, log));
            }

            await Task.WhenAll(loopback._nodes.Select(n => n.WaitReadyAsync(StartLimit, cancellationToken))).ConfigureAwait(false);
            return loopback;
        }
        catch
        {
            await loopback.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes) { node.Dispose(); }
        await Task.Delay(200).ConfigureAwait(false);
        try
        {
            _work.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A process that is still closing its files; the temporary folder is left for the OS.
        }
        catch (UnauthorizedAccessException)
        {
        }
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string ServerProgram()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "SemCache.Server.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("SemCache.Server.dll is not beside the bench; build benchmarks/cluster/SemCache.ClusterBench first.", path);
    }

    /// <summary>One server process and its client.</summary>
    internal sealed class Node : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly GrpcChannel _channel;

        private Node(Process process, int index, int grpcPort, int httpPort)
        {
            _process = process;
            Index = index;
            HttpPort = httpPort;
            _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}", new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } });
            Client = new SemanticCacheClient(_channel, Key);
        }

        public int Index { get; }

        public int HttpPort { get; }

        public SemanticCacheClient Client { get; }

        public bool Alive { get; private set; } = true;

        public string Output
        {
            get { lock (_output) { return _output.ToString(); } }
        }

        public static Node Start(DirectoryInfo work, int index, bool cluster, int replicas, int siloPort, int primarySiloPort, TextWriter log)
        {
            var grpcPort = FreePort();
            var httpPort = FreePort();
            var data = Directory.CreateDirectory(Path.Combine(work.FullName, "node" + index.ToString(CultureInfo.InvariantCulture)));
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = data.FullName,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            var args = new List<string>
            {
                "exec", ServerProgram(),
                "--data", data.FullName,
                "--grpc-port", grpcPort.ToString(CultureInfo.InvariantCulture),
                "--http-port", httpPort.ToString(CultureInfo.InvariantCulture),
            };
            if (cluster)
            {
                args.AddRange(["--cluster", "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--cluster-replicas", replicas.ToString(CultureInfo.InvariantCulture)]);
                if (index > 0) { args.AddRange(["--cluster-primary", "127.0.0.1:" + primarySiloPort.ToString(CultureInfo.InvariantCulture)]); }
            }

            foreach (var a in args) { start.ArgumentList.Add(a); }
            start.Environment["SEMCACHE_ADMIN_KEY"] = Key;
            start.Environment["SemCache__RequestsBringVectors"] = "true";
            start.Environment["SemCache__Dimensions"] = Dimensions.ToString(CultureInfo.InvariantCulture);
            start.Environment["SemCache__Server__RequestsPerSecondPerKey"] = "0";
            start.Environment["SemCache__Server__MaxConcurrentLookupsPerTenant"] = "0";
            // Loopback: a killed process is declared dead within a few seconds.
            start.Environment["SemCache__Server__Cluster__ProbeTimeout"] = "00:00:01";
            start.Environment["SemCache__Server__Cluster__MissedProbesLimit"] = "2";
            start.Environment["SemCache__Server__Cluster__ResponseTimeout"] = "00:00:05";
            start.Environment["DOTNET_ENVIRONMENT"] = "Production";
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            start.Environment["Logging__LogLevel__Orleans"] = "Warning";

            var process = new Process { StartInfo = start };
            var node = new Node(process, index, grpcPort, httpPort);
            process.OutputDataReceived += (_, e) => node.Append(e.Data);
            process.ErrorDataReceived += (_, e) => node.Append(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            log.WriteLine($"node {index}: pid {process.Id}, gRPC {grpcPort}, HTTP {httpPort}" + (cluster ? $", silo {siloPort}" : string.Empty));
            return node;
        }

        public async Task WaitReadyAsync(TimeSpan limit, CancellationToken cancellationToken)
        {
            var deadline = DateTime.UtcNow + limit;
            while (true)
            {
                if (_process.HasExited) { throw new InvalidOperationException($"node {Index} exited with {_process.ExitCode}:\n{Output}"); }
                try
                {
                    await Client.GetStatsAsync("default", cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    if (DateTime.UtcNow > deadline) { throw new TimeoutException($"node {Index} did not answer within {limit}:\n{Output}", e); }
                    await Task.Delay(250, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        /// <summary>kill -9: no shutdown, no checkpoint, no goodbye to the cluster.</summary>
        public void Kill()
        {
            Alive = false;
            if (!_process.HasExited) { _process.Kill(entireProcessTree: true); }
            _process.WaitForExit(10_000);
        }

        public void Dispose()
        {
            if (Alive) { Kill(); }
            Client.Dispose();
            _channel.Dispose();
            _process.Dispose();
        }

        private void Append(string? line)
        {
            if (line is null) { return; }
            lock (_output)
            {
                // Enough to explain a failed start; the rest is not kept.
                if (_output.Length < 64 * 1024) { _output.AppendLine(line); }
            }
        }
    }
}
