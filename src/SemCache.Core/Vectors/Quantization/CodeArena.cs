using System.Runtime.InteropServices;

namespace SemCache.Vectors.Quantization;

/// <summary>
/// The quantised codes of one graph generation with the quantiser that wrote them: a 64-byte-aligned native block,
/// <see cref="CodeBytes"/> per node. Immutable apart from appending codes of new nodes (one writer); growing or
/// recalibrating builds a new arena that is published in one reference swap, so a search always pairs a query
/// encoded by one quantiser with codes written by the same one.
/// </summary>
internal sealed unsafe class CodeArena : IDisposable
{
    private int _freed;

    public CodeArena(VectorEncoding encoding, Int8Quantizer? int8, BinaryQuantizer? binary, int capacity)
    {
        Encoding = encoding;
        Int8 = int8;
        Binary = binary;
        CodeBytes = encoding == VectorEncoding.Int8 ? int8!.CodeBytes : binary!.Words * sizeof(ulong);
        Capacity = Math.Max(capacity, 16);
        Bytes = (nuint)Capacity * (nuint)CodeBytes;
        Codes = (byte*)NativeMemory.AlignedAlloc(Bytes, 64);
        NativeMemory.Clear(Codes, Bytes);
        GC.AddMemoryPressure((long)Bytes);
    }

    ~CodeArena() => Free();

    public VectorEncoding Encoding { get; }

    public Int8Quantizer? Int8 { get; }

    public BinaryQuantizer? Binary { get; }

    public int CodeBytes { get; }

    public int Capacity { get; }

    public nuint Bytes { get; }

    public byte* Codes { get; }

    /// <summary>Nodes [0, CalibratedCount) were present when the quantiser was calibrated.</summary>
    public int CalibratedCount { get; init; }

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

    /// <summary>A larger arena with the same quantiser holding copies of the first <paramref name="count"/> codes.</summary>
    public CodeArena Grow(int newCapacity, int count)
    {
        var next = new CodeArena(Encoding, Int8, Binary, newCapacity) { CalibratedCount = CalibratedCount };
        Buffer.MemoryCopy(Codes, next.Codes, next.Bytes, (nuint)count * (nuint)CodeBytes);
        return next;
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (Interlocked.Exchange(ref _freed, 1) != 0)
        {
            return;
        }

        NativeMemory.AlignedFree(Codes);
        GC.RemoveMemoryPressure((long)Bytes);
    }
}
