using System.Text;
using Microsoft.Extensions.Time.Testing;
using SemCache.Storage;
using static SemCache.Tests.Storage.StorageTestSupport;

namespace SemCache.Tests.Storage;

public sealed class FasterEntryStoreTests : IDisposable
{
    // A hang detector, not a speed assertion: a healthy checkpoint takes well under a second here.
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private FasterEntryStore Open(CacheDurability durability, TimeProvider? time = null) =>
        FasterEntryStore.Open(Options(_directory.Path, durability, time));

    public static TheoryData<CacheDurability> AllModes => [CacheDurability.Durable, CacheDurability.Fast, CacheDurability.InMemory];

    public static TheoryData<CacheDurability> PersistentModes => [CacheDurability.Durable, CacheDurability.Fast];

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task Put_then_TryGet_returns_every_field(CacheDurability durability)
    {
        await using var store = Open(durability);
        var entry = CrashHost.CrashEntries.Create(42);
        await store.PutAsync(entry, CancellationToken.None);

        Assert.True(store.TryGet(42, out var read));
        AssertSame(entry, read);
        Assert.True(store.TryGetExact(entry.ExactKey, out var id));
        Assert.Equal(42, id);
        Assert.Equal(42, store.MaxEntryId);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task A_one_mebibyte_response_round_trips(CacheDurability durability)
    {
        var response = string.Create(1 << 20, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = i % 97 == 0 ? 'ß' : (char)('a' + (i % 26));
        });
        await using (var store = Open(durability))
        {
            await store.PutAsync(Entry(1, response: response), CancellationToken.None);
            Assert.True(store.TryGet(1, out var read));
            Assert.Equal(response, read!.Response);
        }

        if (durability == CacheDurability.InMemory)
            return;
        await using var reopened = Open(durability);
        Assert.True(reopened.TryGet(1, out var recovered));
        Assert.Equal(response, recovered!.Response);
    }

