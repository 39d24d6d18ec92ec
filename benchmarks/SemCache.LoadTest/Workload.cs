using V1 = SemCache.Grpc.V1;

namespace SemCache.LoadTest;

/// <summary>The prompts, their vectors and how each lookup is drawn.</summary>
internal sealed class Workload
{
    private readonly LoadOptions _options;

    private Workload(LoadOptions options, string[] prompts, float[][] vectors)
    {
        _options = options;
        Prompts = prompts;
        Vectors = vectors;
        Scope = new V1.Scope { Model = options.Model };
    }

    public string[] Prompts { get; }

    public float[][] Vectors { get; }

    public V1.Scope Scope { get; }

    public static Workload Create(LoadOptions options)
    {
        var random = new Random(options.Seed);
        var source = options.Prompts is { Count: > 0 } given ? given : Generated(options.Entries);
        var prompts = source.Take(options.Entries).ToArray();
        var vectors = prompts.Select(_ => RandomUnit(random, options.Dimensions)).ToArray();
        return new Workload(options, prompts, vectors);
    }

    /// <summary>Draws one lookup: a stored entry with probability HitRatio, of a kind chosen by the mix.</summary>
    public V1.LookupRequest Next(Random random, out bool expectHit)
    {
        expectHit = random.NextDouble() < _options.HitRatio;
        var index = random.Next(Prompts.Length);
        var (exact, text, vector) = _options.Mix;
        var pick = random.NextDouble() * (exact + text + vector);
        var request = new V1.LookupRequest { Scope = Scope };
        if (pick < exact)
        {
            // Exact layer only, so a miss costs no embedding: the redis GET comparison.
            request.Mode = V1.LookupMode.ExactOnly;
            request.Prompt = expectHit ? Prompts[index] : "never stored " + random.NextInt64();
        }
        else if (pick < exact + text)
        {
            request.Prompt = expectHit ? "Please answer this: " + Prompts[index] : "An unrelated question about item " + random.NextInt64();
        }
        else
        {
            request.Vector.AddRange(expectHit ? Near(random, Vectors[index]) : RandomUnit(random, _options.Dimensions));
        }

        return request;
    }

    private static IEnumerable<string> Generated(int count)
    {
        string[] subjects = ["the refund policy", "a password reset", "shipping to Canada", "the premium plan", "two-factor login", "an invoice copy", "the API rate limit", "data export"];
        string[] asks = ["How do I get", "What is", "Explain", "Where can I find", "Tell me about"];
        for (var i = 0; i < count; i++)
        {
            yield return $"{asks[i % asks.Length]} {subjects[i / asks.Length % subjects.Length]} for account {i}?";
        }
    }

    private static float[] RandomUnit(Random random, int dimensions)
    {
        var v = new float[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            v[i] = (float)(random.NextDouble() - 0.5);
        }

        return Normalize(v);
    }

    private static float[] Near(Random random, float[] source)
    {
        var v = new float[source.Length];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = source[i] + (float)((random.NextDouble() - 0.5) * 0.02);
        }

        return Normalize(v);
    }

    private static float[] Normalize(float[] v)
    {
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        for (var i = 0; i < v.Length; i++)
        {
            v[i] /= norm;
        }

        return v;
    }
}
