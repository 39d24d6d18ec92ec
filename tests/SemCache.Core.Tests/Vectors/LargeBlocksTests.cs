using System.Globalization;
using SemCache.Vectors;

namespace SemCache.Tests.Vectors;

/// <summary>
/// A fact that needs Linux transparent huge pages: reported as skipped, with the reason, where the kernel offers none
/// (another OS, THP compiled out, or set to <c>never</c>). Never passes silently.
/// </summary>
public sealed class TransparentHugePagesFactAttribute : FactAttribute
{
    private const string Setting = "/sys/kernel/mm/transparent_hugepage/enabled";

    public TransparentHugePagesFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(Setting))
        {
            Skip = "transparent huge pages are not available here (" + Setting + " is missing)";
        }
        else if (File.ReadAllText(Setting).Contains("[never]", StringComparison.Ordinal))
        {
            Skip = "transparent huge pages are set to never on this machine";
        }
    }
}

public sealed unsafe class LargeBlocksTests
{
    [TransparentHugePagesFact]
    public void A_large_block_is_advised_to_use_huge_pages_and_is_fully_usable()
    {
        var bytes = LargeBlocks.HugePageThreshold + 4096 + 64;
        var block = (byte*)LargeBlocks.Allocate(bytes);
        try
        {
            Assert.Equal(0, (long)((nuint)block % 64));
            new Span<byte>(block, (int)bytes).Fill(0xA5);
            Assert.Equal(0xA5, block[bytes - 1]);

            // The advice is visible in the kernel's view of the mapping: VmFlags "hg" (huge pages advised).
            Assert.Contains("hg", FlagsOfMappingHolding((nuint)block));
        }
        finally
        {
            LargeBlocks.Free(block);
        }
    }

    [Fact]
    public void A_small_block_is_an_ordinary_aligned_one()
    {
        var block = (byte*)LargeBlocks.Allocate(1000);
        try
        {
            Assert.Equal(0, (long)((nuint)block % 64));
            new Span<byte>(block, 1000).Fill(1);
            Assert.Equal(1, block[999]);
        }
        finally
        {
            LargeBlocks.Free(block);
        }
    }

    /// <summary>The VmFlags words of the /proc/self/smaps entry whose address range holds <paramref name="address"/>.</summary>
    private static string[] FlagsOfMappingHolding(nuint address)
    {
        var inside = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            var dash = line.IndexOf('-', StringComparison.Ordinal);
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            if (dash > 0 && space > dash && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var start)
                && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var end))
            {
                inside = start <= address && address < end;
            }
            else if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
            {
                return line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            }
        }

        return [];
    }
}
