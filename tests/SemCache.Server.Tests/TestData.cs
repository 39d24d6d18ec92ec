using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Tests;

internal static class TestData
{
    public static V1.Scope Scope(string model = "gpt-test") => new() { Model = model };

    public static float[] Vector(int seed, int dimensions = ServerHost.Dimensions)
    {
        var random = new Random(seed);
        var vector = new float[dimensions];
        var norm = 0f;
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] = (float)(random.NextDouble() - 0.5);
            norm += vector[i] * vector[i];
        }

        norm = MathF.Sqrt(norm);
        for (var i = 0; i < dimensions; i++)
        {
            vector[i] /= norm;
        }

        return vector;
    }

    public static V1.StoreRequest Store(string prompt, string response, float[]? vector = null, params string[] tags)
    {
        var request = new V1.StoreRequest
        {
            Scope = Scope(),
            Prompt = prompt,
            Response = response,
            Usage = new V1.Usage { InputTokens = 100, OutputTokens = 50, Cost = 0.002 },
        };
        if (vector is not null)
        {
            request.Vector.AddRange(vector);
        }

        request.Tags.AddRange(tags);
        return request;
    }

    public static V1.LookupRequest Lookup(string? prompt, float[]? vector = null)
    {
        var request = new V1.LookupRequest { Scope = Scope() };
        if (prompt is not null)
        {
            request.Prompt = prompt;
        }

        if (vector is not null)
        {
            request.Vector.AddRange(vector);
        }

        return request;
    }
}
