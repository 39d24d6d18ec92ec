using FASTER.core;

namespace SemCache.Storage;

using Session = ClientSession<SpanByte, SpanByte, SpanByte, SpanByteAndMemory, Empty, SpanByteFunctions<Empty>>;

internal sealed partial class FasterEntryStore
{
    private enum IdRead
    {
        NotFound,
        Found,
        Corrupt,
    }

    /// <inheritdoc/>
    public bool TryGet(long entryId, out CacheEntryRecord? entry)
    {
        entry = null;
        ThrowIfDisposed();
        if (entryId <= 0)
            return false;

        Span<byte> key = stackalloc byte[StoreKeys.EntryKeyLength];
        StoreKeys.WriteEntryKey(key, entryId);
        var session = _sessions.Rent();
        var output = default(SpanByteAndMemory);
        bool found;
        try
        {
            found = Read(session, key, ref output);
        }
        finally
        {
            _sessions.Return(session);
        }

        using (output.Memory)
        {
            if (!found)
                return false;

            // Decoded straight from the pooled read buffer: the decoder's strings and arrays are the only copies.
            var value = output.IsSpanByte ? output.SpanByte.AsReadOnlySpan() : output.Memory.Memory.Span[..output.Length];
            if (EntryRecordCodec.TryDecode(value, out entry) && entry!.Id == entryId)
                return true;
        }

        entry = null;
        ReportCorrupt("entry", entryId);
        return false;
    }

    /// <summary>Stack buffer for <see cref="TryServe"/>: an entry with a 1,536-dimension vector and a few KB of text fits.</summary>
    private const int ServeStackBytes = 8 * 1024;

    /// <inheritdoc/>
    /// <remarks>The stack buffer is not zeroed: the read overwrites what it parses, and only that is parsed.</remarks>
    [System.Runtime.CompilerServices.SkipLocalsInit]
    public unsafe ServeRead TryServe<TState>(long entryId, in TState state, EntryFilter<TState> accept, out string response, out string[] earlierResponses)
    {
        ArgumentNullException.ThrowIfNull(accept);
        response = string.Empty;
        earlierResponses = [];
        ThrowIfDisposed();
        if (entryId <= 0)
            return ServeRead.Missing;

        Span<byte> key = stackalloc byte[StoreKeys.EntryKeyLength];
        StoreKeys.WriteEntryKey(key, entryId);

        // Values that fit are read onto the stack; larger ones (long prompts, wide vectors) into
        // pooled memory, whose wrapper object is then the only allocation of the read.
        Span<byte> stackValue = stackalloc byte[ServeStackBytes];
        fixed (byte* stackPointer = stackValue)
        {
            var session = _sessions.Rent();
            var output = SpanByteAndMemory.FromFixedSpan(stackValue);
            bool found;
            try
            {
                found = Read(session, key, ref output);
            }
            finally
            {
                _sessions.Return(session);
            }

            using (output.Memory)
            {
                if (!found)
                    return ServeRead.Missing;

                // Parsed in place in the read buffer, as TryGet decodes it: same checks, fewer copies.
                var value = output.IsSpanByte ? output.SpanByte.AsReadOnlySpan() : output.Memory.Memory.Span[..output.Length];
                if (EntryRecordCodec.TryParse(value, out var view) && view.Id == entryId)
                {
                    if (!accept(view, state))
                        return ServeRead.Rejected;
                    response = System.Text.Encoding.UTF8.GetString(view.Response);
                    earlierResponses = EntryRecordCodec.EarlierResponses(view);
                    return ServeRead.Accepted;
                }
            }
        }

        ReportCorrupt("entry", entryId);
        return ServeRead.Missing;
    }

    /// <inheritdoc/>
    public bool TryGetExact(ReadOnlySpan<byte> exactKey, out long entryId)
    {
        if (exactKey.Length != StoreKeys.ExactKeyBytes)
            throw new ArgumentException($"The exact key must be {StoreKeys.ExactKeyBytes} bytes.", nameof(exactKey));
        ThrowIfDisposed();

        Span<byte> key = stackalloc byte[StoreKeys.ExactKeyLength];
        StoreKeys.WriteExactKey(key, exactKey);
        var session = _sessions.Rent();
        IdRead result;
        try
        {
            result = TryReadId(session, key, out entryId);
        }
        finally
        {
            _sessions.Return(session);
        }

        if (result == IdRead.Corrupt)
            ReportCorrupt("exact key", 0);
        return result == IdRead.Found;
    }

    private bool EntryExists(long entryId) => TryReadEntryValue(entryId, out _);

    /// <summary>Copies the stored value of an entry (unverified); false when absent.</summary>
    private bool TryReadEntryValue(long entryId, out byte[] value)
    {
        Span<byte> key = stackalloc byte[StoreKeys.EntryKeyLength];
        StoreKeys.WriteEntryKey(key, entryId);
        var session = _sessions.Rent();
        try
        {
            var output = default(SpanByteAndMemory);
            if (!Read(session, key, ref output))
            {
                output.Memory?.Dispose();
                value = [];
                return false;
            }

            using (output.Memory)
            {
                value = output.IsSpanByte
                    ? output.SpanByte.AsReadOnlySpan().ToArray()
                    : output.Memory.Memory.Span[..output.Length].ToArray();
            }

            return true;
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    /// <summary>Reads an id value (exact key or metadata) without allocating.</summary>
    private static unsafe IdRead TryReadId(Session session, ReadOnlySpan<byte> key, out long id)
    {
        id = 0;
        Span<byte> buffer = stackalloc byte[StoreKeys.IdValueLength + 16];
        fixed (byte* bufferPointer = buffer)
        {
            var output = SpanByteAndMemory.FromFixedSpan(buffer);
            if (!Read(session, key, ref output))
            {
                output.Memory?.Dispose();
                return IdRead.NotFound;
            }

            bool ok;
            if (output.IsSpanByte)
            {
                ok = StoreKeys.TryReadIdValue(output.SpanByte.AsReadOnlySpan(), key, out id);
            }
            else
            {
                using (output.Memory)
                    ok = StoreKeys.TryReadIdValue(output.Memory.Memory.Span[..output.Length], key, out id);
            }

            return ok ? IdRead.Found : IdRead.Corrupt;
        }
    }

    /// <summary>
    /// Reads a key; a read that goes to disk is completed here, so the session is never left with a pending
    /// operation (which would hold back checkpoints).
    /// </summary>
    private static unsafe bool Read(Session session, ReadOnlySpan<byte> key, ref SpanByteAndMemory output)
    {
        fixed (byte* keyPointer = key)
        {
            var keyBytes = SpanByte.FromFixedSpan(key);
            SpanByte input = default;
            var status = session.Read(ref keyBytes, ref input, ref output, Empty.Default, 0);
            if (status.IsPending)
            {
                session.CompletePendingWithOutputs(out var completed, wait: true);
                using (completed)
                {
                    while (completed.Next())
                    {
                        status = completed.Current.Status;
                        output = completed.Current.Output;
                    }
                }
            }

            return status.Found;
        }
    }
}
