using System.Runtime.InteropServices;

namespace SemCache.Vectors.Quantization;

/// <summary>
/// The quantised codes of one graph with the quantiser that wrote them: a 64-byte-aligned native block,
/// <see cref="CodeBytes"/> per node. Apart from appending codes of new nodes (under the index's writer lock),
/// published code arenas never change; growing or recalibrating builds a new arena that is published in one
/// reference swap, so a search always pairs a query encoded by one quantiser with codes written by the same one.
/// </summary>
/// <remarks>
/// Reference counted like the vector arena (<see cref="PinnedMemory"/>): a search pins the code arena it reads, and a
/// replaced one is freed when its last reader leaves, never by a finalizer.
/// </remarks>
internal sealed unsafe class CodeArena : PinnedMemory, IDisposable
{
    public CodeArena(VectorEncoding encoding, Int8Quantizer? int8, BinaryQuantizer? binary, int capacity, ArenaLedger? ledger)
        : base(ledger)
    {
        Encoding = encoding;
        Int8 = int8;
        Binary = binary;
        CodeBytes = CodeBytesFor(encoding, int8?.Dimensions ?? binary!.Dimensions);
        Capacity = Math.Max(capacity, 16);
        Bytes = (nuint)Capacity * (nuint)CodeBytes;
        Codes = (byte*)LargeBlocks.Allocate(Bytes);
        NativeMemory.Clear(Codes, Bytes);
        GC.AddMemoryPressure((long)Bytes);
    }

    public VectorEncoding Encoding { get; }

    public Int8Quantizer? Int8 { get; }

    public BinaryQuantizer? Binary { get; }

    public int CodeBytes { get; }

    /// <summary>Bytes of one node's code in <paramref name="encoding"/> at <paramref name="dimensions"/>; 0 for float32 (no codes).</summary>
    public static int CodeBytesFor(VectorEncoding encoding, int dimensions) => encoding switch
    {
        VectorEncoding.Int8 => Int8Quantizer.CodeBytesFor(dimensions),
        VectorEncoding.Binary => BinaryQuantizer.WordsFor(dimensions) * sizeof(ulong),
        _ => 0,
    };

    public int Capacity { get; }

    public nuint Bytes { get; }

    public byte* Codes { get; }

    /// <summary>Nodes [0, CalibratedCount) were present when the quantiser was calibrated.</summary>
    public int CalibratedCount { get; init; }

    /// <summary>A new code arena calibrated on the first <paramref name="count"/> vectors of <paramref name="arena"/> (nothing encoded yet).</summary>
    public static CodeArena Calibrate(VectorEncoding encoding, VectorArena arena, int count, int dims, ArenaLedger? ledger) =>
        encoding == VectorEncoding.Int8
            ? new CodeArena(encoding, Int8Quantizer.Calibrate(arena.Vectors, count, dims, arena.Stride), null, arena.Capacity, ledger) { CalibratedCount = count }
            : new CodeArena(encoding, null, BinaryQuantizer.Calibrate(arena.Vectors, count, dims, arena.Stride), arena.Capacity, ledger) { CalibratedCount = count };

    public byte* Code(uint id) => Codes + ((nuint)id * (nuint)CodeBytes);

    /// <summary>Writes the code of one vector.</summary>
    public void Encode(uint id, float* vector)
    {
        if (Int8 is not null)
        {
            Int8.Encode(vector, (sbyte*)Code(id));
        }
        else
        {
            Binary!.Encode(vector, (ulong*)Code(id));
        }
    }

    /// <summary>Encodes the vectors of nodes [<paramref name="from"/>, <paramref name="end"/>), which must fit.</summary>
    public void EncodeRange(VectorArena arena, int from, int end)
    {
        for (var id = from; id < end; id++)
        {
            Encode((uint)id, arena.Vector((uint)id));
        }
    }

    /// <summary>A larger arena with the same quantiser holding copies of the first <paramref name="count"/> codes.</summary>
    public CodeArena Grow(int newCapacity, int count)
    {
        var next = new CodeArena(Encoding, Int8, Binary, newCapacity, Ledger) { CalibratedCount = CalibratedCount };
        Buffer.MemoryCopy(Codes, next.Codes, next.Bytes, (nuint)count * (nuint)CodeBytes);
        return next;
    }

    /// <summary>Retires the arena: drops the owner's reference (once); readers still pinning it finish first.</summary>
    public void Dispose() => ReleaseOwner();

    protected override void Free()
    {
        LargeBlocks.Free(Codes);
        GC.RemoveMemoryPressure((long)Bytes);
    }
}
