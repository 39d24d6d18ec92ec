namespace SemCache.Prefix;

internal sealed partial class PrefixCache
{
    public async ValueTask<KvEventsResult> ApplyKvEventsAsync(string tenant, string backendId, IAsyncEnumerable<KvEvent> events, CancellationToken cancellationToken = default)
    {
        ValidateTenant(tenant);
        ValidateId(backendId, nameof(backendId));
        ArgumentNullException.ThrowIfNull(events);
        var backend = RequireBackend(tenant, backendId);
        long count = 0, stored = 0, removed = 0;
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            ValidateEvent(e, backend.Info.BlockSize, count);
            count++;
            lock (backend.Gate)
            {
                switch (e.Kind)
                {
                    case KvEventKind.BlockStored:
                        var hashes = e.BlockHashes as ulong[] ?? [.. e.BlockHashes];
                        var tokens = e.TokenIds as int[] ?? [.. e.TokenIds];
                        stored += e.ParentBlockHash is { } parent && backend.Blocks.SlotOfEngineHash(parent) < 0
                            ? Buffer(backend, parent, hashes, tokens)
                            : Store(backend, e.ParentBlockHash, hashes, tokens);
                        break;
                    case KvEventKind.BlockRemoved:
                        foreach (var hash in e.BlockHashes) { removed += backend.Blocks.RemoveSubtree(backend.Blocks.SlotOfEngineHash(hash)); }
                        break;
                    default:
                        removed += backend.Blocks.Clear();
                        backend.Pending.Clear();
                        break;
                }
            }
        }

        lock (backend.Gate)
        {
            return new KvEventsResult(count, stored, removed, backend.Pending.Blocks, backend.Pending.Dropped);
        }
    }

    private static int Buffer(BackendState backend, ulong parent, ulong[] hashes, int[] tokens)
    {
        backend.Pending.Add(parent, hashes, tokens);
        return 0;
    }

    /// <summary>Holds the blocks of one stored event, then every buffered event that was waiting for them.</summary>
    private int Store(BackendState backend, ulong? parentHash, ulong[] hashes, int[] tokens)
    {
        var held = 0;
        var work = new Queue<(ulong? Parent, ulong[] Hashes, int[] Tokens)>();
        work.Enqueue((parentHash, hashes, tokens));
        var blockSize = backend.Info.BlockSize;
        while (work.TryDequeue(out var next))
        {
            var parentSlot = next.Parent is { } p ? backend.Blocks.SlotOfEngineHash(p) : -1;
            if (next.Parent is not null && parentSlot < 0)
            {
                // The parent went again (removed or evicted) before its children were resolved: they wait again.
                backend.Pending.Add(next.Parent.Value, next.Hashes, next.Tokens);
                continue;
            }

            // Keys are recomputed from the token ids under the tenant's seed: the engine's own hash settings never matter.
            var keys = new UInt128[next.Hashes.Length];
            var key = parentSlot >= 0 ? backend.Blocks.KeyOf(parentSlot) : backend.Seed.Root;
            for (var i = 0; i < keys.Length; i++)
            {
                key = PrefixHashing.NextKey(key, next.Tokens.AsSpan(i * blockSize, blockSize), backend.Seed, [], _options.HashAlgorithm);
                keys[i] = key;
            }

            var count = backend.Blocks.HoldChain(parentSlot, keys, next.Hashes, _time.GetUtcNow().UtcTicks, expires: 0, refresh: true, backend.Path);
            held += count;
            for (var i = 0; i < count; i++)
            {
                if (backend.Pending.Take(next.Hashes[i]) is { } waiting)
                {
                    foreach (var item in waiting) { work.Enqueue((next.Hashes[i], item.Hashes, item.Tokens)); }
                }
            }
        }

        return held;
    }

    private void ValidateEvent(KvEvent? e, int blockSize, long index)
    {
        if (e is null) { throw new ArgumentException($"events[{index}] is null", "events"); }
        if (!Enum.IsDefined(e.Kind)) { throw new ArgumentException($"events[{index}].kind {(int)e.Kind} is not BlockStored, BlockRemoved or AllBlocksCleared", "events"); }
        var maxBlocks = Math.Max(1, _options.MaxPromptTokens / blockSize);
        if (e.BlockHashes is null || e.BlockHashes.Count > maxBlocks) { throw new ArgumentException($"events[{index}].block_hashes must list at most {maxBlocks} blocks", "events"); }
        if (e.Kind != KvEventKind.BlockStored) { return; }
        if (e.BlockHashes.Count == 0) { throw new ArgumentException($"events[{index}]: a BlockStored event needs block hashes", "events"); }
        if (e.TokenIds is null || e.TokenIds.Count != e.BlockHashes.Count * blockSize)
        {
            throw new ArgumentException(
                $"events[{index}]: {e.BlockHashes.Count} blocks of {blockSize} tokens need {e.BlockHashes.Count * blockSize} token ids, not {e.TokenIds?.Count ?? 0}",
                "events");
        }

        for (var i = 0; i < e.TokenIds.Count; i++)
        {
            if (e.TokenIds[i] < 0) { throw new ArgumentException($"events[{index}].token_ids[{i}] is negative", "events"); }
        }
    }
}
