using SemCache;
using SemCache.CrashHost;
using SemCache.Storage;

// Crash-test host: opens a Durable store in the given directory and writes entries from several
// concurrent writers until it is killed. A line "P <id>" means the put of <id> was acknowledged
// (PutAsync completed); "D <id>" means its delete was acknowledged. Nothing is printed before the
// acknowledgement, so every printed line is a promise the store must keep after a kill -9.
//
// Usage: dotnet SemCache.CrashHost.dll <data directory> [writers]
// Usage: dotnet SemCache.CrashHost.dll engine <data directory> <first sequence number> [writers]
// Usage: dotnet SemCache.CrashHost.dll invalidate <data directory> <entries> <delay ms before invalidating> [writers]
if (args is ["invalidate", var invalidateDirectory, var bulkCount, var delayMs, ..])
{
    var bulkWriters = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 8;
    return await EngineCrash.RunInvalidateAsync(
        invalidateDirectory,
        int.Parse(bulkCount, System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(delayMs, System.Globalization.CultureInfo.InvariantCulture),
        bulkWriters);
}

if (args is ["engine", var engineDirectory, var firstSeq, ..])
{
    var engineWriters = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 4;
    return await EngineCrash.RunAsync(engineDirectory, long.Parse(firstSeq, System.Globalization.CultureInfo.InvariantCulture), engineWriters);
}

if (args.Length < 1)
{
    await Console.Error.WriteLineAsync("usage: SemCache.CrashHost <data directory> [writers]");
    return 2;
}

var writers = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 4;
var options = new EntryStoreOptions
{
    DataDirectory = args[0],
    Durability = CacheDurability.Durable,
    // Short so checkpoints and write-ahead log truncation also happen while the host is being killed.
    CheckpointInterval = TimeSpan.FromMilliseconds(500),
    LogMemorySizeBits = 24,
    IndexBuckets = 1 << 12,
};

await using var store = EntryStoreFactory.Open(options);
var output = Console.Out;
var outputLock = new Lock();
var nextId = store.MaxEntryId;

void Acknowledge(char kind, long id)
{
    lock (outputLock)
    {
        // One write per line, so a kill cannot leave a partial id behind.
        output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kind} {id}"));
        output.Flush();
    }
}

Acknowledge('R', store.MaxEntryId);
var tasks = Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
{
    while (true)
    {
        var id = Interlocked.Increment(ref nextId);
        await store.PutAsync(CrashEntries.Create(id), CancellationToken.None);
        Acknowledge('P', id);
        if (CrashEntries.IsDeletedAfterPut(id) && await store.DeleteAsync(id, CancellationToken.None))
            Acknowledge('D', id);
    }
})).ToArray();

await Task.WhenAll(tasks);
return 0;
