using FASTER.core;
using SemCache.Storage;
using static SemCache.Tests.Storage.StorageTestSupport;

namespace SemCache.Tests.Storage;

/// <summary>
/// A failed write-ahead log commit (a full disk, simulated by a device whose writes fail) faults the
/// store: that write and every later one are refused, reads go on, and a restart shows no trace of
/// what was refused.
/// </summary>
public sealed class StoreFaultTests : IDisposable
{
    // A hang detector, not a speed assertion.
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task A_failed_commit_refuses_that_write_and_later_ones_keeps_serving_reads_and_leaves_no_trace_after_restart()
    {
        FaultInjectingDevice? device = null;
        var defaults = Options(_directory.Path, CacheDurability.Durable);
        var options = new EntryStoreOptions
        {
            DataDirectory = defaults.DataDirectory,
            Durability = defaults.Durability,
            LogMemorySizeBits = defaults.LogMemorySizeBits,
            IndexBuckets = defaults.IndexBuckets,
            CheckpointInterval = defaults.CheckpointInterval,
            WalDeviceFactory = path => device = new FaultInjectingDevice(Devices.CreateLogDevice(path, recoverDevice: true)),
        };
        var kept = Entry(1, prompt: "acknowledged");
        var refused = Entry(2, prompt: "refused");
        await using (var store = FasterEntryStore.Open(options))
        {
            await store.PutAsync(kept, CancellationToken.None);
            device!.FailWrites();

            var failed = await Assert.ThrowsAsync<StoreFaultedException>(async () => await store.PutAsync(refused, CancellationToken.None).AsTask().WaitAsync(HangLimit));
            var later = await Assert.ThrowsAsync<StoreFaultedException>(async () => await store.PutAsync(Entry(3, prompt: "later"), CancellationToken.None));
            var delete = await Assert.ThrowsAsync<StoreFaultedException>(async () => await store.DeleteAsync(1, CancellationToken.None));

            Assert.Contains("commit failed", failed.Reason, StringComparison.Ordinal);
            Assert.NotNull(later);
            Assert.NotNull(delete);
            Assert.True(store.TryGet(1, out var read));
            AssertSame(kept, read);
            Assert.Equal(failed.Reason, store.FaultReason);
            Assert.Equal(failed.Reason, StoreFaults.Of(_directory.Path));

            // A checkpoint now would make the refused record durable; it must not happen.
            await store.CheckpointAsync(CancellationToken.None);
        }

        await using var reopened = FasterEntryStore.Open(Options(_directory.Path, CacheDurability.Durable));

        Assert.True(reopened.TryGet(1, out var again));
        AssertSame(kept, again);
        Assert.False(reopened.TryGet(2, out _));
        Assert.False(reopened.TryGet(3, out _));
        Assert.False(reopened.TryGetExact(Hash("refused"), out _));
        Assert.Null(reopened.FaultReason);
        Assert.Null(StoreFaults.Of(_directory.Path));
        await reopened.PutAsync(Entry(4, prompt: "after restart"), CancellationToken.None);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_data_directory_and_its_folders_are_0700_and_its_files_0600_once_opened()
    {
        var root = System.IO.Path.Combine(_directory.Path, "fresh");
        await using (var store = FasterEntryStore.Open(Options(root, CacheDurability.Durable)))
        {
            await store.PutAsync(Entry(1), CancellationToken.None);
        }

        // Files FASTER created with its own mode (0644 under the usual umask) are narrowed when the
        // store opens them again; the server also sets umask 077, so it never creates them wider.
        // Either way the 0700 folders keep every file from other users.
        var existing = Directory.GetFiles(root, "*", SearchOption.AllDirectories);
        const UnixFileMode Folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        await using (FasterEntryStore.Open(Options(root, CacheDurability.Durable)))
        {
            Assert.NotEmpty(existing);
            Assert.All(existing.Where(File.Exists), f => Assert.True((File.GetUnixFileMode(f) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) == 0, f + " is " + File.GetUnixFileMode(f)));
        }

        Assert.Equal(Folder, File.GetUnixFileMode(root));
        Assert.All(Directory.GetDirectories(root, "*", SearchOption.AllDirectories), d => Assert.Equal(Folder, File.GetUnixFileMode(d)));
    }
}