    [Fact]
    public async Task An_entry_larger_than_a_page_is_rejected_with_an_argument_exception()
    {
        await using var store = Open(CacheDurability.InMemory);
        var tooLarge = new string('x', store.MaxEncodedEntryLength);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(Entry(1, response: tooLarge), CancellationToken.None).AsTask());
        Assert.Equal("entry", error.ParamName);
        Assert.False(store.TryGet(1, out _));
    }

    [Fact]
    public async Task Put_rejects_fingerprints_that_are_not_32_bytes()
    {
        await using var store = Open(CacheDurability.InMemory);
        var entry = new CacheEntryRecord
        {
            Id = 1,
            Tenant = "t",
            ScopeFingerprint = new byte[31],
            ContextFingerprint = new byte[32],
            PartitionKey = 0,
            ExactKey = new byte[32],
            Prompt = "p",
            Response = "r",
            Tags = [],
            CreatedUtcTicks = 0,
            ExpiresUtcTicks = 0,
        };
        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(entry, CancellationToken.None).AsTask());
        Assert.Contains("ScopeFingerprint", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => store.TryGetExact(new byte[16], out _));
    }

    [Fact]
    public void Invalid_options_fail_with_the_setting_named()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => FasterEntryStore.Open(new EntryStoreOptions { DataDirectory = _directory.Path, PageSizeBits = 12 }));
        Assert.Equal("PageSizeBits", error.ParamName);
    }

    [Fact]
    public async Task A_put_with_the_same_exact_key_replaces_the_mapping_and_keeps_both_entries()
    {
        await using var store = Open(CacheDurability.Durable);
        await store.PutAsync(Entry(1, prompt: "same"), CancellationToken.None);
        await store.PutAsync(Entry(2, prompt: "same"), CancellationToken.None);

        Assert.True(store.TryGetExact(Hash("same"), out var id));
        Assert.Equal(2, id);
        Assert.True(store.TryGet(1, out _));
        Assert.True(store.TryGet(2, out _));
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task Delete_removes_the_entry_and_its_exact_key(CacheDurability durability)
    {
        await using var store = Open(durability);
        await store.PutAsync(Entry(7, prompt: "gone"), CancellationToken.None);

        Assert.True(await store.DeleteAsync(7, CancellationToken.None));
        Assert.False(store.TryGet(7, out _));
        Assert.False(store.TryGetExact(Hash("gone"), out _));
        Assert.False(await store.DeleteAsync(7, CancellationToken.None));
        Assert.False(await store.DeleteAsync(8, CancellationToken.None));
    }

    [Fact]
    public async Task Deleting_a_replaced_entry_keeps_the_exact_key_of_the_newer_one()
    {
        await using var store = Open(CacheDurability.Durable);
        await store.PutAsync(Entry(1, prompt: "shared"), CancellationToken.None);
        await store.PutAsync(Entry(2, prompt: "shared"), CancellationToken.None);

        Assert.True(await store.DeleteAsync(1, CancellationToken.None));
        Assert.True(store.TryGetExact(Hash("shared"), out var id));
        Assert.Equal(2, id);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task ScanLive_returns_exactly_the_live_entries(CacheDurability durability)
    {
        await using var store = Open(durability);
        for (var id = 1; id <= 300; id++)
            await store.PutAsync(Entry(id, prompt: "p" + id), CancellationToken.None);
        for (var id = 3; id <= 300; id += 3)
            await store.DeleteAsync(id, CancellationToken.None);

        var live = store.ScanLive().Select(e => e.Id).Order().ToArray();
        Assert.Equal(Enumerable.Range(1, 300).Where(i => i % 3 != 0).Select(i => (long)i), live);
    }

    [Theory]
    [MemberData(nameof(PersistentModes))]
    public async Task Reopening_after_a_clean_dispose_recovers_entries_deletes_and_the_max_id(CacheDurability durability)
    {
        var entries = Enumerable.Range(1, 200).Select(i => CrashHost.CrashEntries.Create(i)).ToArray();
        await using (var store = Open(durability))
        {
            foreach (var entry in entries)
                await store.PutAsync(entry, CancellationToken.None);
            for (var id = 2; id <= 200; id += 2)
                await store.DeleteAsync(id, CancellationToken.None);
        }

        await using var reopened = Open(durability);
        Assert.Equal(200, reopened.MaxEntryId);
        foreach (var entry in entries)
        {
            if (entry.Id % 2 == 0)
            {
                Assert.False(reopened.TryGet(entry.Id, out _));
            }
            else
            {
                Assert.True(reopened.TryGet(entry.Id, out var read));
                AssertSame(entry, read);
            }
        }

        Assert.Equal(100, reopened.ScanLive().Count());
        Assert.Equal(0, reopened.CorruptRecordCount);
    }

    [Fact]
    public async Task The_max_id_survives_deleting_the_newest_entry_and_compacting()
    {
        await using (var store = Open(CacheDurability.Fast))
        {
            for (var id = 1; id <= 50; id++)
                await store.PutAsync(Entry(id, prompt: "p" + id), CancellationToken.None);
            for (var id = 1; id <= 50; id++)
                await store.DeleteAsync(id, CancellationToken.None);
            await store.CheckpointAsync(CancellationToken.None);
            Assert.True(await store.CompactAsync(CancellationToken.None));
        }

        await using var reopened = Open(CacheDurability.Fast);
        Assert.Equal(50, reopened.MaxEntryId);
        Assert.Empty(reopened.ScanLive());
    }

    [Fact]
    public async Task A_second_open_of_the_same_directory_is_refused_until_the_first_is_disposed()
    {
        await using (var store = Open(CacheDurability.Durable))
        {
            await store.PutAsync(Entry(1), CancellationToken.None);
            var error = Assert.Throws<IOException>(() => Open(CacheDurability.Durable));
            Assert.Contains("already open", error.Message, StringComparison.Ordinal);
        }

        await using var reopened = Open(CacheDurability.Durable);
        Assert.True(reopened.TryGet(1, out _));
    }

    [Fact]
    public async Task InMemory_mode_writes_no_files()
    {
        var directory = Path.Combine(_directory.Path, "never");
        await using (var store = FasterEntryStore.Open(Options(directory, CacheDurability.InMemory)))
        {
            await store.PutAsync(Entry(1), CancellationToken.None);
            await store.CheckpointAsync(CancellationToken.None);
            Assert.True(store.TryGet(1, out _));
        }

        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public async Task Fast_mode_recovers_everything_before_the_last_checkpoint_from_a_crash_image()
    {
        var image = Path.Combine(_directory.Path, "image");
        await using (var store = Open(CacheDurability.Fast))
        {
            for (var id = 1; id <= 100; id++)
                await store.PutAsync(CrashHost.CrashEntries.Create(id), CancellationToken.None);
            await store.CheckpointAsync(CancellationToken.None);
            for (var id = 101; id <= 150; id++)
                await store.PutAsync(CrashHost.CrashEntries.Create(id), CancellationToken.None);

            // Copying the files of a running store is what a crash leaves behind: no final checkpoint.
            CopyDirectory(Path.Combine(_directory.Path, "store"), Path.Combine(image, "store"));
        }

        await using var recovered = FasterEntryStore.Open(Options(image, CacheDurability.Fast));
        for (var id = 1; id <= 100; id++)
        {
            Assert.True(recovered.TryGet(id, out var read), $"entry {id} lost");
            AssertSame(CrashHost.CrashEntries.Create(id), read);
        }

        Assert.Equal(0, recovered.CorruptRecordCount);
    }

    [Fact]
    public async Task Fast_mode_checkpoints_in_the_background_every_interval()
    {
        var time = new FakeTimeProvider();
        await using var store = FasterEntryStore.Open(Options(_directory.Path, CacheDurability.Fast, time));
        await store.PutAsync(Entry(1), CancellationToken.None);

        using var timeout = new CancellationTokenSource(HangLimit);
        while (store.CheckpointCount == 0)
        {
            time.Advance(TimeSpan.FromMinutes(10));
            await Task.Delay(20, timeout.Token);
        }

        Assert.Equal(1, store.CheckpointCount);
    }

    [Fact]
    public async Task Concurrent_writers_are_all_durable_and_readable_after_reopen()
    {
        const int writers = 8;
        const int perWriter = 150;
        await using (var store = Open(CacheDurability.Durable))
        {
            await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < perWriter; i++)
                {
                    var id = 1 + (w * perWriter) + i;
                    await store.PutAsync(CrashHost.CrashEntries.Create(id), CancellationToken.None);
                }
            })));

            for (var id = 1; id <= writers * perWriter; id++)
                Assert.True(store.TryGet(id, out _));
        }

        await using var reopened = Open(CacheDurability.Durable);
        Assert.Equal(writers * perWriter, reopened.ScanLive().Count());
        Assert.Equal(writers * perWriter, reopened.MaxEntryId);
    }

    [Theory]
    [MemberData(nameof(PersistentModes))]
    public async Task A_checkpoint_completes_while_pooled_sessions_sit_idle_and_writers_run(CacheDurability durability)
    {
        await using var store = Open(durability);

        // Many concurrent operations leave many sessions in the pool, all idle afterwards.
        await Task.WhenAll(Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                var id = 1 + (w * 20) + i;
                await store.PutAsync(Entry(id, prompt: "p" + id), CancellationToken.None);
                store.TryGet(id, out _);
            }
        })));
        await store.CheckpointAsync(CancellationToken.None).AsTask().WaitAsync(HangLimit);

        // And with writers running at the same time.
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var id = 1000L;
            while (!stop.IsCancellationRequested)
            {
                await store.PutAsync(Entry(++id, prompt: "w" + id), CancellationToken.None);
            }
        });
        for (var i = 0; i < 3; i++)
            await store.CheckpointAsync(CancellationToken.None).AsTask().WaitAsync(HangLimit);
        await stop.CancelAsync();
        await writer.WaitAsync(HangLimit);
        Assert.Equal(4, store.CheckpointCount);
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public async Task Compaction_shrinks_the_log_and_keeps_live_data(CacheDurability durability)
    {
        var payload = new string('c', 2000);
        await using (var store = Open(durability))
        {
            for (var id = 1; id <= 2000; id++)
                await store.PutAsync(Entry(id, prompt: "p" + id, response: payload + id), CancellationToken.None);
            for (var id = 1; id <= 2000; id++)
            {
                if (id % 10 != 0)
                    await store.DeleteAsync(id, CancellationToken.None);
            }

            await store.CheckpointAsync(CancellationToken.None);
            var before = store.LogBytes;
            Assert.True(await store.CompactAsync(CancellationToken.None));
            Assert.True(store.LogBytes < before / 2, $"log {before} -> {store.LogBytes}");
            for (var id = 1; id <= 2000; id++)
            {
                Assert.Equal(id % 10 == 0, store.TryGet(id, out var read));
                if (id % 10 == 0)
                    Assert.Equal(payload + id, read!.Response);
            }

            Assert.Equal(200, store.ScanLive().Count());
            Assert.True(store.TryGetExact(Hash("p20"), out var exact));
            Assert.Equal(20, exact);
        }

        if (durability == CacheDurability.InMemory)
            return;
        await using var reopened = Open(durability);
        Assert.Equal(200, reopened.ScanLive().Count());
        Assert.True(reopened.TryGet(2000, out _));
    }

    [Fact]
    public async Task InMemory_mode_beyond_its_managed_log_keeps_every_entry_in_native_memory_and_compaction_gives_it_back()
    {
        // 16 MiB of managed log; 2,000 entries of ~16 KiB are twice that, so the older half lives in native memory.
        var payload = new string('m', 16 * 1024);
        await using var store = Open(CacheDurability.InMemory);
        for (var id = 1; id <= 2000; id++)
            await store.PutAsync(Entry(id, prompt: "p" + id, response: payload + id), CancellationToken.None);

        Assert.True(store.NativeLogBytes >= 16L << 20, $"native {store.NativeLogBytes}");
        for (var id = 1; id <= 2000; id++)
        {
            Assert.True(store.TryGet(id, out var read), $"entry {id} was lost");
            Assert.Equal(payload + id, read!.Response);
        }

        Assert.Equal(2000, store.ScanLive().Count());
        Assert.True(store.TryGetExact(Hash("p1"), out var oldest));
        Assert.Equal(1, oldest);

        // Nine in ten leave; compaction moves the rest to the tail and the device frees what lay behind.
        var before = store.NativeLogBytes;
        await store.DeleteManyAsync([.. Enumerable.Range(1, 2000).Where(id => id % 10 != 0).Select(id => (long)id)], CancellationToken.None);
        Assert.True(await store.CompactAsync(CancellationToken.None));

        // FASTER frees the device behind the begin address on the thread pool once an epoch has passed
        // (reads drive the epoch); the wait is a hang limit, not a speed bar.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (store.NativeLogBytes >= before / 4 && waited.Elapsed < HangLimit)
        {
            store.TryGet(2000, out _);
            await Task.Delay(10);
        }

        Assert.True(store.NativeLogBytes < before / 4, $"native {before} -> {store.NativeLogBytes}, log {store.LogBytes}");
        for (var id = 1; id <= 2000; id++)
        {
            Assert.Equal(id % 10 == 0, store.TryGet(id, out var read));
            if (id % 10 == 0)
                Assert.Equal(payload + id, read!.Response);
        }

        Assert.Equal(200, store.ScanLive().Count());
        Assert.Equal(0, store.CorruptRecordCount);
    }

    [Fact]
    public async Task InMemory_mode_serves_concurrent_reads_of_native_and_managed_pages_while_a_writer_appends()
    {
        var payload = new string('n', 16 * 1024);
        await using var store = Open(CacheDurability.InMemory);
        for (var id = 1; id <= 1500; id++)
            await store.PutAsync(Entry(id, prompt: "p" + id, response: payload + id), CancellationToken.None);
        Assert.True(store.NativeLogBytes > 0);

        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var id = 1501; id <= 2500; id++)
                await store.PutAsync(Entry(id, prompt: "p" + id, response: payload + id), CancellationToken.None);
        });
        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(() =>
        {
            var random = new Random(r);
            for (var i = 0; i < 3000; i++)
            {
                var id = random.Next(1, 1501);
                Assert.True(store.TryGet(id, out var read), $"entry {id} not found");
                Assert.Equal(payload + id, read!.Response);
            }
        })).ToArray();
        await Task.WhenAll(readers.Append(writer)).WaitAsync(HangLimit);
        Assert.Equal(2500, store.ScanLive().Count());
        Assert.Equal(0, store.CorruptRecordCount);
    }

    [Fact]
    public async Task A_corrupted_value_on_disk_is_never_served()
    {
        const string marker = "MARKER-RESPONSE-0123456789";
        await using (var store = Open(CacheDurability.Fast))
        {
            await store.PutAsync(Entry(1, prompt: "a", response: "intact"), CancellationToken.None);
            await store.PutAsync(Entry(2, prompt: "b", response: marker), CancellationToken.None);
        }

        var logFile = Directory.GetFiles(Path.Combine(_directory.Path, "store"), "hlog.log.*").Single();
        var bytes = File.ReadAllBytes(logFile);
        var at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker));
        Assert.True(at >= 0, "marker not found in the log file");
        bytes[at + 3] ^= 0x01;
        File.WriteAllBytes(logFile, bytes);

        await using var reopened = Open(CacheDurability.Fast);
        Assert.False(reopened.TryGet(2, out var corrupt));
        Assert.Null(corrupt);
        Assert.True(reopened.CorruptRecordCount >= 1);
        Assert.True(reopened.TryGet(1, out var intact));
        Assert.Equal("intact", intact!.Response);
        Assert.Equal([1L], reopened.ScanLive().Select(e => e.Id));
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
