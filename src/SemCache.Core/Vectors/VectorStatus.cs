namespace SemCache.Vectors;

/// <summary>Outcome of validating and L2-normalising an embedding (see <see cref="VectorKernels.TryNormalize"/>).</summary>
internal enum VectorStatus
{
    /// <summary>The destination holds the unit-length vector.</summary>
    Ok = 0,

    /// <summary>The source has no components.</summary>
    Empty,

    /// <summary>The destination is shorter than the source.</summary>
    DestinationTooShort,

    /// <summary>A component is NaN or infinite.</summary>
    NonFinite,

    /// <summary>Every component is zero (or the norm underflows), so the vector has no direction.</summary>
    ZeroNorm,
}
