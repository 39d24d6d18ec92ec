namespace SemCache;

/// <summary>The kinds of KV cache events engines publish.</summary>
public enum KvEventKind
{
    /// <summary>Blocks were stored: their engine hashes, the parent's engine hash (none for a first block) and their token ids.</summary>
    BlockStored = 0,

    /// <summary>Blocks were evicted.</summary>
    BlockRemoved = 1,

    /// <summary>The engine dropped its whole cache.</summary>
    AllBlocksCleared = 2,
}

/// <summary>One KV cache event of an engine (the vLLM / Dynamo event model).</summary>
public sealed record KvEvent
{
    /// <summary>What happened.</summary>
    public KvEventKind Kind { get; init; }

    /// <summary>The engine's hashes of the blocks stored or removed, in order.</summary>
    public IReadOnlyList<ulong> BlockHashes { get; init; } = [];

    /// <summary>For <see cref="KvEventKind.BlockStored"/>: the engine hash of the block before the first one, or null for a prompt's first block.</summary>
    public ulong? ParentBlockHash { get; init; }

    /// <summary>For <see cref="KvEventKind.BlockStored"/>: the token ids of all stored blocks, block size × block count.</summary>
    public IReadOnlyList<int> TokenIds { get; init; } = [];
}

/// <summary>What a stream of KV events did.</summary>
/// <param name="Events">Events read.</param>
/// <param name="BlocksStored">Blocks now held that were stored by the stream (buffered ones included once their parent arrived).</param>
/// <param name="BlocksRemoved">Blocks removed (evicted by the engine, cleared, or under a removed parent).</param>
/// <param name="Pending">Stored blocks still waiting for their parent.</param>
/// <param name="Dropped">Waiting blocks dropped because the buffer was full (oldest first).</param>
public sealed record KvEventsResult(long Events, long BlocksStored, long BlocksRemoved, long Pending, long Dropped);
