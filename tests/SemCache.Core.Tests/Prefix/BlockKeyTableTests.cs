using SemCache.Prefix;

namespace SemCache.Tests.Prefix;

public sealed class BlockKeyTableTests
{
    [Fact]
    public void Random_inserts_updates_and_removals_agree_with_a_dictionary()
    {
        var random = new Random(31);
        var table = new BlockKeyTable();
        var reference = new Dictionary<UInt128, int>();

        // Up to 8 keys share each low word (their home), which forces clusters, so removal's backward shift is exercised across wrap-around.
        UInt128 Key() => new((ulong)random.Next(0, 8), (ulong)random.Next(0, 20_000));
        for (var step = 0; step < 40_000; step++)
        {
            var key = Key();
            switch (random.Next(3))
            {
                case 0:
                case 1:
                    var slot = random.Next(0, 1_000_000);
                    table.Set(key, slot);
                    reference[key] = slot;
                    break;
                default:
                    Assert.Equal(reference.Remove(key), table.Remove(key));
                    break;
            }

            if (step % 1999 == 0)
            {
                Assert.Equal(reference.Count, table.Count);
                foreach (var (k, v) in reference)
                {
                    Assert.True(table.TryGetValue(k, out var found));
                    Assert.Equal(v, found);
                }

                Assert.False(table.ContainsKey(new UInt128(ulong.MaxValue, 7)));
            }
        }

        Assert.Equal(reference.Keys.Order(), table.Keys.Order());
        table.Clear();
        Assert.Equal(0, table.Count);
        Assert.False(table.ContainsKey(reference.Keys.First()));
    }
}
