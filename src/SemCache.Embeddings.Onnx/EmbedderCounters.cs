namespace SemCache.Embeddings.Onnx;

/// <summary>Counters shared by the batcher and the direct path; updated with interlocked operations.</summary>
internal sealed class EmbedderCounters
{
    public long Requests;
    public long DirectInputs;
    public long Batches;
    public int LargestBatch;
    public long Cancelled;
    public long Truncated;
    public long Tokens;

    public void RecordBatch(int size)
    {
        Interlocked.Increment(ref Batches);
        int seen;
        while (size > (seen = Volatile.Read(ref LargestBatch)) && Interlocked.CompareExchange(ref LargestBatch, size, seen) != seen)
        {
        }
    }

    public void RecordEncoded(ReadOnlySpan<EncodedInfo> info)
    {
        long tokens = 0;
        long truncated = 0;
        foreach (var item in info)
        {
            tokens += item.Tokens;
            truncated += item.Truncated ? 1 : 0;
        }

        Interlocked.Add(ref Tokens, tokens);
        Interlocked.Add(ref Truncated, truncated);
    }
}
