using SemCache.Storage;
using static SemCache.Tests.Storage.StorageTestSupport;

namespace SemCache.Tests.Storage;

/// <summary>Deleting several entries as one unit (invalidation by tag or scope, feedback removal).</summary>
public sealed class DeleteManyTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    public static TheoryData<CacheDurability> AllModes => [CacheDurability.Durable, CacheDurability.Fast, CacheDurability.InMemory];

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task DeleteMany_removes_every_present_entry_and_its_exact_key_and_counts_each_once(CacheDurability durability)
    {
        await using var store = FasterEntryStore.Open(Options(_directory.Path, durability));
        for (var id = 1; id <= 20; id++)
            await store.PutAsync(Entry(id, prompt: "p" + id), CancellationToken.None);

        // Absent (99), non-positive (0) and repeated (3) ids are ignored.
        var deleted = await store.DeleteManyAsync([1, 2, 3, 3, 4, 99, 0], CancellationToken.None);

        Assert.Equal(4, deleted);
        for (var id = 1; id <= 4; id++)
        {
            Assert.False(store.TryGet(id, out _));
            Assert.False(store.TryGetExact(Hash("p" + id), out _));
        }

        Assert.True(store.TryGet(5, out _));
        Assert.Equal(0, await store.DeleteManyAsync([1, 2, 3, 4], CancellationToken.None));
    }

    [Fact]
    public async Task DeleteMany_keeps_the_exact_key_of_a_newer_entry_for_the_same_prompt()
    {
        await using var store = FasterEntryStore.Open(Options(_directory.Path, CacheDurability.Durable));
        await store.PutAsync(Entry(1, prompt: "same"), CancellationToken.None);
        await store.PutAsync(Entry(2, prompt: "same"), CancellationToken.None);

        Assert.Equal(1, await store.DeleteManyAsync([1], CancellationToken.None));
        Assert.True(store.TryGetExact(Hash("same"), out var current));
        Assert.Equal(2, current);
    }

    [Fact]
    public async Task A_cancelled_DeleteMany_deletes_nothing()
    {
        await using var store = FasterEntryStore.Open(Options(_directory.Path, CacheDurability.Durable));
        await store.PutAsync(Entry(1), CancellationToken.None);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.DeleteManyAsync([1], cancelled.Token).AsTask());
        Assert.True(store.TryGet(1, out _));
    }

    [Fact]
    public async Task An_acknowledged_batch_spanning_several_log_records_is_replayed_whole_from_a_crash_image()
    {
        var image = Path.Combine(_directory.Path, "image");
        await using (var store = FasterEntryStore.Open(Options(_directory.Path, CacheDurability.Durable)))
        {
            for (var id = 1; id <= 100; id++)
                await store.PutAsync(CrashHost.CrashEntries.Create(id), CancellationToken.None);
            await store.CheckpointAsync(CancellationToken.None);

            // 75 deletes in records of 10: eight chunks of one batch, all after the checkpoint, so
            // only the write-ahead log's replay can bring them back.
            store.MaxDeletesPerLogRecord = 10;
            Assert.Equal(75, await store.DeleteManyAsync([.. Enumerable.Range(1, 75).Select(i => (long)i)], CancellationToken.None));

            // Copying the files of a running store is what a crash leaves behind: no final checkpoint.
            CopyDirectory(Path.Combine(_directory.Path, "store"), Path.Combine(image, "store"));
            CopyDirectory(Path.Combine(_directory.Path, "wal"), Path.Combine(image, "wal"));
        }

        await using var recovered = FasterEntryStore.Open(Options(image, CacheDurability.Durable));
        for (var id = 1; id <= 100; id++)
            Assert.Equal(id > 75, recovered.TryGet(id, out _));
        Assert.Equal(0, recovered.CorruptRecordCount);
    }

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source))
        {
            using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var output = File.Create(Path.Combine(destination, Path.GetFileName(file)));
            input.CopyTo(output);
        }

        foreach (var directory in Directory.GetDirectories(source))
            CopyDirectory(directory, Path.Combine(destination, Path.GetFileName(directory)));
    }
}
