using Microsoft.Extensions.Logging;
using SemCache.Engine;
using SemCache.Tests.Storage;

namespace SemCache.Tests.Engine;

/// <summary>A background index maintenance that fails is logged (once), not only recorded on the index.</summary>
public sealed class MaintenanceFaultLoggingTests
{
    [Fact]
    public async Task A_promotion_that_fails_in_the_background_is_logged_once_as_an_error()
    {
        // Int8 partitions move their float32 vectors to a mapped file under DataDirectory/float32 at their
        // first quantisation (the background promotion); a plain file in that place makes the move fail.
        using var directory = new TempDirectory();
        await File.WriteAllTextAsync(Path.Combine(directory.Path, "float32"), "not a folder");
        var logger = new CapturingLogger();
        var options = TestCache.Options(o =>
        {
            o.Durability = CacheDurability.Fast;
            o.DataDirectory = directory.Path;
            o.VectorEncoding = VectorEncoding.Int8;
            o.FlatSearchLimit = 64;
        });
        await using var cache = new SemanticCache(options, TestCache.SmallStore(), new BagOfWordsEmbedder(TestCache.Dims), logger);

        for (var i = 0; i < 100; i++) { await cache.StoreAsync(TestCache.Store("t", $"question number {i} about the product", "answer " + i)); }
        var partition = Assert.Single(cache.Partitions.All);
        Assert.Throws<InvalidOperationException>(partition.Index.WaitForMaintenance);

        // The next write into the partition notices the fault; later ones do not log it again.
        for (var i = 100; i < 103; i++) { await cache.StoreAsync(TestCache.Store("t", $"question number {i} about the product", "answer " + i)); }

        var error = Assert.Single(logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("index maintenance", StringComparison.Ordinal));
        Assert.NotNull(error.Exception);
        Assert.True((await cache.LookupAsync(TestCache.Lookup("t", "question number 5 about the product"))).IsHit);
    }

    private sealed class CapturingLogger : ILogger
    {
        private readonly List<(LogLevel Level, string Message, Exception? Exception)> _entries = [];

        public IReadOnlyList<(LogLevel Level, string Message, Exception? Exception)> Entries
        {
            get
            {
                lock (_entries) { return [.. _entries]; }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries) { _entries.Add((logLevel, formatter(state, exception), exception)); }
        }
    }
}
